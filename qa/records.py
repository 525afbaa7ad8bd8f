"""Typed records passed between stages: parsed yearbook records and the chunks cut from them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

RecordKind = Literal["entry", "article", "chronicle", "table", "block"]


class Record(BaseModel):
    """One unit of meaning of a yearbook: an entry, article, chronicle day, table or text block."""

    id: str
    yearbook: str
    kind: RecordKind
    path: list[str]  # 类目 › 分目 › 条目, or 附录 › document › (chapter ›) article
    title: str
    page_start: int | None
    page_end: int | None
    text: str  # repaired text; paragraphs separated by "\n"
    doc_number: str | None = None  # e.g. 金区政办发〔2019〕165号, for regulation articles
    source_lines: tuple[int, int]  # first and last line (1-based) in the source text

    @property
    def category(self) -> str:
        return self.path[0]


class Chunk(BaseModel):
    """A retrievable piece of one record, never spanning two records."""

    id: str
    record_id: str
    yearbook: str
    kind: RecordKind
    path: list[str]
    page_start: int | None
    page_end: int | None
    start: int  # character offsets of `text` in the record's text
    end: int
    text: str
    doc_number: str | None = None

    @property
    def category(self) -> str:
        return self.path[0]

    def indexed_text(self) -> str:
        """What the retrievers see: the path first, so titles such as 【综合经济】 match too."""
        heading = " › ".join(self.path)
        if self.doc_number:
            heading += f" {self.doc_number}"
        return f"{heading}\n{self.text}"
