"""POST /api/feedback — a citizen's verdict on an answer, stored with the index that gave it."""

from __future__ import annotations

from fastapi import APIRouter

from qa.api.deps import FeedbackStoreDep, PipelineDep
from qa.api.errors import ApiError
from qa.api.schemas import ERROR_RESPONSES, ErrorResponse, FeedbackCreated, FeedbackRequest
from qa.feedback import NewFeedback

router = APIRouter()


@router.post("/api/feedback", status_code=201, response_model=FeedbackCreated,
             responses={**ERROR_RESPONSES, 409: {"model": ErrorResponse,
                                                 "description": "A cited passage is not in the serving index."}})
def post_feedback(request: FeedbackRequest, pipeline: PipelineDep, store: FeedbackStoreDep) -> FeedbackCreated:
    """Store the verdict. Cited chunk ids must belong to the serving index, so that the stored
    `index_built_at` truly names the index whose passages the citizen saw."""
    chunk_by_id = pipeline.index.chunk_by_id
    unknown = [chunk_id for chunk_id in request.chunk_ids if chunk_id not in chunk_by_id]
    if unknown:
        raise ApiError(409, "unknown_chunk", f"索引中没有这些段落：{', '.join(unknown)}",
                       f"No such passages in the serving index: {', '.join(unknown)}")
    manifest = pipeline.index.manifest
    first = chunk_by_id[request.chunk_ids[0]] if request.chunk_ids else None
    books = [book["yearbook"] for book in manifest["corpus"]]
    record = store.add(NewFeedback(
        question=request.question, answer=request.answer, verdict=request.verdict, comment=request.comment,
        chunk_ids=request.chunk_ids,
        yearbook=first.yearbook if first else (books[0] if len(books) == 1 else None),
        category=first.category if first else None,
        index_built_at=manifest.get("built_at"),
    ))
    return FeedbackCreated(id=record.id, created_at=record.created_at)
