"""POST /api/ask — answer a question with citations, or refuse plainly (optionally streamed as SSE)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from qa.answers import AskResult
from qa.api.deps import PipelineDep
from qa.api.observability import record_answer
from qa.api.schemas import ERROR_RESPONSES, AskRequest, AskResponse

router = APIRouter()
log = logging.getLogger(__name__)


@router.post(
    "/api/ask", response_model=AskResponse,
    responses={**ERROR_RESPONSES, 200: {"content": {"text/event-stream": {}}}},
)
def ask(request: AskRequest, http: Request, pipeline: PipelineDep):
    """Answer a question from the yearbook, citing the exact passages (path and printed page)."""
    filters = request.filters.to_search()
    pipeline.retriever.allowed(filters)  # unknown filter values: 422 before any streaming starts
    llm_wanted = request.mode != "extractive" and pipeline.llm is not None
    if request.stream:
        events = pipeline.ask_stream(request.question, request.top_k, request.mode, filters)
        return StreamingResponse(_server_sent(events, lambda result: record_answer(http, result, llm_wanted)),
                                 media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
    result = pipeline.ask(request.question, request.top_k, request.mode, filters)
    record_answer(http, result, llm_wanted)
    return result


def _server_sent(events: Iterator[tuple[str, object]], answered: Callable[[AskResult], None]) -> Iterator[str]:
    """token events carry text deltas; then `answer` (the whole response) or `error`; always `done` last.

    The status line has gone out before the first event, so a failure midway cannot become a 5xx:
    it becomes an `error` event, and the client still sees the stream end.
    """
    try:
        for name, payload in events:
            if name == "answer":
                answered(payload)  # type: ignore[arg-type]
            data = payload.model_dump(mode="json") if name == "answer" else {"text": payload}  # type: ignore[union-attr]
            yield _event(name, data)
    except Exception:
        log.exception("streamed answer failed")
        yield _event("error", {"code": "internal", "message_zh": "回答中途出错，请重试。",
                               "message_en": "The answer failed midway; please retry."})
    yield _event("done", {})


def _event(name: str, data: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"

