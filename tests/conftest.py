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
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    from pymilvus import MilvusClient

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = tmp_path_factory.mktemp("milvus")
    log = (data.parent / "milvus-lite.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(data / "data"),
                                "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            MilvusClient(uri=uri, timeout=2).close()
            break
        except Exception:  # not listening yet
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"milvus-lite server did not start; see {log.name}")
            time.sleep(0.3)
    yield uri
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    log.close()


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
