"""`qa bench scale`: how build time, size on disk, memory and search latency grow with the number of
yearbooks, for each backend, measured on synthetic corpora made from the real book.

A corpus of N yearbooks is the built index re-labelled N times: copy j gets its own yearbook id and
chunk ids, and every digit of its text is shifted by j (2019 → 3120 for j = 1…), so that copies
are not byte-identical and their figures differ as different counties' would, while the words
stay real Chinese. Token lists are translated the same way instead of re-segmented and the
vectors are reused (a digit shift barely moves a word-vector embedding): the figures are those of
the index build and the search, not of jieba or the embedding model. The Milvus side runs a
milvus-lite server started here on a temporary folder; its RSS is that server process's.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import psutil

from qa.benchmark import BENCH_QUERIES, folder_size, free_port
from qa.config import Settings
from qa.evaluation.metrics import percentile
from qa.lexical import BM25Field
from qa.records import Chunk
from qa.store import LoadedIndex
from qa.vector import build_vector_index, load_vector_index, save_vector_index

DIGITS = "0123456789"


def shift_digits(copy: int) -> dict[int, int]:
    """The translation table of copy `copy`: every digit d becomes (d + copy) mod 10."""
    return str.maketrans(DIGITS, DIGITS[copy % 10:] + DIGITS[:copy % 10])


def synthetic_chunks(chunks: list[Chunk], copies: int) -> list[Chunk]:
    """The book's chunks re-labelled as `copies` yearbooks, digits shifted per copy."""
    out = []
    for copy in range(copies):
        table = shift_digits(copy)
        out += [chunk.model_copy(update={"id": f"s{copy:03d}:{chunk.id}", "yearbook": f"synthetic-{copy:03d}",
                                         "text": chunk.text.translate(table)}) for chunk in chunks]
    return out


def _rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


def _latencies(search: Callable[[str], object], rounds: int) -> list[float]:
    for query in BENCH_QUERIES:  # warm-up
        search(query)
    latencies = []
    for _ in range(rounds):
        for query in BENCH_QUERIES:
            started = time.perf_counter()
            search(query)
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def _figures(n: int, chunks: int, build_s: float, disk_bytes: int, rss_mb: float, latencies: list[float]) -> dict:
    return {"yearbooks": n, "chunks": chunks, "build_s": round(build_s, 2), "disk_mb": round(disk_bytes / 2**20, 1),
            "rss_mb": round(rss_mb, 1), "search_ms_p50": round(percentile(latencies, 0.5), 2),
            "search_ms_p95": round(percentile(latencies, 0.95), 2)}


def bench_embedded(settings: Settings, index: LoadedIndex, embedder, n: int, rounds: int, workdir: Path) -> dict:
    """Build the BM25 fields and the FAISS index of N yearbooks, store them, load them, search them."""
    from qa.retrieval import Retriever

    indexed = [chunk.indexed_text() for chunk in index.chunks]
    words = [index.analyzer.words(text) for text in indexed]
    bigrams = [index.analyzer.bigrams(text) for text in indexed]
    vectors = index.vectors.reconstruct_n(0, index.vectors.ntotal)
    rss_before = _rss_mb(os.getpid())
    started = time.perf_counter()
    tables = [shift_digits(copy) for copy in range(n)]
    words_field = BM25Field.build([[t.translate(table) for t in tokens] for table in tables for tokens in words])
    bigrams_field = BM25Field.build([[t.translate(table) for t in tokens] for table in tables for tokens in bigrams])
    vector_index = build_vector_index(np.tile(vectors, (n, 1)), settings.faiss_kind)
    folder = workdir / f"embedded-{n}"
    folder.mkdir()
    words_field.save(folder / "bm25_words")
    bigrams_field.save(folder / "bm25_bigrams")
    save_vector_index(vector_index, folder / "vectors.faiss")
    build_s = time.perf_counter() - started
    del words_field, bigrams_field, vector_index
    chunks = synthetic_chunks(index.chunks, n)
    loaded = dataclasses.replace(index, chunks=chunks, words=BM25Field.load(folder / "bm25_words"),
                                 bigrams=BM25Field.load(folder / "bm25_bigrams"),
                                 vectors=load_vector_index(folder / "vectors.faiss"))
    retriever = Retriever(loaded, embedder, settings)
    latencies = _latencies(lambda query: retriever.search(query, 5), rounds)
    return _figures(n, len(chunks), build_s, folder_size(folder), _rss_mb(os.getpid()) - rss_before, latencies)


def bench_milvus(settings: Settings, index: LoadedIndex, embedder, n: int, rounds: int, workdir: Path) -> dict:
    """Write N yearbooks into a fresh milvus-lite server's collection, then search it through the Retriever."""
    from qa.milvus_backend import Engine, MilvusBackend, connect, create_collection, insert_rows, rows_of
    from qa.retrieval import Retriever

    data = workdir / f"milvus-{n}"
    uri, process = start_milvus_lite(data)
    try:
        configured = settings.model_copy(update={"backend": "milvus", "milvus_uri": uri})
        client = connect(configured)
        engine = Engine.of(client)
        name = configured.collection_name()
        user_words = (index.path / "userdict.txt").read_text(encoding="utf-8").split()
        chunks = synthetic_chunks(index.chunks, n)
        synthetic = dataclasses.replace(index, chunks=chunks)
        started = time.perf_counter()
        create_collection(client, name, engine, user_words, index.genre.stopwords, index.manifest["embedding"]["dims"],
                          "qa bench scale")
        vectors = index.vectors.reconstruct_n(0, index.vectors.ntotal)
        for copy in range(n):
            part = chunks[copy * len(index.chunks):(copy + 1) * len(index.chunks)]
            insert_rows(client, name, rows_of(dataclasses.replace(index, chunks=part), vectors=vectors))
        client.flush(name)
        build_s = time.perf_counter() - started
        backend = MilvusBackend(client, name, engine, {chunk.id: i for i, chunk in enumerate(chunks)}, len(chunks),
                                configured.milvus_ranker, configured.candidate_pool, index.analyzer)
        retriever = Retriever(synthetic, embedder, configured, backend)
        latencies = _latencies(lambda query: retriever.search(query, 5), rounds)
        return _figures(n, len(chunks), build_s, folder_size(data), _rss_mb(process.pid), latencies)
    finally:
        stop_milvus_lite(process)


def start_milvus_lite(data: Path, log: Path | None = None) -> tuple[str, subprocess.Popen]:
    """A `milvus-lite server` on a free loopback port over `data` (its output in `log`, if given);
    returns (uri, process). The tests start theirs with this too."""
    from pymilvus import MilvusClient

    port = free_port()
    with (log.open("wb") if log else open(os.devnull, "wb")) as sink:
        process = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(data),
                                    "--host", "127.0.0.1", "--port", str(port)], stdout=sink, stderr=subprocess.STDOUT)
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            MilvusClient(uri=uri, timeout=2).close()
            return uri, process
        except Exception:  # not listening yet
            if process.poll() is not None or time.monotonic() > deadline:
                stop_milvus_lite(process)
                raise RuntimeError("milvus-lite server did not start")
            time.sleep(0.3)


def stop_milvus_lite(process: subprocess.Popen) -> None:
    """Stop the server by its pid."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


def bench_scale(settings: Settings, sizes: list[int], backends: list[str], rounds: int,
                report: Callable[[dict], None]) -> list[dict]:
    """Figures for every (backend, N), reported as each is measured (N = 50 takes minutes)."""
    from qa.store import load_index, load_index_embedder

    embedder, manifest = load_index_embedder(settings)  # the model the index was built with (its fine-tuned copy)
    index = load_index(settings, embedder, manifest)
    rows = []
    workdir = Path(tempfile.mkdtemp(prefix="qa-bench-scale-"))
    try:
        for backend in backends:
            bench = bench_milvus if backend == "milvus" else bench_embedded
            for n in sizes:
                row = {"backend": backend, **bench(settings, index, embedder, n, rounds, workdir)}
                rows.append(row)
                report(row)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return rows
