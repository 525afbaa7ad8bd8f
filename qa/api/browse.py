"""Browsing for staff: the categories to filter by, and whole documents to read in order."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from qa.api.deps import PipelineDep
from qa.api.sections import record_or_404
from qa.api.schemas import ErrorResponse, Section, section_of

router = APIRouter()


class Categories(BaseModel):
    yearbooks: list[str]
    categories: list[str]


class DocumentView(BaseModel):
    """A regulation with all its articles in order, or a single entry."""

    title: str
    doc_number: str | None
    page_start: int | None
    records: list[Section]


@router.get("/api/categories", response_model=Categories)
def categories(pipeline: PipelineDep) -> Categories:
    """Yearbook ids and 类目 names, in book order, for search filters."""
    return Categories(yearbooks=pipeline.retriever.yearbooks, categories=pipeline.retriever.categories)


@router.get("/api/documents/{record_id}", response_model=DocumentView, responses={404: {"model": ErrorResponse}})
def document(record_id: str, pipeline: PipelineDep) -> DocumentView:
    """The document a record belongs to: every article of a regulation in order, or the record alone."""
    records = pipeline.index.records
    record = record_or_404(pipeline, record_id)
    if record.doc_number or record.kind == "article":
        members = [r for r in records.values()
                   if r.yearbook == record.yearbook and r.path[:2] == record.path[:2] and r.doc_number == record.doc_number]
        title = record.path[1]
    else:
        members, title = [record], record.title
    return DocumentView(title=title, doc_number=record.doc_number, page_start=members[0].page_start,
                        records=[section_of(r) for r in members])
