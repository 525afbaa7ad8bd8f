"""Evaluation records: JSONL or CSV, validated, documented in eval/README.md."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

QuestionType = Literal["number", "entity", "date", "policy", "list", "yesno", "unanswerable"]


class EvalRecord(BaseModel):
    """One question with its gold answer and the verbatim evidence that holds it."""

    id: str
    question: str = Field(min_length=1)
    answer: str = ""
    aliases: list[str] = Field(default_factory=list)
    evidence: str = ""
    yearbook: str
    category: str
    type: QuestionType
    answerable: bool
    split: Literal["train", "dev", "test", "test2", "test3"]
    asker: Literal["citizen", "staff"] | None = None
    paraphrase: bool | None = None
    near_miss: Literal["", "detail", "year", "entity"] | None = None  # unanswerable: how close the book comes
    provenance: str | None = None  # how the record was written and checked

    @field_validator("aliases", mode="before")
    @classmethod
    def _split_aliases(cls, value: object) -> object:
        """CSV cells carry aliases separated by '|'."""
        if isinstance(value, str):
            return [a.strip() for a in value.split("|") if a.strip()]
        return value


class DatasetError(Exception):
    """A data set file that cannot be read; the message names the file, line and field."""


def load_dataset(path: Path, split: str | None = None) -> list[EvalRecord]:
    """Records of a JSONL or CSV data set, optionally one split only."""
    if not path.is_file():
        raise DatasetError(f"{path}: data set not found")
    rows: list[tuple[int, dict]] = []
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for n, row in enumerate(csv.DictReader(handle), start=2):
                row["answerable"] = str(row.get("answerable", "")).strip().lower() in {"true", "1", "yes"}
                if row.get("paraphrase") in ("", None):
                    row.pop("paraphrase", None)
                if row.get("asker") in ("", None):
                    row.pop("asker", None)
                rows.append((n, row))
    else:
        with path.open(encoding="utf-8") as handle:
            for n, line in enumerate(handle, start=1):
                if line.strip():
                    try:
                        rows.append((n, json.loads(line)))
                    except json.JSONDecodeError as exc:
                        raise DatasetError(f"{path}:{n}: invalid JSON: {exc}") from exc
    records = []
    for n, row in rows:
        try:
            records.append(EvalRecord.model_validate(row))
        except ValidationError as exc:
            raise DatasetError(f"{path}:{n}: {exc}") from exc
    ids = [r.id for r in records]
    if len(ids) != len(set(ids)):
        raise DatasetError(f"{path}: duplicate ids")
    return [r for r in records if split in (None, "all") or r.split == split]
