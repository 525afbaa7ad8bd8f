"""The `qa` command line through its runner, on the session's real index."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from qa.cli import app
from qa.config import get_settings

runner = CliRunner()


@pytest.fixture
def env(index_settings, built_index, monkeypatch):
    for key, value in {"QA_CORPUS_DIR": index_settings.corpus_dir, "QA_PARSED_DIR": index_settings.parsed_dir,
                       "QA_INDEX_DIR": index_settings.index_dir}.items():
        monkeypatch.setenv(key, str(value))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_search_prints_ranked_hits_as_json(env):
    result = runner.invoke(app, ["search", "农村饮水 滞纳金", "--k", "3", "--category", "附录", "--json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)["results"]
    assert len(hits) == 3 and all(h["section_path"][0] == "附录" and h["page"] for h in hits)


def test_search_prints_whole_passages_wrapped_not_cut(env):
    printed = runner.invoke(app, ["search", "农村饮水 滞纳金", "--k", "2", "--category", "附录"])
    as_json = json.loads(runner.invoke(app, ["search", "农村饮水 滞纳金", "--k", "2", "--category", "附录", "--json"]).output)
    assert printed.exit_code == 0
    flat = re.sub(r"\s", "", printed.output)
    assert all(re.sub(r"\s", "", hit["text"]) in flat for hit in as_json["results"])


def test_search_refuses_an_unknown_category(env):
    result = runner.invoke(app, ["search", "滞纳金", "--category", "不存在"])
    assert result.exit_code == 2 and "unknown filter" in result.output


def test_ask_prints_answer_short_answer_and_citations(env):
    result = runner.invoke(app, ["ask", "金川区去年GDP多少？"])
    assert result.exit_code == 0, result.output
    assert "262.34亿元" in result.output and "第" in result.output and "[1]" in result.output
    assert "answered" in result.output
    as_json = json.loads(runner.invoke(app, ["ask", "金川区去年GDP多少？", "--json"]).output)
    assert as_json["short_answer"] in ("262.34亿元", None) and as_json["citations"]


def test_ask_rejects_bad_arguments(env):
    assert runner.invoke(app, ["ask", "   "]).exit_code == 2
    assert runner.invoke(app, ["ask", "金川区", "--mode", "magic"]).exit_code == 2


def test_missing_index_is_a_clear_error(env, monkeypatch, tmp_path):
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "none"))
    get_settings.cache_clear()
    result = runner.invoke(app, ["ask", "金川区"])
    assert result.exit_code == 2 and "qa index build" in result.output


def test_supervised_serve_refuses_a_missing_index_before_it_binds(env, monkeypatch, tmp_path):
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "none"))  # the check runs in a child process, which reads this
    get_settings.cache_clear()
    result = runner.invoke(app, ["serve", "--workers", "2", "--port", "1"])  # port 1 could not be bound anyway
    assert result.exit_code == 2 and "qa index build" in result.output
