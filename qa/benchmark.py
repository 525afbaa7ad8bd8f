"""Benchmarks that print their figures (never asserted in tests: this machine is shared and noisy).

`qa bench index`: index build time from the parsed corpus, in-process search latency, index size.
`qa bench api`: /api/ask latency over real HTTP against a running service, warm, and throughput
under concurrency. Figures are medians and percentiles of repeated runs.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

from qa.config import Settings
from qa.evaluation.metrics import percentile

BENCH_QUERIES = [
    "金川区2019年地区生产总值是多少", "农村饮水安全工程水费逾期怎么办", "区委书记是谁", "双湾镇", "粮食总产量",
    "金水湖湿地公园", "城乡居民养老保险参保率", "公租房摇号", "旅游收入", "全国文明城市",
]


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def bench_index(settings: Settings, builds: int, rounds: int) -> dict[str, float]:
    """Build the index (with its answer models) `builds` times and search BENCH_QUERIES `rounds` times each, warm."""
    from qa.embedding import load_embedder
    from qa.pipeline import Pipeline
    from qa.store import build_index
    from qa.training import fit_answer_models

    embedder = load_embedder(settings.embedding_model, settings.cache_dir, settings.embedding_query_prefix)
    build_seconds = []
    for _ in range(builds):
        started = time.perf_counter()
        build_index(settings, embedder, train=lambda index, tuned: fit_answer_models(settings, tuned, index))
        build_seconds.append(time.perf_counter() - started)
    pipeline = Pipeline.load(settings)
    for query in BENCH_QUERIES:  # warm-up
        pipeline.retriever.search(query, 5)
    latencies = []
    for _ in range(rounds):
        for query in BENCH_QUERIES:
            started = time.perf_counter()
            pipeline.retriever.search(query, 5)
            latencies.append((time.perf_counter() - started) * 1000)
    return {
        "build_s_median": statistics.median(build_seconds),
        "search_ms_p50": percentile(latencies, 0.5),
        "search_ms_p95": percentile(latencies, 0.95),
        "searches": len(latencies),
        "index_mb": folder_size(settings.index_path()) / 2**20,
        "chunks": len(pipeline.index.chunks),
    }


def bench_api(url: str, rounds: int, concurrency: int) -> dict[str, float]:
    """Warm /api/ask latency over HTTP (sequential), then throughput with `concurrency` clients."""
    import httpx
    from concurrent.futures import ThreadPoolExecutor

    with httpx.Client(base_url=url, timeout=60) as client:
        for query in BENCH_QUERIES:  # warm-up
            client.post("/api/ask", json={"question": query})
        latencies = []
        for _ in range(rounds):
            for query in BENCH_QUERIES:
                started = time.perf_counter()
                client.post("/api/ask", json={"question": query}).raise_for_status()
                latencies.append((time.perf_counter() - started) * 1000)

    def worker(n: int) -> int:
        with httpx.Client(base_url=url, timeout=60) as client:
            for query in BENCH_QUERIES * rounds:
                client.post("/api/ask", json={"question": query}).raise_for_status()
        return len(BENCH_QUERIES) * rounds

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        total = sum(pool.map(worker, range(concurrency)))
    elapsed = time.perf_counter() - started
    return {"ask_ms_p50": percentile(latencies, 0.5), "ask_ms_p95": percentile(latencies, 0.95),
            "requests": len(latencies), "throughput_rps": total / elapsed, "concurrency": concurrency}


def serve_in_background(app) -> tuple[str, Callable[[], None]]:
    """Serve an ASGI app on a free loopback port from a thread of this process; return (url, stop)."""
    import socket
    import threading

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
