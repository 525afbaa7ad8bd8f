"""POST /api/search — ranked passages for keywords or a question."""

from __future__ import annotations

import time

from fastapi import APIRouter

from qa.answering import passage_of
from qa.api.deps import PipelineDep
from qa.api.schemas import ERROR_RESPONSES, SearchRequest, SearchResponse

router = APIRouter()


@router.post("/api/search", response_model=SearchResponse, responses=ERROR_RESPONSES)
def search(request: SearchRequest, pipeline: PipelineDep) -> SearchResponse:
    """Search the yearbooks: passages with their section path and printed page, best first."""
    started = time.perf_counter()
    hits = pipeline.retriever.search(request.query, request.top_k, request.filters.to_search(), request.retriever)
    elapsed = round((time.perf_counter() - started) * 1000, 2)
    return SearchResponse(query=request.query, results=[passage_of(hit) for hit in hits], timings_ms={"total": elapsed})
