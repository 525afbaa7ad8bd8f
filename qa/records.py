"""Typed records passed between stages: parsed yearbook records and the chunks cut from them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel

RecordKind = Literal["entry", "article", "chronicle", "table", "block"]


class PagedText(BaseModel):
    """Text that knows the printed page of each of its characters."""

    text: str
    page_start: int | None
    page_end: int | None
    page_breaks: list[tuple[int, int]] = []  # (offset in text, printed page) wherever the page changes

    def page_at(self, offset: int) -> int | None:
        """Printed page of the character at `offset` of the text."""
        page = self.page_start
        for start, number in self.page_breaks:
            if start > offset:
                break
            page = number
        return page


class Record(PagedText):
    """One unit of meaning of a yearbook: an entry, article, chronicle day, table or text block."""

    id: str
    yearbook: str
    kind: RecordKind
    path: list[str]  # 类目 › 分目 › 条目, or 附录 › document › (chapter ›) article
    title: str  # text: repaired text, paragraphs separated by "\n"
    doc_number: str | None = None  # e.g. 金区政办发〔2019〕165号, for regulation articles
    source_lines: tuple[int, int]  # first and last line (1-based) in the source text

    @property
    def category(self) -> str:
        return self.path[0]


class Chunk(PagedText):
    """A retrievable piece of one record, never spanning two records."""

    id: str
    record_id: str
    yearbook: str
    kind: RecordKind
    path: list[str]
    start: int  # character offsets in the record's text of what this chunk holds
    end: int
    doc_number: str | None = None

    @property
    def category(self) -> str:
        return self.path[0]

    @property
    def chronicle_date(self) -> str | None:
        """A 大事记 day's date, from its headings (月 › 日): the day's text prints neither."""
        return f"{self.path[1]}{self.path[2]}" if self.kind == "chronicle" and len(self.path) >= 3 else None

    def indexed_text(self) -> str:
        """What the retrievers see: the path first, so titles such as 【综合经济】 match too."""
        heading = " › ".join(self.path)
        if self.doc_number:
            heading += f" {self.doc_number}"
        return f"{heading}\n{self.text}"


ModelT = TypeVar("ModelT", bound=BaseModel)


def to_jsonl(items: list[BaseModel]) -> str:
    """One JSON object a line, UTF-8 kept readable: how records and chunks are stored."""
    return "".join(json.dumps(item.model_dump(mode="json"), ensure_ascii=False) + "\n" for item in items)


def read_jsonl(path: Path, model: type[ModelT]) -> list[ModelT]:
    """Items written by `to_jsonl`."""
    with path.open(encoding="utf-8") as handle:
        return [model.model_validate_json(line) for line in handle if line.strip()]
