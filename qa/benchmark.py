"""Benchmarks that print their figures (never asserted in tests: this machine is shared and noisy).

`qa bench index`: index build time from the parsed corpus, in-process search latency, index size.
`qa bench api`: starts `qa serve` with its workers (or uses a running service) and asks a mix of
real questions at concurrency 1, 4 and 16: requests/s and p50/p95/p99 over real HTTP, and the
memory of all its processes at rest. Figures are medians and percentiles of repeated runs.
"""

from __future__ import annotations

import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


def benchmark_questions(settings: Settings) -> list[str]:
    """A mix of real questions: the dev split of the evaluation set (falling back to BENCH_QUERIES)."""
    from qa.evaluation.dataset import load_dataset

    questions = [record.question for record in load_dataset(settings.eval_dataset, "dev")]
    return questions or BENCH_QUERIES


def bench_api(url: str, questions: list[str], seconds: float, concurrencies: tuple[int, ...]) -> list[dict[str, float]]:
    """For each concurrency: clients asking in a closed loop for `seconds`; req/s and latency percentiles.

    Clients are asyncio tasks over keep-alive connections (one client process), so the load
    generator takes as little as possible of the cores the service is measured on.
    """
    import asyncio

    import httpx

    async def run(concurrency: int) -> dict[str, float]:
        latencies: list[float] = []
        failures = 0
        deadline = time.perf_counter() + seconds

        async def client(n: int) -> None:
            nonlocal failures
            async with httpx.AsyncClient(base_url=url, timeout=60) as session:
                i = n
                while time.perf_counter() < deadline:
                    question = questions[i % len(questions)]
                    i += concurrency
                    started = time.perf_counter()
                    response = await session.post("/api/ask", json={"question": question, "mode": "extractive"})
                    latencies.append((time.perf_counter() - started) * 1000)
                    failures += response.status_code != 200

        async with httpx.AsyncClient(base_url=url, timeout=60) as warm:  # every worker answers once or more
            for question in questions[:20]:
                await warm.post("/api/ask", json={"question": question, "mode": "extractive"})
        started = time.perf_counter()
        await asyncio.gather(*(client(n) for n in range(concurrency)))
        elapsed = time.perf_counter() - started
        return {"concurrency": concurrency, "requests": len(latencies), "failures": failures,
                "rps": len(latencies) / elapsed, "p50": percentile(latencies, 0.5),
                "p95": percentile(latencies, 0.95), "p99": percentile(latencies, 0.99)}

    return [asyncio.run(run(concurrency)) for concurrency in concurrencies]


def service_memory(pid: int) -> dict[str, float]:
    """RSS and PSS (shared pages split between the processes that map them) of a process and its children, in MB."""
    import psutil

    processes = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    infos = [process.memory_full_info() for process in processes]
    return {"processes": len(processes), "rss_mb": sum(i.rss for i in infos) / 2**20,
            "pss_mb": sum(i.pss for i in infos) / 2**20}


def free_port() -> int:
    """A loopback port free at this moment, for a server started next."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def qa_serve_process(workers: int, environment: dict[str, str], log: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """A real `qa serve` on a free loopback port, its output in `log`; yields (url, process) once
    it answers /api/health, and stops it (SIGINT, then kill) by its pid afterwards."""
    import httpx

    port = free_port()
    with log.open("wb") as sink:  # a file, not a pipe: a pipe nobody reads would stall a chatty server
        process = subprocess.Popen(
            [sys.executable, "-m", "qa.cli", "serve", "--port", str(port), "--workers", str(workers)],
            env=environment, stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while process.poll() is None and time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            raise RuntimeError(f"qa serve did not come up:\n{log.read_text(errors='replace')[-3000:]}")
        yield url, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
