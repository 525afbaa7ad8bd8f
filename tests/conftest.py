"""Shared fixtures: the real yearbook, parsed once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qa.config import Settings
from qa.manifest import YearbookSpec, load_manifest, read_source
from qa.parsing import ParsedBook, parse_yearbook

ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = ROOT / "corpus"
# The suite sends far more than a citizen's 60 questions a minute from one client; the tests of
# the rate limit itself set one explicitly. Served processes started by tests inherit this too.
os.environ["QA_RATE_LIMIT"] = ""


@pytest.fixture(scope="session")
def yearbook_spec() -> YearbookSpec:
    return load_manifest(CORPUS_DIR).get("jinchuan-2020")


@pytest.fixture(scope="session")
def yearbook_text(yearbook_spec: YearbookSpec) -> str:
    return read_source(CORPUS_DIR, yearbook_spec)


@pytest.fixture(scope="session")
def parsed_book(yearbook_text: str, yearbook_spec: YearbookSpec) -> ParsedBook:
    return parse_yearbook(yearbook_text, yearbook_spec)


@pytest.fixture(scope="session")
def index_settings(tmp_path_factory) -> Settings:
    """Settings for a real index built once from the real yearbook into a temporary folder."""
    from qa.corpus import build_corpus

    root = tmp_path_factory.mktemp("qa")
    settings = Settings(corpus_dir=CORPUS_DIR, parsed_dir=root / "parsed", index_dir=root / "index",
                        train_dataset=ROOT / "eval" / "jinchuan-2020-train.jsonl",
                        calibration_datasets=[ROOT / "eval" / "jinchuan-2020.jsonl",
                                              ROOT / "eval" / "jinchuan-2020-dev-extra.jsonl"])
    build_corpus(settings.corpus_dir, settings.parsed_dir)
    return settings


@pytest.fixture(scope="session")
def embedder(index_settings):
    from qa.embedding import load_embedder

    return load_embedder(index_settings.embedding_model, index_settings.cache_dir)


@pytest.fixture(scope="session")
def built_index(index_settings, embedder) -> dict:
    """The real index, with its answer models fitted on the real training split (about a minute)."""
    from qa.store import build_index
    from qa.training import fit_answer_models

    return build_index(index_settings, embedder, train=lambda index, tuned: fit_answer_models(index_settings, tuned, index))


@pytest.fixture(scope="session")
def pipeline(index_settings, built_index):
    from qa.pipeline import Pipeline

    return Pipeline.load(index_settings)


@pytest.fixture(scope="session")
def milvus_uri(tmp_path_factory):
    """A real `milvus-lite server` (the PyPI package's CLI) on a free loopback port, stopped by its pid."""
    from qa.scale_bench import start_milvus_lite, stop_milvus_lite

    data = tmp_path_factory.mktemp("milvus")
    uri, process = start_milvus_lite(data / "data", log=data.parent / "milvus-lite.log")
    yield uri
    stop_milvus_lite(process)


@pytest.fixture(scope="session")
def milvus_settings(index_settings, built_index, milvus_uri):
    """The session's real index, also written to the milvus-lite server, searched there (QA_BACKEND=milvus)."""
    from qa.milvus_backend import publish

    settings = index_settings.model_copy(update={"backend": "milvus", "milvus_uri": milvus_uri})
    publish(settings)
    return settings


@pytest.fixture(scope="session")
def milvus_pipeline(milvus_settings):
    from qa.pipeline import Pipeline

    return Pipeline.load(milvus_settings)
