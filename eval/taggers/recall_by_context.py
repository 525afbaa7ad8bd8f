"""Person recall (exact span) split by unit length: short units (<=20 chars: list/name lines) vs running text.
Usage: venv/bin/python recall_by_context.py NAME [NAME ...]"""
import pathlib

HERE = pathlib.Path(__file__).resolve().parent  # eval/taggers
ROOT = HERE.parents[1]  # the repository

import json, sys
sys.argv, names = sys.argv[:1], sys.argv[1:]
import evaluate as ev
gold = {e["name"] for e in ev.GAZ["person"]}
ml = max(map(len, gold))
for name in names:
    d = json.load(open(f"{HERE}/out/{name}.json"))
    c = {"short": [0, 0], "long": [0, 0]}
    for u, toks in zip(ev.UNITS, d["tokens"]):
        spans, _, _ = ev.class_spans(name, toks)
        ps = {(s, e) for s, e, k in spans if k == "person"}
        key = "short" if len(u) <= 20 else "long"
        for s, e in ev.gold_occurrences(u, gold, ml):
            c[key][1] += 1
            c[key][0] += (s, e) in ps
    print(name, {k: f"{a}/{b}={a/b:.3f}" for k, (a, b) in c.items()})
