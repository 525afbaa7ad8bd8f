"""Build a gold gazetteer (persons / places / organisations) from the structure of
《金川区年鉴 2020》 (parsed records in corpus/parsed/jinchuan-2020.jsonl).

Also writes units.json: the tagging units (one per line of each record's text, with the
repeated "title " prefix of continuation chunks removed) used by every tagger.

Usage: venv/bin/python build_gazetteer.py
"""
import pathlib

HERE = pathlib.Path(__file__).resolve().parent  # eval/taggers
ROOT = HERE.parents[1]  # the repository

import collections
import json
import re

SRC = str(ROOT / "corpus" / "parsed" / "jinchuan-2020.jsonl")
HAN = r"\u4e00-\u9fff"

# Common Chinese surnames (single) + a few rarer ones that occur in this book.
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由厍保拓虎芦仉"
)
TITLE_WORDS = ("书记", "主任", "长", "委", "主席", "部", "员", "局", "区", "党", "副", "兼", "职", "任", "组",
               "纪", "检", "监", "会", "镇", "街", "所", "院", "办", "科", "站", "队", "事", "中心", "政",
               "社", "协", "常", "人大", "级", "级", "联", "团", "工", "领导", "班子", "成员", "调研")


def clean(s):
    return re.sub(r"[\s\u3000]+", "", s)


def is_name(tok):
    if not re.fullmatch(f"[{HAN}]{{2,4}}", tok):
        return False
    if tok[0] not in SURNAMES:
        return False
    if any(w in tok for w in TITLE_WORDS):
        return False
    return True


def strip_paren(line):
    return re.sub(r"[（(][^）)]*[）)]", " ", line)


def load_records():
    return [json.loads(l) for l in open(SRC, encoding="utf-8")]


def units_of(records):
    units = []
    for r in records:
        t = r["text"]
        if t.startswith(r["title"] + " "):
            t = t[len(r["title"]) + 1:]
        for line in t.split("\n"):
            line = line.strip()
            if line:
                units.append(line)
    return units


def persons_from(records):
    src = collections.defaultdict(set)
    for r in records:
        last = r["path"][-1] if r["path"] else ""
        t = r["text"]
        # A. leadership lists
        if "领导班子成员" in last or "领导班子成员】" in t:
            body = t.split("领导班子成员】", 1)[-1] if "领导班子成员】" in t else t
            for line in body.split("\n"):
                line0 = line.strip()
                if not line0:
                    continue
                # name line(s): names separated by blanks / 、, each maybe with a parenthesis
                toks = [x for x in re.split(r"[\s\u3000、，,]+", strip_paren(line0)) if x]
                # names written with inner spacing like "冯  海" in the raw book are joined in parsed text
                if toks and all(is_name(x) for x in toks):
                    for x in toks:
                        src[x].add("leaders-list")
                    continue
                # "title…主任吕在文" (title and a single name glued at the end)
                m = re.search(rf"(书记|主任|局长|部长|区长|镇长|主席|所长|院长|校长|政委|组长|检察长|庭长|队长|主任科员)([{HAN}]{{2,3}})$",
                              clean(strip_paren(line0)))
                if m and is_name(m.group(2)) and re.search(r"(书记|主任|长|主席|委员|政委)", line0[:m.start(2)]):
                    src[m.group(2)].add("leaders-list-glued")
        # B. 组长/副组长/成员 lists  (name followed by its unit/title)
        for blk in re.finditer(r"组\s*长\s*[：:](.*?)(?:\n[^\n]*[。；]|\Z)", t, re.S):
            for line in blk.group(1).split("\n"):
                line = line.strip()
                for m in re.finditer(rf"(?:^|镇长|局长|主任|书记|负责人)([{HAN}]{{2,3}}?)(?=[\u3000 ]|区|市|宁远堡镇|双湾镇|北京路|新华路|滨河路|桂林路|广州路|金川路)", line):
                    if is_name(m.group(1)):
                        src[m.group(1)].add("group-list")
        # C. 先进个人 table: 姓名 性别 工作单位 …
        if r["path"] and r["path"][0] == "先进模范":
            flat = t
            for m in re.finditer(rf"(?=([{HAN}]{{3}})([男女])\n?(金川区|金昌市|国家税务总局|中共金川区|金川))", flat):
                pass
            BOUND = set("厅局府院会部委区所社队心校省军\n)）月团联科站馆处")
            for m in re.finditer(r"([男女])\n?(?:金川区|金昌市|国家税务总局|中共金川区|金川)", flat):
                i = m.start()
                cand = None
                c3 = flat[max(0, i - 3):i]
                c2 = flat[max(0, i - 2):i]
                before3 = flat[i - 4] if i >= 4 else "\n"
                before2 = flat[i - 3] if i >= 3 else "\n"
                if re.fullmatch(f"[{HAN}]{{3}}", c3) and before3 in BOUND and is_name(c3):
                    cand = c3
                elif re.fullmatch(f"[{HAN}]{{2}}", c2) and before2 in BOUND and is_name(c2):
                    cand = c2
                if cand:
                    src[cand].add("awards-table")
    # E. contributor bylines "（供稿：张三）" / "（供稿：张三　李四）"
    for r in records:
        for m in re.finditer(r"供\s*稿\s*[：:]\s*([^）)\n]{2,30})[）)]", r["text"]):
            toks = [x for x in re.split(r"[\s\u3000、，,]+", m.group(1)) if x]
            for x in toks:
                if is_name(x):
                    src[x].add("byline")
    # D. "XXX同志" in running text (3-char, surname-initial, no title words)
    for r in records:
        for m in re.finditer(rf"([{HAN}]{{3}})同志", r["text"]):
            if is_name(m.group(1)):
                src[m.group(1)].add("tongzhi")
    return src


def places_from(records, text):
    src = collections.defaultdict(set)
    for x in ("宁远堡镇", "双湾镇"):
        src[x].add("town")
    for x in ("北京路街道", "新华路街道", "滨河路街道", "桂林路街道", "广州路街道", "金川路街道"):
        src[x].add("street-office")
    for m in re.finditer(rf"([{HAN}]{{2}}里社区)", text):
        name = m.group(1)
        if not re.match(r"^(成立|撤销|调整|设立)", name):
            src[name].add("community")
    for m in re.finditer(rf"(?:宁远堡镇|双湾镇|[、，及和])([{HAN}]{{2,3}}村)(?=[、，和与及（\n]|党|村委|委员会|获|被|成|，|。)", text):
        src[m.group(1)].add("village-candidate")
    for m in re.finditer(rf"(?:宁远堡镇|双湾镇)([{HAN}]{{2,3}}村)", text):
        src[m.group(1)].add("village-after-town")
    return src


def orgs_from(records, text):
    src = collections.defaultdict(set)
    for r in records:
        for p in r["path"]:
            if p.endswith("领导班子成员") and p != "领导班子成员":
                org = p[: -len("领导班子成员")]
                if not org.endswith(("镇", "街道")):
                    src[org].add("leaders-list-heading")
    for m in re.finditer(rf"((?:金川区|金昌市)[{HAN}]{{1,12}}?(?:局|委员会|办公室|中心|所|站))", text):
        src[m.group(1)].add("admin-unit-regex")
    for m in re.finditer(rf"((?:金川区|金昌市|区)?(?:第[一二三四五六七八九十]+|宁远|双湾|[{HAN}]{{2}}沟|特殊教育|中西医结合|中|人民|八冶)(?:小学|中学|学校|幼儿园|医院|中医院|卫生院))", text):
        src[m.group(1)].add("school-hospital-regex")
    for m in re.finditer(r"((?:金川区|金昌市|区|最高)?人民(?:法院|检察院)|(?:金川区|区)(?:法院|检察院))", text):
        src[m.group(1)].add("court-regex")
    for m in re.finditer(rf"((?:金昌市?|甘肃省?|南京|江苏|兰州|区惠农)[{HAN}]{{2,16}}?(?:有限责任公司|有限公司))", text):
        src[m.group(1)].add("company-regex")
    for x in ("金川集团", "八冶集团"):
        src[x].add("company")
    return src


# Entries reviewed by eye and dropped (not names / not that class / generic phrases).
DROP = {
    "person": {"管负责", "范带头"},
    "place": {"个行政村", "各行政村", "农业农村", "有行政村", "宜居乡村", "入联系村", "治示范村", "全区各村", "在农村",
              "加强农村", "构建农村", "其中农村", "实施农村", "涣散农村", "深化村", "城镇乡村", "决空壳村", "下乡进村",
              "管理到村", "与受益村", "到行政村", "在中心村", "务不出村", "曲进乡村", "立完善村", "面落实村", "推进村",
              "协助村", "调整村", "部门包村", "内健全村", "村不住村", "力推进村", "用和农村", "川区农村", "对照农村",
              "分发挥村", "个农村", "在全区村", "促指导村", "极推进村", "索推进村", "中心村", "示范村", "联系村",
              "空壳村", "行政村", "东湾村村", "龙寨村村", "龙景村村", "龙源村村", "农村", "乡村", "进乡村", "全省村", "各村", "包村"},
    "org": {"金川区高质量发展新局", "金川区旅游产业发展新局", "金川区旅游业发展新格局", "金川区区域内所", "金川区双湾中心",
            "金川区子站", "金昌市金川区第七届委员会", "金昌市金川区第八届委员会", "金川区第七届委员会", "金川区第八届委员会",
            "金昌市金川区委员会", "人民法院", "人民检察院", "中中学", "中小学", "区中学", "中幼儿园", "区中小学",
            "金川区中小学", "金昌市中小学", "金川区人民政府授权金川区水务局", "金川区被列为全国新时代文明实践中心",
            "金昌市大爱无疆公益协会对两镇所", "金川区政务网网站", "金川区政府门户网站", "兰州庄园牧场甘肃瑞嘉牧业有限公司"},
}


def main():
    records = load_records()
    units = units_of(records)
    text = "\n".join(units)
    per = persons_from(records)
    pla = places_from(records, text)
    org = orgs_from(records, text)
    # villages: keep only candidates whose name (without 村) is not a generic word; reviewed by eye
    pla = {k: v for k, v in pla.items() if k not in DROP["place"] and not re.match(r"^(在|到|和|及|对|与|为|其|个|各|有|全)", k)}
    org = {k: v for k, v in org.items() if k not in DROP["org"]}
    per = {k: v for k, v in per.items() if k not in DROP["person"]}
    gaz = {}
    for cls, d in (("person", per), ("place", pla), ("org", org)):
        entries = []
        for name in sorted(d):
            n = text.count(name)
            if n == 0:
                continue
            entries.append({"name": name, "count_in_text": n, "sources": sorted(d[name])})
        gaz[cls] = entries
    gaz["_meta"] = {
        "source": SRC,
        "units": len(units),
        "chars": sum(len(u) for u in units),
        "counts": {c: len(gaz[c]) for c in ("person", "place", "org")},
        "occurrences": {c: sum(e["count_in_text"] for e in gaz[c]) for c in ("person", "place", "org")},
        "note": "count_in_text = substring occurrences in the tagging units (before leftmost-longest de-overlap)",
    }
    json.dump(gaz, open(f"{HERE}/gazetteer.json", "w", encoding="utf-8"), ensure_ascii=False, indent=1)
    json.dump(units, open(f"{HERE}/units.json", "w", encoding="utf-8"), ensure_ascii=False)
    print(json.dumps(gaz["_meta"], ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
