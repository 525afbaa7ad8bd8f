"""QA_BACKEND=milvus against a real `milvus-lite server` (started by conftest's `milvus_uri`), through
MilvusClient over HTTP: the collection written from the real index, search, filters, fusion,
re-indexing one yearbook while another is queried, and /api/ask from a real `qa serve` process.
Ranks and ids are asserted, never raw scores (milvus-lite's BM25 scores are not the server's)."""

from __future__ import annotations

import dataclasses
import json
import threading
import time

import httpx
import pytest
from pymilvus import MilvusClient

from qa.backend import ChannelQuery
from qa.benchmark import BENCH_QUERIES
from qa.milvus_backend import MilvusBackend, filter_expression, publish, replace_yearbook
from qa.pipeline import Pipeline
from qa.retrieval import SearchFilters, UnknownFilterValue
from qa.store import IndexStoreError

from served import qa_serve

BOOK = "jinchuan-2020"


def _ids(hits) -> list[str]:
    return [hit.chunk.id for hit in hits]


def test_collection_holds_every_chunk_with_its_fields(milvus_settings, pipeline):
    client = MilvusClient(uri=milvus_settings.milvus_uri)
    name = milvus_settings.collection_name()
    chunks = pipeline.index.chunks
    assert client.get_collection_stats(name)["row_count"] == len(chunks)
    sample = [chunks[0], chunks[len(chunks) // 2], chunks[-1]]
    rows = {row["id"]: row for row in client.get(name, ids=[c.id for c in sample],
                                                 output_fields=["yearbook", "category", "path", "page_start", "text"])}
    for chunk in sample:
        row = rows[chunk.id]
        assert (row["yearbook"], row["category"], row["text"]) == (chunk.yearbook, chunk.category, chunk.text)
        assert row["path"] == " › ".join(chunk.path) and row["page_start"] == (chunk.page_start or 0)


def test_search_ranks_the_same_passages_first_as_embedded(milvus_pipeline, pipeline):
    agree = [q for q in BENCH_QUERIES
             if _ids(milvus_pipeline.retriever.search(q, 1)) == _ids(pipeline.retriever.search(q, 1))]
    assert len(agree) >= len(BENCH_QUERIES) - 1, set(BENCH_QUERIES) - set(agree)
    hits = milvus_pipeline.retriever.search("金水湖湿地公园管理办法", 3)
    assert len(hits) == 3 and all("湿地" in hit.chunk.text for hit in hits)


def test_category_and_yearbook_filters_are_milvus_expressions(milvus_pipeline, pipeline):
    appendix, query = SearchFilters(category=["附录"]), "公园"
    everywhere = milvus_pipeline.retriever.search(query, 10)
    assert {hit.chunk.category for hit in everywhere} != {"附录"}  # the filter below has work to do
    hits = milvus_pipeline.retriever.search(query, 5, appendix)
    assert len(hits) == 5 and {hit.chunk.category for hit in hits} == {"附录"}
    assert _ids(hits)[0] == _ids(pipeline.retriever.search(query, 5, appendix))[0]
    assert _ids(milvus_pipeline.retriever.search(query, 5, SearchFilters(yearbook=[BOOK]))) == _ids(everywhere)[:5]
    assert filter_expression(SearchFilters(yearbook=[BOOK], category=["附录"])) == \
        f'yearbook in ["{BOOK}"] and category in ["附录"]'
    with pytest.raises(UnknownFilterValue):
        milvus_pipeline.retriever.search("滞纳金", 5, SearchFilters(yearbook=["nowhere-1999"]))


def _ranked(fused) -> list[int]:
    return sorted((i for i in range(len(fused)) if fused[i] > 0), key=lambda i: (-fused[i], i))


def test_hybrid_search_fuses_the_channels_by_reciprocal_rank(milvus_settings, pipeline):
    """Milvus's RRF over both BM25 channels ranks as RRF computed here from each channel alone."""
    backend = MilvusBackend.connect(milvus_settings.model_copy(update={"milvus_ranker": "rrf"}), pipeline.index)

    def channel_query(words: float, bigrams: float) -> ChannelQuery:
        return ChannelQuery("金川区 地区生产总值 增长", "", None, {"words": words, "bigrams": bigrams, "dense": 0.0},
                            0.5, depth=30)

    words = _ranked(backend.fused(channel_query(1, 0), None, None))
    bigrams = _ranked(backend.fused(channel_query(0, 1), None, None))
    assert words and bigrams and words[:10] != bigrams[:10]
    rrf: dict[int, float] = {}
    for ranking in (words, bigrams):
        for rank, position in enumerate(ranking, start=1):
            rrf[position] = rrf.get(position, 0.0) + 1 / (60 + rank)
    expected = sorted(rrf, key=lambda i: -rrf[i])[:5]
    assert _ranked(backend.fused(channel_query(1, 1), None, None))[:5] == expected


def test_weighted_fusion_follows_the_weights(milvus_settings, pipeline):
    backend = MilvusBackend.connect(milvus_settings, pipeline.index)

    def top(words: float, bigrams: float) -> list[int]:
        query = ChannelQuery("农村饮水 滞纳金 水费", "", None, {"words": words, "bigrams": bigrams, "dense": 0.0}, 0.5, 30)
        return _ranked(backend.fused(query, None, None))[:10]

    assert top(1, 0.001)[:3] == top(1, 0)[:3]  # a negligible second channel leaves the first's order
    assert top(0.001, 1)[:3] == top(0, 1)[:3]


def test_reindexing_one_yearbook_leaves_another_searchable(milvus_settings, pipeline):
    """A second yearbook (the book re-labelled) is written, then re-indexed in place with fewer
    chunks while the first is queried from another thread: every query sees the same ranking."""
    settings = milvus_settings.model_copy(update={"milvus_collection": "qa_reindex_test"})
    publish(settings)
    copy = dataclasses.replace(pipeline.index, chunks=[
        chunk.model_copy(update={"id": f"copy:{chunk.id}", "yearbook": "copy-2020"}) for chunk in pipeline.index.chunks])
    replace_yearbook(settings, copy, "copy-2020")
    client = MilvusClient(uri=settings.milvus_uri)
    count = 'yearbook == "copy-2020"'
    assert len(client.query(settings.collection_name(), filter=count, output_fields=["id"], limit=16384)) == \
        len(copy.chunks)

    searcher = Pipeline.over(settings, pipeline.embedder, pipeline.index,
                             MilvusBackend.connect(settings, pipeline.index)).retriever
    only_book = SearchFilters(yearbook=[BOOK])
    expected = {q: _ids(searcher.search(q, 5, only_book)) for q in BENCH_QUERIES[:4]}
    seen: list[bool] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def query_meanwhile() -> None:
        try:
            while not stop.is_set():
                for question, ids in expected.items():
                    seen.append(_ids(searcher.search(question, 5, only_book)) == ids)
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    reader = threading.Thread(target=query_meanwhile)
    reader.start()
    shrunk = dataclasses.replace(copy, chunks=copy.chunks[:-100])
    try:
        replace_yearbook(settings, shrunk, "copy-2020")
        time.sleep(0.5)
    finally:
        stop.set()
        reader.join(timeout=120)
    assert not failures and seen and all(seen)
    left = client.query(settings.collection_name(), filter=count, output_fields=["id"], limit=16384)
    left_ids = {row["id"] for row in left}
    assert len(left_ids) == len(copy.chunks) - 100 and copy.chunks[-1].id not in left_ids and copy.chunks[0].id in left_ids


def test_missing_collection_is_refused_with_the_fix(milvus_settings, pipeline):
    with pytest.raises(IndexStoreError, match="qa index build --backend milvus"):
        MilvusBackend.connect(milvus_settings.model_copy(update={"milvus_collection": "qa_never_built"}), pipeline.index)


@pytest.mark.slow
def test_qa_serve_with_milvus_backend_answers_over_http(milvus_settings, pipeline):
    """A real `qa serve` process with QA_BACKEND=milvus answers /api/ask with the embedded pipeline's citations."""
    with qa_serve(milvus_settings, QA_BACKEND="milvus", QA_MILVUS_URI=milvus_settings.milvus_uri) as server:
        question = "农村自来水费拖欠了会怎样？"
        body = httpx.post(f"{server.url}/api/ask", json={"question": question}, timeout=60).json()
        embedded = pipeline.ask(question)
        assert body["answerable"] and body["citations"]
        assert [c["chunk_id"] for c in body["citations"]] == [c.chunk_id for c in embedded.citations]
        filtered = httpx.post(f"{server.url}/api/search",
                              json={"query": "滞纳金", "filters": {"category": ["附录"]}}, timeout=60).json()
        assert filtered["results"] and {r["section_path"][0] for r in filtered["results"]} == {"附录"}


def test_rebuild_moves_the_alias_and_one_yearbook_is_rewritten_in_place(milvus_settings, pipeline):
    settings = milvus_settings.model_copy(update={"milvus_collection": "qa_swap_test"})
    first = publish(settings)
    second = publish(settings)
    client = MilvusClient(uri=settings.milvus_uri)
    physical = [name for name in client.list_collections() if name.startswith("qa_swap_test_")]
    assert physical == [second["physical"]] and first["physical"] != second["physical"]
    assert client.describe_alias("qa_swap_test")["collection_name"] == second["physical"]
    assert publish(settings, BOOK)["rows"] == len(pipeline.index.chunks)
    assert client.get_collection_stats("qa_swap_test")["row_count"] == len(pipeline.index.chunks)
    searcher = Pipeline.over(settings, pipeline.embedder, pipeline.index,
                             MilvusBackend.connect(settings, pipeline.index)).retriever
    assert _ids(searcher.search("区委书记是谁", 3)) == _ids(pipeline.retriever.search("区委书记是谁", 3))
    with pytest.raises(IndexStoreError, match="no yearbook"):
        publish(settings, "nowhere-1999")


def test_cli_search_with_milvus_backend_and_its_errors(milvus_settings, monkeypatch):
    """`qa search` with QA_BACKEND=milvus; an unreachable server and a misplaced --yearbook are clear errors."""
    from typer.testing import CliRunner

    from qa.cli import app
    from qa.config import get_settings

    for key, value in {"QA_CORPUS_DIR": milvus_settings.corpus_dir, "QA_PARSED_DIR": milvus_settings.parsed_dir,
                       "QA_INDEX_DIR": milvus_settings.index_dir, "QA_BACKEND": "milvus",
                       "QA_MILVUS_URI": milvus_settings.milvus_uri}.items():
        monkeypatch.setenv(key, str(value))
    runner = CliRunner()
    try:
        get_settings.cache_clear()
        found = runner.invoke(app, ["search", "农村饮水 滞纳金", "--k", "3", "--category", "附录", "--json"])
        assert found.exit_code == 0, found.output
        assert [hit["section_path"][0] for hit in json.loads(found.output)["results"]] == ["附录"] * 3
        monkeypatch.setenv("QA_MILVUS_URI", "http://127.0.0.1:1")
        get_settings.cache_clear()
        unreachable = runner.invoke(app, ["search", "滞纳金"])
        assert unreachable.exit_code == 2 and "cannot reach Milvus" in unreachable.output
        misplaced = runner.invoke(app, ["index", "build", "--backend", "embedded", "--yearbook", BOOK])
        assert misplaced.exit_code == 2 and "--backend milvus" in misplaced.output
    finally:
        get_settings.cache_clear()
