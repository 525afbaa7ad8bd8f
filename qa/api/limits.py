"""Limits at the edge, as plain ASGI middleware: bounded bodies, stalled bodies, load and per-client rates.

They wrap the ASGI `receive` channel rather than trusting headers: a chunked body carries no
Content-Length, so the only honest cap counts the bytes as they arrive. Each limit answers with the
service's bilingual JSON error and a `Retry-After` where waiting helps, and never queues: a request
the worker cannot take now is told so at once instead of hanging.
"""

from __future__ import annotations

import asyncio
import math
import time

from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.api.errors import ApiError, PassThroughError, error_response

RATE_LIMITED_PATHS = frozenset({"/api/ask", "/api/search", "/api/feedback"})


def body_too_large(limit: int) -> ApiError:
    return ApiError(413, "body_too_large", f"请求体不能超过 {limit // 1024} KB。",
                    f"The request body must be at most {limit // 1024} KB.", headers={"Connection": "close"})


def body_timed_out(seconds: float) -> ApiError:
    return ApiError(408, "request_timeout", f"请求体在 {seconds:g} 秒内没有传完。",
                    f"The request body did not arrive within {seconds:g} s.", headers={"Connection": "close"})


class BoundedBodies:
    """413 once a body passes `max_bytes` (declared or counted), 408 when it stalls for `timeout_s`."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout_s: float) -> None:
        self.app, self.max_bytes, self.timeout_s = app, max_bytes, timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await error_response(body_too_large(self.max_bytes))(scope, receive, send)
            return
        received, body_done, started = 0, False, False

        async def bounded_receive() -> Message:
            nonlocal received, body_done
            if body_done:  # after the body only disconnects come; streams wait on them for long
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.timeout_s)
            except TimeoutError:
                raise PassThroughError(body_timed_out(self.timeout_s)) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise PassThroughError(body_too_large(self.max_bytes))
                body_done = not message.get("more_body", False)
            else:
                body_done = True
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracked_send)
        except PassThroughError as refused:
            if not started:
                await error_response(refused.error)(scope, receive, send)


class ConcurrencyCap:
    """At most `limit` API requests in flight in this worker; the next gets 503 and Retry-After: 1."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit, self.in_flight = app, limit, 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            busy = ApiError(503, "busy", "服务繁忙，请稍后再试。", "The service is busy; please retry shortly.",
                            headers={"Retry-After": "1"})
            await error_response(busy)(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


class RateLimit:
    """Per-client moving-window limits (the `limits` library, as slowapi uses) on the answering routes.

    The client is the peer address, which uvicorn rewrites from X-Forwarded-For only for trusted
    proxies (`--forwarded-allow-ips`). Counters live in `storage` (memory: per worker).
    """

    def __init__(self, app: ASGIApp, rate: str, storage: str) -> None:
        self.app = app
        self.items = parse_many(rate) if rate.strip() else []
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.items or scope["type"] != "http" or scope["path"] not in RATE_LIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        for item in self.items:
            if not self.limiter.hit(item, client):
                reset_at, _ = self.limiter.get_window_stats(item, client)
                wait = max(1, math.ceil(reset_at - time.time()))
                limited = ApiError(429, "rate_limited", f"请求太频繁，请 {wait} 秒后再试。",
                                   f"Too many requests; retry in {wait} s.", headers={"Retry-After": str(wait)})
                await error_response(limited)(scope, receive, send)
                return
        await self.app(scope, receive, send)
