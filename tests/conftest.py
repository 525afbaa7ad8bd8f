"""Shared fixtures: the real yearbook, parsed once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

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
