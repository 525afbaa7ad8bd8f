"""POST /api/ask — answer a question with citations, or refuse plainly (optionally streamed as SSE)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from qa.api.deps import PipelineDep
from qa.api.schemas import AskRequest, AskResponse, ErrorResponse

router = APIRouter()


@router.post(
    "/api/ask", response_model=AskResponse,
    responses={422: {"model": ErrorResponse}, 200: {"content": {"text/event-stream": {}}}},
)
def ask(request: AskRequest, pipeline: PipelineDep):
    """Answer a question from the yearbook, citing the exact passages (path and printed page)."""
    filters = request.filters.to_search()
    pipeline.retriever.allowed(filters)  # unknown filter values: 422 before any streaming starts
    if request.stream:
        events = pipeline.ask_stream(request.question, request.top_k, request.mode, filters)
        return StreamingResponse(_server_sent(events), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})
    return pipeline.ask(request.question, request.top_k, request.mode, filters)


def _server_sent(events: Iterator[tuple[str, object]]) -> Iterator[str]:
    """token events carry text deltas; the final answer event carries the whole response; then done."""
    for name, payload in events:
        data = payload.model_dump(mode="json") if name == "answer" else {"text": payload}  # type: ignore[union-attr]
        yield f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
    yield "event: done\ndata: {}\n\n"

