"""`qa corpus build`: output, determinism, atomicity and bad input, through the real CLI."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa.cli import app
from qa.config import get_settings
from qa.corpus import build_corpus, load_records
from qa.manifest import CorpusError

from conftest import CORPUS_DIR

runner = CliRunner()


def _corpus_with(tmp_path: Path, data: bytes | None, name: str = "book.txt") -> Path:
    """A corpus folder whose single yearbook is `data` (None: the file is missing)."""
    manifest = json.loads((CORPUS_DIR / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["yearbooks"][0]
    entry["source"] = name
    entry["sha256"] = hashlib.sha256(data or b"").hexdigest()
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    if data is not None:
        (corpus / name).write_bytes(data)
    return corpus


@pytest.fixture
def cli_env(monkeypatch, tmp_path):
    def configure(corpus: Path) -> Path:
        parsed = tmp_path / "parsed"
        monkeypatch.setenv("QA_CORPUS_DIR", str(corpus))
        monkeypatch.setenv("QA_PARSED_DIR", str(parsed))
        get_settings.cache_clear()
        return parsed

    yield configure
    get_settings.cache_clear()


def test_cli_builds_records_and_prints_a_summary(tmp_path, cli_env):
    corpus = tmp_path / "real"
    shutil.copytree(CORPUS_DIR, corpus, ignore=shutil.ignore_patterns("parsed"))
    parsed = cli_env(corpus)
    result = runner.invoke(app, ["corpus", "build"])
    assert result.exit_code == 0, result.output
    assert "附录" in result.output and "retention" in result.output
    first = (parsed / "jinchuan-2020.jsonl").read_bytes()
    records = load_records(parsed, "jinchuan-2020")
    assert len(records) > 1000 and {r.kind for r in records} == {"entry", "article", "chronicle", "table", "block"}
    assert runner.invoke(app, ["corpus", "build"]).exit_code == 0
    assert (parsed / "jinchuan-2020.jsonl").read_bytes() == first  # byte-identical rebuild


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (None, "not found"),
        (b"", "empty"),
        (b"\n  \n", "empty"),
        ("金川区年鉴".encode("gbk") * 50, "UTF-8"),
        ("这是一段没有任何年鉴结构的文字。\n".encode() * 200, "not found"),
    ],
    ids=["missing", "empty", "blank", "not-utf8", "no-structure"],
)
def test_bad_input_stops_with_a_clear_message_and_writes_nothing(tmp_path, cli_env, data, problem):
    corpus = _corpus_with(tmp_path, data)
    parsed = cli_env(corpus)
    with pytest.raises(CorpusError, match=problem) as caught:
        build_corpus(corpus, parsed)
    assert "book.txt" in str(caught.value)
    result = runner.invoke(app, ["corpus", "build"])
    assert result.exit_code == 2
    assert "book.txt" in result.output
    assert not parsed.exists()


def test_changed_source_is_refused_by_its_checksum(tmp_path, cli_env):
    corpus = _corpus_with(tmp_path, b"abc")
    (corpus / "book.txt").write_bytes(b"abd")
    with pytest.raises(CorpusError, match="sha256"):
        build_corpus(corpus, tmp_path / "parsed")


def test_malformed_manifest_is_refused(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CorpusError, match="manifest"):
        build_corpus(corpus, tmp_path / "parsed")


def test_failed_rebuild_keeps_the_previous_output(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS_DIR, corpus, ignore=shutil.ignore_patterns("parsed"))
    parsed = tmp_path / "parsed"
    build_corpus(corpus, parsed)
    before = (parsed / "jinchuan-2020.jsonl").read_bytes()
    (corpus / "jinchuan-yearbook-2020.txt").write_bytes(b"")
    with pytest.raises(CorpusError):
        build_corpus(corpus, parsed)
    assert (parsed / "jinchuan-2020.jsonl").read_bytes() == before
    assert [p.name for p in parsed.iterdir()] == ["jinchuan-2020.jsonl"]
