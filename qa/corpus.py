"""`qa corpus build`: parse every yearbook of the manifest and store its records as JSONL.

Records are written atomically and deterministically (same input, byte-identical output), one
file per yearbook, so the index stage can check which corpus it was built from by sha256.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from qa.atomic import write_text_atomic
from qa.manifest import CorpusError, load_manifest, read_source
from qa.parsing import ParsedBook, parse_yearbook
from qa.records import Record, read_jsonl, to_jsonl
from qa.textrepair import count_cjk

MIN_RETENTION = 0.995


@dataclass(frozen=True)
class BookSummary:
    """What one parse produced, for the summary table and the checks."""

    yearbook: str
    records: list[Record]
    retention: float
    path: Path

    def per_category(self) -> Counter[str]:
        return Counter(record.category for record in self.records)

    def per_kind(self) -> Counter[str]:
        return Counter(record.kind for record in self.records)


def cjk_retention(source_text: str, parsed: ParsedBook) -> float:
    """Share of the source's CJK characters found in record texts or kept as structure (paths)."""
    kept = sum(count_cjk(r.text) for r in parsed.records) + sum(count_cjk(t) for t in parsed.structure_texts)
    return kept / max(1, count_cjk(source_text))


def records_path(parsed_dir: Path, yearbook_id: str) -> Path:
    return parsed_dir / f"{yearbook_id}.jsonl"


def build_corpus(corpus_dir: Path, parsed_dir: Path) -> list[BookSummary]:
    """Parse all yearbooks; nothing is written unless every book parses and passes its checks."""
    manifest = load_manifest(corpus_dir)
    outputs: list[tuple[Path, str, BookSummary]] = []
    for spec in manifest.yearbooks:
        text = read_source(corpus_dir, spec)
        parsed = parse_yearbook(text, spec)
        if not parsed.records:
            raise CorpusError(f"{corpus_dir / spec.source}: no records recognised")
        retention = cjk_retention(text, parsed)
        if retention < MIN_RETENTION:
            raise CorpusError(
                f"{corpus_dir / spec.source}: only {retention:.2%} of CJK characters survived parsing "
                f"(need {MIN_RETENTION:.1%}); the text does not have the structure the parser expects"
            )
        path = records_path(parsed_dir, spec.id)
        body = to_jsonl(parsed.records)
        outputs.append((path, body, BookSummary(spec.id, parsed.records, retention, path)))
    for path, body, _ in outputs:
        write_text_atomic(path, body)
    return [summary for _, _, summary in outputs]


def load_records(parsed_dir: Path, yearbook_id: str) -> list[Record]:
    """Records written by `build_corpus`."""
    path = records_path(parsed_dir, yearbook_id)
    if not path.is_file():
        raise CorpusError(f"{path}: parsed corpus not found; run `qa corpus build` first")
    return read_jsonl(path, Record)
