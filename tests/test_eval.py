"""The evaluation set, the BRIEF's metrics on hand-made cases, the CSV path and `qa eval` itself."""

from __future__ import annotations

import csv
import json
from collections import Counter

import pytest
from typer.testing import CliRunner

from qa.api.app import create_app
from qa.cli import app as cli
from qa.config import get_settings
from qa.evaluation.dataset import DatasetError, load_dataset
from qa.evaluation.metrics import Outcome, first_relevant_rank, is_relevant, reciprocal_rank, score_answer, summarise
from qa.evaluation.report import render_html
from qa.evaluation.runner import HttpTarget, corpus_texts_from, run_evaluation
from qa.textrepair import normalise_for_match

from conftest import CORPUS_DIR, ROOT
from fake_llm import running_server

DATASET = ROOT / "eval" / "jinchuan-2020.jsonl"
EXTRA_DEV = ROOT / "eval" / "jinchuan-2020-dev-extra.jsonl"  # tuning only: more near-miss questions


@pytest.fixture(scope="module")
def records():
    return load_dataset(DATASET)


def test_every_record_is_valid_and_grounded_in_the_corpus(records, yearbook_spec):
    book = normalise_for_match((CORPUS_DIR / "jinchuan-yearbook-2020.txt").read_text(encoding="utf-8"))
    categories = {c.name for c in yearbook_spec.categories}
    extra = load_dataset(EXTRA_DEV)
    assert len(records) >= 300 and {r.split for r in extra} == {"dev"}
    everything = [*records, *extra]
    assert len({r.id for r in everything}) == len(everything)
    for r in everything:
        assert r.yearbook == "jinchuan-2020" and r.category in categories, r.id
        if r.answerable:
            assert r.type != "unanswerable" and r.answer and r.evidence, r.id
            assert normalise_for_match(r.evidence) in book, r.id
            assert normalise_for_match(r.answer) in normalise_for_match(r.evidence), r.id
        else:
            assert r.type == "unanswerable" and not r.answer and not r.evidence, r.id


def test_the_set_is_spread_over_categories_types_askers_and_splits(records, yearbook_spec):
    per_category = Counter(r.category for r in records)
    assert all(per_category[c.name] >= 5 for c in yearbook_spec.categories)
    types = Counter(r.type for r in records)
    assert set(types) == {"number", "entity", "date", "policy", "list", "yesno", "unanswerable"}
    assert 0.08 <= types["unanswerable"] / len(records) <= 0.15
    assert sum(r.paraphrase for r in records) >= len(records) / 3
    assert Counter(r.asker for r in records)["citizen"] >= len(records) / 3
    for kind in types:
        split = Counter(r.split for r in records if r.type == kind)
        assert abs(split["dev"] - split["test"]) <= 1, kind


def test_relevance_rule_matches_the_brief():
    passage = "全区共实现地区生产总值（GDP）262.34 亿元，按可比价计算，比上年增长 10.8%。"
    evidence = "全区共实现地区生产总值（GDP）262.34亿元，按可比价计算，比上年增长10.8%。其中第一产业"
    assert is_relevant(passage, "262.34亿元", [], evidence)  # first 12 characters suffice
    assert not is_relevant(passage, "182.86亿元", [], evidence)
    assert not is_relevant("262.34亿元", "262.34亿元", [], evidence)  # answer without its evidence


def test_a_hit_at_rank_three_gives_mrr_one_third():
    passages = ["无关", "也无关", "金川区辖宁远堡镇、双湾镇两个镇"]
    rank = first_relevant_rank(passages, "双湾镇", [], "金川区辖宁远堡镇、双湾镇两个镇")
    assert rank == 3 and reciprocal_rank(rank) == pytest.approx(1 / 3, abs=1e-4)
    assert reciprocal_rank(None) == 0 and reciprocal_rank(11) == 0


def _outcome(answerable: bool, **kw) -> Outcome:
    return Outcome(id="x", question="q", type=kw.pop("type", "number"), category="c", answerable=answerable,
                   gold=kw.pop("gold", ""), **kw)


def test_refusals_faithfulness_and_support_are_counted_by_the_rules():
    corpus = [normalise_for_match("全区共实现地区生产总值262.34亿元。")]
    refused_unanswerable = _outcome(False)
    score_answer(refused_unanswerable, "年鉴中未找到。", None, False, [], "", [], corpus)
    right = _outcome(True, gold="262.34亿元", rank=1)
    score_answer(right, "全区共实现地区生产总值262.34亿元。[1]", "262.34亿元", True,
                 ["全区共实现地区生产总值262.34亿元。"], "262.34亿元", [], corpus)
    unfaithful = _outcome(True, gold="262.34亿元", rank=3)
    score_answer(unfaithful, "GDP是262.34亿元[1]", None, True, ["这句话不在年鉴里"], "262.34亿元", [], corpus)
    wrongly_refused = _outcome(True, gold="5次")
    score_answer(wrongly_refused, "年鉴中未找到。", None, False, [], "5次", [], corpus)
    figures = summarise([refused_unanswerable, right, unfaithful, wrongly_refused])
    assert figures["refusal_recall"] == 1.0
    assert figures["false_refusal_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert figures["citation_faithfulness"] == pytest.approx(1 / 2, abs=1e-4)
    assert figures["citation_support"] == pytest.approx(1 / 2, abs=1e-4)  # the unfaithful answer is correct but unsupported
    assert figures["answer_accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert figures["short_answer_em"] == pytest.approx(1 / 3, abs=1e-4)
    assert figures["mrr"] == pytest.approx((1 + 1 / 3 + 0) / 3, abs=1e-4)
    assert figures["recall@1"] == pytest.approx(1 / 3, abs=1e-4) and figures["recall@3"] == pytest.approx(2 / 3, abs=1e-4)


def test_csv_data_sets_load_like_jsonl(records, tmp_path):
    path = tmp_path / "set.csv"
    fields = ["id", "question", "answer", "aliases", "evidence", "yearbook", "category", "type", "answerable", "split"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for r in records[:20]:
            row = {f: getattr(r, f) for f in fields}
            row["aliases"] = "|".join(r.aliases)
            writer.writerow(row)
    loaded = load_dataset(path)
    assert [(r.id, r.aliases, r.answerable) for r in loaded] == [(r.id, r.aliases, r.answerable) for r in records[:20]]
    (tmp_path / "bad.jsonl").write_text('{"id": "x"}\n', encoding="utf-8")
    with pytest.raises(DatasetError, match="bad.jsonl:1"):
        load_dataset(tmp_path / "bad.jsonl")


def test_eval_against_a_running_service_over_http(pipeline, records, index_settings):
    sample = [r for r in records if r.split == "dev"][:12]
    texts = corpus_texts_from(index_settings.parsed_dir, ["jinchuan-2020"])
    with running_server(create_app(pipeline=pipeline)) as url:
        report = run_evaluation(sample, HttpTarget(url, "extractive"), texts, "hybrid", True, None)
    overall = report["overall"]
    assert overall["questions"] == 12 and overall["citation_faithfulness"] == 1.0
    assert set(report["retrievers"]) == {"hybrid", "lexical", "dense", "words", "bigrams"}
    assert overall["latency_ms_p50"] > 0 and report["by_type"] and report["by_category"]
    assert "<svg" in render_html({**report, "meta": {"run": "t", "dataset": "d", "split": "dev", "mode": "extractive"}})


def test_qa_eval_cli_writes_reports_and_compares_runs(pipeline, index_settings, built_index, monkeypatch, tmp_path):
    rows = [json.loads(line) for line in DATASET.read_text(encoding="utf-8").splitlines()][:10]
    small = tmp_path / "small.jsonl"
    small.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    for key, value in {"QA_CORPUS_DIR": index_settings.corpus_dir, "QA_PARSED_DIR": index_settings.parsed_dir,
                       "QA_INDEX_DIR": index_settings.index_dir, "QA_EVAL_REPORTS_DIR": tmp_path / "reports"}.items():
        monkeypatch.setenv(key, str(value))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        result = runner.invoke(cli, ["eval", "--dataset", str(small), "--split", "all", "--name", "run-a"])
        assert result.exit_code == 0, result.output
        with running_server(create_app(pipeline=pipeline)) as url:  # the same questions against a running service
            result = runner.invoke(cli, ["eval", "--dataset", str(small), "--split", "all", "--name", "run-b",
                                         "--url", url, "--mode", "extractive"])
        assert result.exit_code == 0, result.output
        for name in ("report.json", "report.md", "report.html"):
            assert (tmp_path / "reports" / "run-a" / name).is_file()
        report_a = json.loads((tmp_path / "reports" / "run-a" / "report.json").read_text(encoding="utf-8"))
        report_b = json.loads((tmp_path / "reports" / "run-b" / "report.json").read_text(encoding="utf-8"))
        assert "langchain-quickstart" in report_a["retrievers"] and report_b["target"].startswith("http://127.0.0.1")
        for metric in ("recall@5", "answer_accuracy", "refusal_recall", "citation_faithfulness"):
            assert report_a["overall"][metric] == report_b["overall"][metric]  # in process and over HTTP agree
        compared = runner.invoke(cli, ["eval", "compare", "run-a", "run-b"])
        assert compared.exit_code == 0 and "answer_accuracy" in compared.output
    finally:
        get_settings.cache_clear()


HELD_OUT = [ROOT / "eval" / "jinchuan-2020-test2.jsonl", ROOT / "eval" / "jinchuan-2020-test3.jsonl"]
TRAIN = ROOT / "eval" / "jinchuan-2020-train.jsonl"


def _shares_evidence(a: str, b: str) -> bool:
    """Two evidence quotes from the same words of the book: one holds the other."""
    return a in b or b in a


def test_training_and_fresh_test_splits_are_grounded_and_kept_apart(records):
    book = normalise_for_match((CORPUS_DIR / "jinchuan-yearbook-2020.txt").read_text(encoding="utf-8"))
    train = load_dataset(TRAIN)
    held_out = {path.name: load_dataset(path) for path in HELD_OUT}
    assert {r.split for r in train} == {"train"}
    assert {name: {r.split for r in rows} for name, rows in held_out.items()} == {
        "jinchuan-2020-test2.jsonl": {"test2"}, "jinchuan-2020-test3.jsonl": {"test3"}}
    everything = [*train, *(r for rows in held_out.values() for r in rows)]
    assert len({r.id for r in everything}) == len(everything)
    for r in everything:
        assert r.provenance, r.id  # how each record was written and checked
        if r.answerable:
            assert normalise_for_match(r.evidence) in book and normalise_for_match(r.answer) in normalise_for_match(r.evidence), r.id
    tested = [normalise_for_match(r.evidence) for r in [*records, *everything] if r.split in ("test", "test2", "test3") and r.evidence]
    leaked = [r.id for r in train if r.evidence and any(_shares_evidence(normalise_for_match(r.evidence), e) for e in tested)]
    assert leaked == []  # no training question rests on a sentence a test split asks about
