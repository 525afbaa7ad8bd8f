"""A local OpenAI-compatible chat server for tests, run over real HTTP on a free loopback port.

The requested model name picks the behaviour: fake-ok (answers from passage [1] with a [1]
marker, or refuses when asked to), fake-badmarker (cites a passage that does not exist), fake-slow
(sleeps past the client's timeout), fake-500, fake-garbage (invalid JSON). Streaming is supported.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse


app = FastAPI()


def _reply_text(model: str, prompt: str) -> str:
    passage = re.search(r"\[1\] （[^）]*）(.+)", prompt)
    first = re.split(r"(?<=[。！？])", passage.group(1))[0] if passage else ""
    if model == "fake-badmarker":
        return f"据年鉴记载，{first}[7]"
    if "完全无关的问题" in prompt or not first:
        return "年鉴中未找到相关信息。"
    return f"据年鉴记载，{first}[1]"


@app.post("/v1/chat/completions")
async def chat(request: Request):
    body = await request.json()
    model = body.get("model", "")
    prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
    if model == "fake-slow":
        await asyncio.sleep(3)
    if model == "fake-500":
        return JSONResponse(status_code=500, content={"error": {"message": "internal error"}})
    if model == "fake-garbage":
        return PlainTextResponse("this is not json{", media_type="application/json")
    text = _reply_text(model, prompt)
    if body.get("stream"):
        def events() -> Iterator[str]:
            for i in range(0, len(text), 4):
                delta = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": model,
                         "choices": [{"index": 0, "delta": {"content": text[i : i + 4]}, "finish_reason": None}]}
                yield f"data: {json.dumps(delta, ensure_ascii=False)}\n\n"
            yield "data: [DONE]\n\n"
        return StreamingResponse(events(), media_type="text/event-stream")
    return {
        "id": "x", "object": "chat.completion", "created": 0, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


@contextmanager
def running_server(application: FastAPI) -> Iterator[str]:
    """Serve `application` over real HTTP on a free loopback port; yield its base URL."""
    url, stop = serve_in_background(application)
    try:
        yield url
    finally:
        stop()


def serve_in_background(app) -> tuple[str, Callable[[], None]]:
    """Serve an ASGI app on a free loopback port from a thread of this process; return (url, stop)."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    if not server.started:
        raise RuntimeError("the service did not start")

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

    return f"http://127.0.0.1:{sock.getsockname()[1]}", stop
