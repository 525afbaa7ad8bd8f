"""`qa bench scale`: the synthetic multi-yearbook corpora and one small run per backend (figures are
printed, never asserted: the machine is shared)."""

from __future__ import annotations

from qa.scale_bench import bench_scale, synthetic_chunks


def test_synthetic_yearbooks_are_distinct_relabelled_copies(pipeline):
    chunks = pipeline.index.chunks
    copies = synthetic_chunks(chunks, 3)
    assert len(copies) == 3 * len(chunks) and len({c.id for c in copies}) == len(copies)
    assert {c.yearbook for c in copies} == {"synthetic-000", "synthetic-001", "synthetic-002"}
    with_digits = next(i for i, c in enumerate(chunks) if "2019" in c.text)
    first, second = copies[with_digits], copies[len(chunks) + with_digits]
    assert first.text == chunks[with_digits].text and "3120" in second.text and second.text != first.text


def test_bench_scale_measures_each_backend_and_size(index_settings, built_index):
    rows = bench_scale(index_settings, [1, 2], ["embedded", "milvus"], rounds=1, report=lambda row: None)
    chunks = built_index["counts"]["chunks"]
    assert [(r["backend"], r["yearbooks"], r["chunks"]) for r in rows] == [
        ("embedded", 1, chunks), ("embedded", 2, 2 * chunks), ("milvus", 1, chunks), ("milvus", 2, 2 * chunks)]
    assert all(r["build_s"] > 0 and r["disk_mb"] > 0 and r["search_ms_p95"] >= r["search_ms_p50"] > 0 for r in rows)
    by_size = {(r["backend"], r["yearbooks"]): r["disk_mb"] for r in rows}
    assert by_size[("embedded", 2)] > by_size[("embedded", 1)] and by_size[("milvus", 2)] > by_size[("milvus", 1)]
