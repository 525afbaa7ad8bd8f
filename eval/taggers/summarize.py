"""Estimated true person precision = (in-gazetteer spans + not-in-gazetteer spans x judged share) / predicted.
Usage: venv/bin/python summarize.py   (after evaluate.py; reads out/metrics.json and person_judgements.json)"""
import pathlib

HERE = pathlib.Path(__file__).resolve().parent  # eval/taggers
ROOT = HERE.parents[1]  # the repository

import json
m = json.load(open(f"{HERE}/out/metrics.json"))
j = json.load(open(f"{HERE}/person_judgements.json"))
print("| tagger | persons predicted | in gaz | not in gaz | sample correct /100 | est. true precision |")
print("|---|---|---|---|---|---|")
for name, r in m["taggers"].items():
    p = r["person"]
    k = len(j[name]["correct_lines"]) if name in j else None
    n_not = p["not_in_gaz"]
    share = k / min(100, n_not) if k is not None else None
    est = (p["predicted_in_gaz"] + n_not * share) / p["predicted"] if share is not None else None
    print(f"| {name} | {p['predicted']} | {p['predicted_in_gaz']} | {n_not} | {k} | {est:.2f} |")
