"""Estimated true precision = (in-gazetteer spans + not-in-gazetteer spans x judged share) / predicted.
Usage: venv/bin/python summarize.py   (after evaluate.py; reads out/metrics.json, person_judgements.json and
lac_judgements.json, which also holds LAC's place and organisation judgements)"""
import pathlib

HERE = pathlib.Path(__file__).resolve().parent  # eval/taggers
ROOT = HERE.parents[1]  # the repository

import json
m = json.load(open(f"{HERE}/out/metrics.json"))
j = json.load(open(f"{HERE}/person_judgements.json"))
jc = json.load(open(f"{HERE}/lac_judgements.json"))  # {tagger: {class: {"correct_lines": [...], ...}}}


def estimate(r, k):
    n = min(100, r["not_in_gaz"])
    return (r["predicted_in_gaz"] + r["not_in_gaz"] * k / n) / r["predicted"] if n else None


print("| tagger | persons predicted | in gaz | not in gaz | sample correct /100 | est. true precision |")
print("|---|---|---|---|---|---|")
for name, r in m["taggers"].items():
    p = r["person"]
    if name in j:
        k = len(j[name]["correct_lines"])
    elif "person" in jc.get(name, {}):
        k = len(jc[name]["person"]["correct_lines"])
    else:
        k = None
    est = estimate(p, k) if k is not None else None
    print(f"| {name} | {p['predicted']} | {p['predicted_in_gaz']} | {p['not_in_gaz']} | {'' if k is None else k} | "
          f"{'' if est is None else f'{est:.2f}'} |")

# place and organisation: variant = org counting 区委 in 区委常委会 as right (lenient_extra_lines),
# place not counting names that sit inside a longer name (inside_longer_name_lines)
print()
print("| tagger | class | predicted | in gaz | not in gaz | sample correct / n | est. true precision | variant |")
print("|---|---|---|---|---|---|---|---|")
for name, r in m["taggers"].items():
    for c in ("place", "org"):
        if c not in jc.get(name, {}) or "not_in_gaz" not in r[c]:
            continue
        x, jj = r[c], jc[name][c]
        k = len(jj["correct_lines"])
        n = min(100, x["not_in_gaz"])
        if "lenient_extra_lines" in jj:
            v = f"{estimate(x, k + len(jj['lenient_extra_lines'])):.2f} (lenient)"
        elif "inside_longer_name_lines" in jj:
            v = f"{estimate(x, k - len(jj['inside_longer_name_lines'])):.2f} (stand-alone only)"
        else:
            v = ""
        print(f"| {name} | {c} | {x['predicted']} | {x['predicted_in_gaz']} | {x['not_in_gaz']} | {k}/{n} | "
              f"{estimate(x, k):.2f} | {v} |")
