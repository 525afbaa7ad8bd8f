"""Shared fixtures: the real yearbook, parsed once per test session."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from qa.config import Settings
from qa.manifest import YearbookSpec, load_manifest, read_source
from qa.parsing import ParsedBook, parse_yearbook

ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = ROOT / "corpus"


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

    return build_index(index_settings, embedder, train=lambda index: fit_answer_models(index_settings, embedder, index))


@pytest.fixture(scope="session")
def pipeline(index_settings, built_index):
    from qa.pipeline import Pipeline

    return Pipeline.load(index_settings)


class QaServe:
    """A real `qa serve` process (`python -m qa.cli serve`) on a free loopback port, for tests over HTTP.

    `start()` returns at once, so several processes load their index side by side; `wait()` blocks
    until /api/health answers.
    """

    def __init__(self, settings: Settings, **env: str) -> None:
        self.env = {**os.environ, "QA_CORPUS_DIR": str(settings.corpus_dir), "QA_PARSED_DIR": str(settings.parsed_dir),
                    "QA_INDEX_DIR": str(settings.index_dir), **env}
        self.process: subprocess.Popen | None = None
        self.log = tempfile.TemporaryFile()  # the server's output, shown if it fails to start
        self.url = ""

    def start(self) -> QaServe:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen([sys.executable, "-m", "qa.cli", "serve", "--port", str(port)], cwd=ROOT,
                                        env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def wait(self) -> QaServe:
        deadline = time.monotonic() + 300  # loading the index takes a minute on a busy machine
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                pytest.fail(f"qa serve exited with {self.process.returncode}: {self.log.read()[-2000:].decode(errors='replace')}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.3)
        pytest.fail("qa serve did not come up")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
