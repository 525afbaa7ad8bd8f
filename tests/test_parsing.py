"""The structure stage on the real 《金川区年鉴 2020》."""

from __future__ import annotations

import json
import re

import pytest

from qa.parsing import chinese_number, parse_yearbook
from qa.textrepair import normalise_for_match

pytestmark = pytest.mark.unit  # a stage's own logic: seconds, no index

# Sentences picked from across the source text (front matter to the last regulation); each must
# survive parsing verbatim (after normalisation) in exactly one record.
SENTENCES = [
    "现在，我代表中国共产党金昌市金川区第七届委员会，向大会作报告，请予审议。",
    "全区常住人口23.37万人，其中城镇人口21.06万人，占常住人口比重90.12%，与上年基本持平。",
    "延伸监督渠道、拓宽监督范围，积极聘请廉政监督员20人、特邀调解员117人广泛参与审判执行工作监督。",
    "庆祝中华人民共和国成立70周年系列活动、第五届薰衣草之约集体婚礼等活动成功举办。",
    "24日金川区召开区委七届九次全会暨区委经济工作会议。",
    "28日甘肃省委书记、省人大常委会主任林铎到金川区实地调研城市生活垃圾分类试点工作。",
    "东西最长93千米，南北最宽76千米，最高峰成山掌顶海拔3052.4米，最低处张家坑海拔1327米。",
    "【地理环境】金川区地处甘肃省河西走廊东段，龙首山支脉东大山北麓",
    "城乡居民养老保险应参保40717人，已参保39903人，参保率98%，续保率96.94%。",
    "一、会议讨论并通过《2019年全区及区级一般公共预算调整方案（草案）的报告》。",
    "区妇联主席王永玲做题为《凝聚巾帼力量决胜全面小康，为金川区高质量发展贡献力量》的工作报告。",
    "利用“3·8”妇女节、“3·15”消费者权益保护日等重大节日、重要节点，开展“法律八进”活动。",
    "各功能区昼、夜间噪声监测值均达到《声环境质量标准》（GB3096-2008）中相应的功能区标准。",
    "工程实施后解决844户3217人的饮水安全问题。",
    "【统计工程建设】按照上级业务部门的安排和部署，结合金川区实际情况，做好“三加强”，抓好“三确保”。",
    "全区共发生火灾事故186起，直接财产损失61.6万元，无人员伤亡。",
    "其中：中央1000万元、省级200万元、区级19万元，金川区中医院自筹699万元。",
    "对正常缴费超过15年的城乡居民，省级财政按每超过1年，每月加发缴费年限养老金2元的标准给予补助。",
    "【农业和农村经济】2019年，完成农作物播种面积16.9万亩。",
    "开展普法、反邪教、禁毒、国家安全法、网络安全等宣传活动23次。",
    "实施农村饮水安全巩固提升工程，解决1594户6258人的饮水质量问题。",
    "帮助检验机构加强食品、农产品的微生物和有毒有害检验项目建设，提高食品安全保证能力。",
    "落实中央和国家层面关于文艺工作的各项政策，研究制定相关配套文件，促进多出作品、多出人才。",
    "加强农村居民房前屋后绿化，鼓励发展庭院经济林。",
    "注重选拔党性强、业务精、有威信、肯奉献的优秀党员教师担任教师党支部书记。",
    "加快整治农村道路和庭院环境，大力提升农村建筑风貌，普及不同水平的卫生厕所。",
    "重视解决教育资源城乡间、校际间差距，努力让每一个孩子都享有公平而有质量的教育。",
    "21.昌荣里社区居民委员会：辖区范围为东至长春路、南至新华大道、西至上海路、北至延安路。",
    "第二十条水费的收入支出实行预算管理和专户管理。",
    "重点奖励农村基层用水组织、新型农业经营主体和种粮大户等。",
    "第十二条禁止将任何有害物种引入到湿地公园内。",
    "区水务局对供水管理单位的经营行为和服务质量进行规范和监督，确保工程良性运行。",
]


def test_all_21_categories_in_book_order(parsed_book, yearbook_spec):
    names = [name for name, _ in parsed_book.category_lines]
    assert names == [c.name for c in yearbook_spec.categories]
    assert len(names) == 21
    lines = [line for _, line in parsed_book.category_lines]
    assert lines == sorted(lines) and len(set(lines)) == 21
    record_categories = list(dict.fromkeys(r.category for r in parsed_book.records))
    assert record_categories == [yearbook_spec.front_matter] + names


def test_missing_category_headings_are_inferred_at_their_first_section(parsed_book):
    record_sections = {}
    for record in parsed_book.records:
        record_sections.setdefault(record.category, record.path[1] if len(record.path) > 1 else None)
    assert record_sections["群众团体"] == "工会"
    assert record_sections["教育科技"] == "教育"
    assert record_sections["卫生医疗"] == "卫生健康"
    assert record_sections["大事记"] == "1月"


@pytest.mark.parametrize("opening, report", [
    ("现在，我代表金川区人民法院向大会报告工作", "金昌市金川区人民法院工作报告"),
    ("现在，我代表金川区人民检察院，向大会报告工作", "金昌市金川区人民检察院工作报告"),
    ("受区人民政府委托，现将全区2019年国民经济", "关于金昌市金川区2019年国民经济和社会发展计划执行情况"),
])
def test_a_report_whose_title_was_displaced_starts_at_its_opening_words(parsed_book, opening, report):
    # the extracted text prints these titles pages after the report has begun
    [record] = [r for r in parsed_book.records if opening in r.text]
    assert record.path[0] == "特载" and record.path[1].startswith(report)


def test_a_title_block_dropped_mid_sentence_leaves_the_sentence_whole(parsed_book):
    """The extraction put the 法院 report's title, occasion and byline inside "向区委常委会汇/报工作2次"."""
    assert [r for r in parsed_book.records if "向区委常委会汇报工作2次" in r.text]
    reports = [r for r in parsed_book.records if r.path[0] == "特载"]
    for record in reports:  # an occasion line only ever opens a report, with its byline on its own line
        for found in re.finditer(r"——\d{4}年\d+月\d+日在", record.text):
            assert found.start() == 0, record.text[max(0, found.start() - 40):found.start() + 40]
            occasion, byline = record.text.split("\n")[:2]  # each on its own line: only the byline states an office
            assert occasion.endswith(("会议上", "报告"))
            assert re.search(r"(?:院长|检察长|主席|主任|局长|区长|书记)[\u4e00-\u9fff]{2,3}$", byline), byline
    assert sum(1 for r in reports if r.text.startswith("——")) == 8


def test_office_holder_lists_keep_each_office_on_its_own_line(parsed_book):
    [record] = [r for r in parsed_book.records if r.path[-1] == "金川区八届人大常委会领导班子成员"]
    assert "\n副主任\n李发财\u3000张生学\u3000赵乾德\u3000银俊英（女）\n委员\n" in record.text  # names kept apart


def test_entries_recovered_with_exact_titles(parsed_book):
    entries = [r for r in parsed_book.records if r.kind == "entry"]
    assert len(entries) >= 560
    for entry in entries:
        assert normalise_for_match(entry.text).startswith(normalise_for_match(f"【{entry.title}】")), entry.id
        assert entry.path[-1] == entry.title and not re.search(r"\s|】", entry.title)
    titles = {(e.category, e.title) for e in entries}
    for expected in [("区情概览", "地理环境"), ("社会生活", "失业保险"), ("社会生活", "工伤保险"),
                     ("金川区人民政府", "农业农村经济"), ("卫生医疗", "机构变化"),
                     ("金川区人民代表大会", "金川区第八届人民代表大会常务委员会第十九次会议")]:
        assert expected in titles


def test_regulation_articles_are_numbered_in_order_within_each_document(parsed_book):
    documents: dict[tuple[str, str | None], list[int]] = {}
    for record in parsed_book.records:
        if record.kind == "article":
            assert record.doc_number and re.fullmatch(r".+〔\d{4}〕\d+号", record.doc_number)
            documents.setdefault((record.path[1], record.doc_number), []).append(chinese_number(record.title[1:-1]))
    assert len(documents) >= 12
    for numbers in documents.values():
        assert numbers[0] == 1
        assert all(b > a for a, b in zip(numbers, numbers[1:]))
    consecutive = sum(numbers == list(range(1, len(numbers) + 1)) for numbers in documents.values())
    assert consecutive >= len(documents) - 1  # the source itself skips 第十三条 in one 办法
    water = documents[("金川区农村饮水安全工程运行管理办法", "金区政办发〔2019〕164号")]
    assert water == list(range(1, 36))


def test_pages_non_decreasing_within_range_and_exact_at_anchors(parsed_book):
    numbered = [r for r in parsed_book.records if r.page_start is not None]
    starts = [r.page_start for r in numbered]
    assert starts == sorted(starts)
    assert all(r.page_start <= r.page_end for r in numbered)
    assert 1 <= min(starts) and max(r.page_end for r in numbered) <= 340
    anchors = parsed_book.page_map.anchors
    assert len(anchors) >= 20
    for anchor_line, page in anchors:
        after = [r for r in parsed_book.records if r.source_lines[0] - 1 <= anchor_line <= r.source_lines[1] - 1
                 or r.source_lines[0] - 1 > anchor_line]
        holder = min(after, key=lambda r: r.source_lines[0])
        assert holder.page_start <= page <= holder.page_end, (anchor_line, page, holder.id)
        assert parsed_book.page_map.page_of_line[anchor_line] == page
    body = [r for r in parsed_book.records if r.category != "卷首"]
    assert all(r.page_start is not None for r in body)


def test_no_layout_debris_left(parsed_book, yearbook_spec):
    heads = {normalise_for_match(h) for h in yearbook_spec.running_heads}
    for record in parsed_book.records:
        for line in record.text.split("\n"):
            assert not re.fullmatch(r"\d{1,3}", line.strip()), (record.id, line)
            assert normalise_for_match(line) not in heads, (record.id, line)
        assert "川金2020年鉴区" not in normalise_for_match(record.text)


def test_sentences_from_across_the_book_survive_in_exactly_one_record(parsed_book):
    texts = [normalise_for_match(r.text) for r in parsed_book.records]
    assert len(SENTENCES) >= 30
    for sentence in SENTENCES:
        holders = [t for t in texts if normalise_for_match(sentence) in t]
        assert len(holders) == 1, (sentence, len(holders))


def test_no_spurious_spaces_inside_chinese_text(parsed_book):
    for record in parsed_book.records:
        assert not re.search(r"[\u4e00-\u9fff] +[\u4e00-\u9fff]", record.text), record.id
    gdp = [r for r in parsed_book.records if "262.34亿元" in r.text]
    assert len(gdp) >= 2


def test_cjk_retention(parsed_book, yearbook_text):
    from qa.corpus import cjk_retention

    assert cjk_retention(yearbook_text, parsed_book) >= 0.995


def test_parsing_is_deterministic(yearbook_text, yearbook_spec, parsed_book):
    again = parse_yearbook(yearbook_text, yearbook_spec)
    dump = [json.dumps(r.model_dump(mode="json"), ensure_ascii=False) for r in again.records]
    assert dump == [json.dumps(r.model_dump(mode="json"), ensure_ascii=False) for r in parsed_book.records]
    assert len({r.id for r in again.records}) == len(again.records)


def test_chinese_numbers():
    assert [chinese_number(n) for n in ["一", "十", "十二", "二十", "三十五", "一百零二"]] == [1, 10, 12, 20, 35, 102]


def test_page_breaks_give_each_character_its_printed_page(parsed_book):
    crossing = [r for r in parsed_book.records if r.page_start is not None and r.page_end != r.page_start]
    assert len(crossing) > 100
    for record in crossing:
        offsets = [offset for offset, _ in record.page_breaks]
        pages = [page for _, page in record.page_breaks]
        assert offsets == sorted(offsets) and offsets[0] == 0 and pages == sorted(pages)
        assert record.page_at(0) == record.page_start and record.page_at(len(record.text) - 1) == record.page_end
    # the line right after each page anchor starts the anchor's page inside its record
    for anchor_line, page in parsed_book.page_map.anchors:
        holder = next((r for r in parsed_book.records if r.source_lines[0] <= anchor_line + 1 <= r.source_lines[1]), None)
        if holder is not None and holder.page_start != page:
            assert page in [p for _, p in holder.page_breaks], (anchor_line, page, holder.id)
