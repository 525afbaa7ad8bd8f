"""GET /api/sections/{id} — the whole record a citation points into ("view source")."""

from __future__ import annotations

from fastapi import APIRouter

from qa.api.deps import PipelineDep
from qa.api.errors import ApiError
from qa.api.schemas import ErrorResponse, Section, section_of
from qa.pipeline import Pipeline
from qa.records import Record

router = APIRouter()


@router.get("/api/sections/{record_id}", response_model=Section, responses={404: {"model": ErrorResponse}})
def section(record_id: str, pipeline: PipelineDep) -> Section:
    """The full text of one entry, article, chronicle day, table or block, with its path and pages."""
    return section_of(record_or_404(pipeline, record_id))


def record_or_404(pipeline: Pipeline, record_id: str) -> Record:
    """The record with this id, or a 404 in both languages."""
    record = pipeline.index.records.get(record_id)
    if record is None:
        raise ApiError(404, "section_not_found", f"没有编号为 {record_id} 的条目。", f"No section with id '{record_id}'.")
    return record
