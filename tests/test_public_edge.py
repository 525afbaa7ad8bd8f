"""The probes of a public deployment, each against a real `qa serve` process over real HTTP (or raw sockets).

Oversized chunked bodies, stalled headers and bodies, lone surrogates, per-client rate limits,
the concurrency cap, a slow LLM that must not block anything else, security headers, metrics and
the JSON request log. Timeouts here are the tests' own patience, never asserted speeds.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid

import httpx
import pytest

from fake_llm import app as fake_llm_app
from fake_llm import running_server
from served import qa_serve

pytestmark = pytest.mark.slow
LIMITS = {"QA_RATE_LIMIT": "5/minute", "QA_HEADER_TIMEOUT_S": "1", "QA_BODY_TIMEOUT_S": "1",
          "QA_MAX_BODY_BYTES": str(64 * 1024)}


def as_client(ip: str | None = None) -> dict[str, str]:
    return {"X-Forwarded-For": ip or f"203.0.113.{uuid.uuid4().int % 254 + 1}"}


@pytest.fixture(scope="module")
def served(index_settings, built_index):
    with qa_serve(index_settings, **LIMITS) as server:
        yield server


def raw_exchange(port: int, payload: bytes, pause_after: bool = False, patience: float = 20) -> bytes:
    """Send `payload` over a fresh connection (then stall, if asked) and read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=patience) as sock:
        sock.sendall(payload)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except TimeoutError:
            pytest.fail(f"the server held the connection for {patience} s; got {received[:200]!r}")
        return received


def test_a_chunked_body_past_the_cap_is_refused_while_it_arrives(served):
    head = (b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    piece = b"a" * 65536
    with socket.create_connection(("127.0.0.1", served.port), timeout=20) as sock:
        sock.sendall(head)
        sent = 0
        try:
            for _ in range(160):  # 10 MB, unless the server stops listening first
                sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                sent += len(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass
        reply = sock.recv(65536)
    assert reply.startswith(b"HTTP/1.1 413")
    assert "请求体不能超过" in reply.decode("utf-8", "replace")
    assert sent < 10 * 2**20  # refused while arriving, not after reading it all
    assert httpx.get(f"{served.url}/api/health").status_code == 200


def test_a_declared_oversize_body_is_refused_before_it_is_read(served):
    head = (b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 200000000\r\n\r\n")
    assert raw_exchange(served.port, head).startswith(b"HTTP/1.1 413")


def test_a_stalled_body_gets_408_and_the_connection_closes(served):
    head = (b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{\"question\": ")
    reply = raw_exchange(served.port, head)
    assert reply.startswith(b"HTTP/1.1 408")
    assert b"request_timeout" in reply


@pytest.mark.parametrize("payload", [b"", b"POST /api/ask HTTP/1.1\r\nHost: x\r\n"], ids=["silent", "half-headers"])
def test_stalled_headers_get_408_and_the_connection_closes(served, payload):
    reply = raw_exchange(served.port, payload)
    assert reply == b"" or reply.startswith(b"HTTP/1.1 408")


@pytest.mark.parametrize("route,field", [("/api/ask", "question"), ("/api/search", "query")])
def test_a_lone_surrogate_is_a_clear_422(served, route, field):
    body = ('{"%s": "\\udc80"}' % field).encode()
    response = httpx.post(served.url + route, content=body, headers={"Content-Type": "application/json",
                                                                     **as_client()})
    assert response.status_code == 422
    assert "UTF-8" in response.json()["error"]["message_en"]
    streamed = httpx.post(served.url + "/api/ask", content=b'{"question": "\\ud800x", "stream": true}',
                          headers={"Content-Type": "application/json", **as_client()})
    assert streamed.status_code == 422


def test_an_undecodable_body_is_400(served):
    response = httpx.post(served.url + "/api/ask", content=b'{"question": "\xff\xfe"}',
                          headers={"Content-Type": "application/json", **as_client()})
    assert response.status_code in (400, 422)
    assert response.json()["error"]["code"] in ("bad_request", "invalid_request")


def test_the_rate_limit_answers_429_with_retry_after_per_client(served):
    ip = as_client("192.0.2.10")
    codes = [httpx.post(served.url + "/api/search", json={"query": "粮食总产量"}, headers=ip).status_code
             for _ in range(6)]
    assert codes == [200] * 5 + [429]
    limited = httpx.post(served.url + "/api/search", json={"query": "粮食总产量"}, headers=ip)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert "请求太频繁" in limited.json()["error"]["message_zh"]
    other = httpx.post(served.url + "/api/search", json={"query": "粮食总产量"}, headers=as_client("192.0.2.11"))
    assert other.status_code == 200  # one client's flood does not lock out the next
    assert httpx.get(served.url + "/api/health").status_code == 200  # nor health checks


def test_405_names_the_allowed_methods(served):
    response = httpx.get(served.url + "/api/ask")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]


def test_security_headers_on_the_page_the_api_and_errors(served):
    for path in ("/", "/api/health", "/static/app.js", "/no/such/page"):
        response = httpx.get(served.url + path)
        policy = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert httpx.get(served.url + "/docs").status_code == 404  # off unless QA_DOCS


def test_metrics_and_one_json_log_line_per_request_without_the_question(served):
    question = "区委书记是谁？"
    answer = httpx.post(served.url + "/api/ask", json={"question": question},
                        headers={**as_client(), "X-Request-ID": "probe-42"})
    assert answer.status_code == 200 and answer.headers["X-Request-ID"] == "probe-42"
    metrics = httpx.get(served.url + "/metrics").text
    assert 'qa_requests_total{method="POST",route="/api/ask",status="200"}' in metrics
    assert "qa_answers_total{" in metrics and "qa_index_built_timestamp_seconds" in metrics
    assert "qa_rate_limited_total" in metrics
    time.sleep(0.5)  # the log line is written after the response
    lines = [json.loads(line) for line in served.output().splitlines() if line.startswith("{")]
    mine = [line for line in lines if line.get("request_id") == "probe-42"]
    assert len(mine) == 1
    assert mine[0]["route"] == "/api/ask" and mine[0]["status"] == 200 and mine[0]["mode"] == "extractive"
    assert "answerable" in mine[0] and "ms" in mine[0]
    assert question not in served.output()


def test_a_slow_llm_holds_only_its_own_pool(index_settings, built_index):
    """Six LLM questions against a 3-second LLM with two slots: two wait for it, four are answered
    extractively with a notice at once, and health, extractive asks and files answer meanwhile."""
    with running_server(fake_llm_app) as llm_url, qa_serve(
            index_settings, QA_LLM_BASE_URL=f"{llm_url}/v1", QA_LLM_MODEL="fake-slow", QA_LLM_TIMEOUT_S="20",
            QA_LLM_CONCURRENCY="2") as server:
        finished: dict[str, float] = {}
        results: list[dict] = []

        def ask_llm(n: int) -> None:
            response = httpx.post(server.url + "/api/ask", json={"question": "区委书记是谁？", "mode": "llm"},
                                  timeout=60)
            results.append(response.json())
            finished.setdefault("first_llm" if response.json()["mode"] == "llm" else f"busy{n}", time.monotonic())

        threads = [threading.Thread(target=ask_llm, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        assert httpx.get(server.url + "/api/health", timeout=60).status_code == 200
        extractive = httpx.post(server.url + "/api/ask", json={"question": "区委书记是谁？", "mode": "extractive"},
                                timeout=60)
        assert httpx.get(server.url + "/", timeout=60).status_code == 200
        others_done = time.monotonic()
        for thread in threads:
            thread.join()
        assert extractive.status_code == 200
        assert others_done < finished["first_llm"]  # nothing waited for the slow LLM
        modes = sorted(result["mode"] for result in results)
        assert modes == ["extractive"] * 4 + ["llm"] * 2
        busy = [result["notice"] for result in results if result["mode"] == "extractive"]
        assert all("busy" in notice for notice in busy)


def test_llm_failures_name_the_kind_never_the_exception(index_settings, built_index):
    with running_server(fake_llm_app) as llm_url, qa_serve(
            index_settings, QA_LLM_BASE_URL=f"{llm_url}/v1", QA_LLM_MODEL="fake-garbage") as server:
        result = httpx.post(server.url + "/api/ask", json={"question": "区委书记是谁？", "mode": "llm"}, timeout=60).json()
        assert result["mode"] == "extractive" and "bad response" in result["notice"]
        assert "Error" not in result["notice"] and "Traceback" not in result["notice"]


def test_past_the_concurrency_cap_requests_get_503_not_a_queue(index_settings, built_index):
    with running_server(fake_llm_app) as llm_url, qa_serve(
            index_settings, QA_LLM_BASE_URL=f"{llm_url}/v1", QA_LLM_MODEL="fake-slow", QA_LLM_TIMEOUT_S="20",
            QA_MAX_CONCURRENT_REQUESTS="1") as server:
        slow = threading.Thread(target=httpx.post, args=(server.url + "/api/ask",),
                                kwargs={"json": {"question": "区委书记是谁？", "mode": "llm"}, "timeout": 60})
        slow.start()
        time.sleep(1)  # the slow question now holds the only place
        busy = httpx.post(server.url + "/api/search", json={"query": "粮食总产量"}, timeout=60)
        slow.join()
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
        assert httpx.post(server.url + "/api/search", json={"query": "粮食总产量"}, timeout=60).status_code == 200
