"""What operators see: Prometheus metrics at /metrics and one JSON log line per request.

Labels are route templates, never raw paths or questions, so a scan of random URLs cannot grow the
metric series without bound. With several workers, prometheus-client's multiprocess mode (a
folder named by PROMETHEUS_MULTIPROC_DIR, which `qa serve` sets before it starts them) adds up all
workers' counts. A question's text reaches the log only when `QA_LOG_QUESTIONS` says so.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from datetime import datetime

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import REGISTRY, multiprocess
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.answers import AskResult

log = logging.getLogger("qa.access")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

REQUESTS = Counter("qa_requests_total", "HTTP requests by route, method and status.", ["route", "method", "status"])
LATENCY = Histogram("qa_request_seconds", "HTTP request latency by route.", ["route"],
                    buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30))
ANSWERS = Counter("qa_answers_total", "Answers by mode, whether the book answered, and whether a headline was shown.",
                  ["mode", "answerable", "headline"])
LLM_FALLBACKS = Counter("qa_llm_fallbacks_total", "Questions asked of the LLM that were answered extractively instead.")
RATE_LIMITED = Counter("qa_rate_limited_total", "Requests refused by the per-client rate limit.")
INDEX_BUILT = Gauge("qa_index_built_timestamp_seconds", "When the served index was built (Unix time).",
                    multiprocess_mode="max")

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics() -> Response:
    """Prometheus text format; all workers' counts when several serve."""
    registry = REGISTRY
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def record_answer(request: Request, result: AskResult, llm_wanted: bool) -> None:
    """Count one answer, and leave what the request's log line reports about it."""
    ANSWERS.labels(result.mode, str(result.answerable).lower(), str(result.short_answer is not None).lower()).inc()
    if llm_wanted and result.answerable and result.mode != "llm":
        LLM_FALLBACKS.inc()
    request.state.answer = {"mode": result.mode, "answerable": result.answerable}
    request.state.question = result.question


def record_index(manifest: dict) -> None:
    INDEX_BUILT.set(datetime.fromisoformat(manifest["built_at"]).timestamp())


class RequestLog:
    """Times every request, counts it, and writes one JSON line; adds X-Request-ID to the response."""

    def __init__(self, app: ASGIApp, log_questions: bool) -> None:
        self.app, self.log_questions = app, log_questions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        status, started = 500, time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or ("static" if scope["path"].startswith("/static/")
                                                                  else "unmatched")
            REQUESTS.labels(route, scope["method"], str(status)).inc()
            LATENCY.labels(route).observe(elapsed)
            if status == 429:
                RATE_LIMITED.inc()
            line = {"request_id": request_id, "method": scope["method"], "route": route, "status": status,
                    "ms": round(elapsed * 1000, 2), **state.get("answer", {})}
            if self.log_questions and "question" in state:
                line["question"] = state["question"]
            log.info(json.dumps(line, ensure_ascii=False))


def install_observability(app: FastAPI, log_questions: bool) -> None:
    app.include_router(router)
    app.add_middleware(RequestLog, log_questions=log_questions)
