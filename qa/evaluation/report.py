"""Evaluation reports: report.json, report.md and a self-contained report.html (inline SVG charts)."""

from __future__ import annotations

import html
import json
from pathlib import Path

from qa.atomic import write_text_atomic
from qa.evaluation.metrics import percentile

HEADLINE = [
    ("recall@5", "Recall@5"), ("mrr", "MRR"), ("answer_accuracy", "Answer accuracy"),
    ("mean_answer_chars", "Mean answer length (chars)"), ("short_answer_em", "Short-answer EM (factoid)"),
    ("headline_precision", "Headline precision"), ("headlines_shown", "Headlines shown"),
    ("citation_faithfulness", "Citation faithfulness"), ("citation_support", "Citation support"),
    ("refusal_recall", "Refusal recall"), ("false_refusal_rate", "False refusals"),
    ("latency_ms_p50", "Latency p50 (ms)"), ("latency_ms_p95", "Latency p95 (ms)"),
]


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3f}" if value <= 1.0 else f"{value:.1f}"
    return str(value)


def write_report(report: dict, folder: Path) -> None:
    """Write the three files of one run into `folder` (each atomically)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomic(folder / "report.json", json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    write_text_atomic(folder / "report.md", render_markdown(report))
    write_text_atomic(folder / "report.html", render_html(report))


def headline_table(report: dict) -> str:
    """The small Markdown table README shows."""
    overall = report["overall"]
    rows = ["| metric | value |", "| --- | --- |"]
    rows += [f"| {label} | {_fmt(overall.get(key))} |" for key, label in HEADLINE]
    return "\n".join(rows)


def retriever_table(report: dict) -> str:
    rows = ["| retriever | Recall@1 | Recall@3 | Recall@5 | Recall@10 | MRR |", "| --- | --- | --- | --- | --- | --- |"]
    for name, figures in report["retrievers"].items():
        rows.append(f"| {name} | " + " | ".join(_fmt(figures.get(k)) for k in
                                               ("recall@1", "recall@3", "recall@5", "recall@10", "mrr")) + " |")
    return "\n".join(rows)


def render_markdown(report: dict) -> str:
    meta = report["meta"]
    parts = [
        f"# Evaluation run {meta['run']}",
        f"Data set `{meta['dataset']}`, split `{meta['split']}`, {report['overall']['questions']} questions; "
        f"target {report['target']}; retriever `{report['retriever']}`; created {report['created']}.",
        "## Overall", headline_table(report),
        "## Retrievers side by side", retriever_table(report),
    ]
    for key, title in (("by_type", "Per question type"), ("by_category", "Per category")):
        rows = ["| group | questions | Recall@5 | accuracy | short EM | headline precision | refusal recall |",
                "| --- | --- | --- | --- | --- | --- | --- |"]
        for name, figures in report[key].items():
            rows.append(f"| {name} | {figures['questions']} | {_fmt(figures['recall@5'])} | "
                        f"{_fmt(figures['answer_accuracy'])} | {_fmt(figures['short_answer_em'])} | "
                        f"{_fmt(figures.get('headline_precision'))} | {_fmt(figures['refusal_recall'])} |")
        parts += [f"## {title}", "\n".join(rows)]
    rows = ["| id | type | question | gold | answer | rank |", "| --- | --- | --- | --- | --- | --- |"]
    for miss in report["misses"]:
        cells = [miss["id"], miss["type"], miss["question"], miss["gold"] or "（不可回答）", miss["answer"][:80],
                 str(miss["rank"] or "—")]
        rows.append("| " + " | ".join(c.replace("|", "｜").replace("\n", " ") for c in cells) + " |")
    parts += [f"## Misses ({len(report['misses'])})", "\n".join(rows)]
    rows = ["| id | type | question | gold | shown |", "| --- | --- | --- | --- | --- |"]
    for wrong in report.get("wrong_headlines", []):
        cells = [wrong["id"], wrong["type"], wrong["question"], wrong["gold"] or "（不可回答）", wrong["short_answer"]]
        rows.append("| " + " | ".join(c.replace("|", "｜").replace("\n", " ") for c in cells) + " |")
    parts += [f"## Wrong headlines ({len(report.get('wrong_headlines', []))})", "\n".join(rows)]
    return "\n\n".join(parts) + "\n"


def _bars(title: str, values: dict[str, float | None]) -> str:
    """A horizontal bar chart (0–1) as inline SVG."""
    items = [(name, value or 0.0) for name, value in values.items()]
    height = 22 * len(items) + 30
    bars = [f'<text x="0" y="16" font-weight="bold">{html.escape(title)}</text>']
    for i, (name, value) in enumerate(items):
        y = 26 + i * 22
        bars.append(f'<text x="0" y="{y + 14}" font-size="12">{html.escape(name)}</text>'
                    f'<rect x="170" y="{y + 2}" width="{value * 300:.1f}" height="16" fill="#2b6cb0"/>'
                    f'<text x="{176 + value * 300:.1f}" y="{y + 14}" font-size="12">{value:.2f}</text>')
    return f'<svg role="img" aria-label="{html.escape(title)}" width="540" height="{height}">{"".join(bars)}</svg>'


def _histogram(latencies: list[float]) -> str:
    if not latencies:
        return ""
    top = percentile(latencies, 0.99) or 1.0
    bins = [0] * 20
    for value in latencies:
        bins[min(19, int(value / top * 20))] += 1
    peak = max(bins) or 1
    bars = [f'<rect x="{20 + i * 25}" y="{170 - n / peak * 140:.1f}" width="22" height="{n / peak * 140:.1f}" fill="#2f855a"/>'
            for i, n in enumerate(bins)]
    return (f'<svg role="img" aria-label="latency histogram" width="540" height="200">'
            f'<text x="0" y="16" font-weight="bold">Latency of /api/ask (ms), 0 – {top:.0f}</text>{"".join(bars)}'
            f'<text x="20" y="190" font-size="12">0</text><text x="480" y="190" font-size="12">{top:.0f} ms</text></svg>')


def render_html(report: dict) -> str:
    meta = report["meta"]
    overall_rows = "".join(f"<tr><th>{label}</th><td>{_fmt(report['overall'].get(key))}</td></tr>" for key, label in HEADLINE)
    retriever_rows = "".join(
        f"<tr><th>{html.escape(name)}</th>" + "".join(f"<td>{_fmt(f.get(k))}</td>" for k in
                                                    ("recall@1", "recall@3", "recall@5", "recall@10", "mrr")) + "</tr>"
        for name, f in report["retrievers"].items())
    miss_rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in
                         (m["id"], m["type"], m["question"], m["gold"] or "（不可回答）", m["answer"], m["rank"] or "—")) + "</tr>"
        for m in report["misses"])
    wrong_rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in
                         (w["id"], w["type"], w["question"], w["gold"] or "（不可回答）", w["short_answer"])) + "</tr>"
        for w in report.get("wrong_headlines", []))
    charts = (_bars("Answer accuracy per type", {k: v["answer_accuracy"] for k, v in report["by_type"].items()
                                                 if v["answer_accuracy"] is not None})
              + _bars("Answer accuracy per category", {k: v["answer_accuracy"] for k, v in report["by_category"].items()
                                                       if v["answer_accuracy"] is not None})
              + _histogram(report["latencies_ms"]))
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Evaluation {html.escape(meta['run'])}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#1a202c}}
table{{border-collapse:collapse;margin:1rem 0}}td,th{{border:1px solid #cbd5e0;padding:.3rem .5rem;text-align:left;vertical-align:top}}
svg{{display:block;margin:1rem 0}}</style></head><body>
<h1>Evaluation run {html.escape(meta['run'])}</h1>
<p>Data set <code>{html.escape(meta['dataset'])}</code>, split <code>{html.escape(meta['split'])}</code>,
{report['overall']['questions']} questions; target {html.escape(report['target'])}; retriever
<code>{html.escape(report['retriever'])}</code>; created {html.escape(report['created'])}.</p>
<h2>Overall</h2><table>{overall_rows}</table>
<h2>Retrievers side by side</h2><table><tr><th>retriever</th><th>R@1</th><th>R@3</th><th>R@5</th><th>R@10</th><th>MRR</th></tr>{retriever_rows}</table>
<h2>Charts</h2>{charts}
<h2>Wrong headlines ({len(report.get('wrong_headlines', []))})</h2>
<table><tr><th>id</th><th>type</th><th>question</th><th>gold</th><th>shown</th></tr>{wrong_rows}</table>
<h2>Misses ({len(report['misses'])})</h2>
<table><tr><th>id</th><th>type</th><th>question</th><th>gold</th><th>answer</th><th>rank</th></tr>{miss_rows}</table>
</body></html>
"""


def compare_reports(first: dict, second: dict) -> list[tuple[str, float | None, float | None, float | None]]:
    """(metric, A, B, B − A) for every overall figure both runs have."""
    rows = []
    for key, _label in HEADLINE + [("recall@1", ""), ("recall@3", ""), ("recall@10", "")]:
        a, b = first["overall"].get(key), second["overall"].get(key)
        rows.append((key, a, b, None if a is None or b is None else round(b - a, 4)))
    return rows
