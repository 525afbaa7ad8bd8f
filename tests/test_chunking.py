"""Chunks on the real yearbook: boundaries, token budget, overlap, tables."""

from __future__ import annotations

from collections import defaultdict

import pytest

from qa.chunking import chunk_records, split_sentences
from qa.tokens import count_tokens

pytestmark = pytest.mark.unit  # a stage's own logic: seconds, no index

TARGET, OVERLAP = 200, 40


@pytest.fixture(scope="module")
def chunks_and_records(parsed_book, index_settings):
    cache = index_settings.cache_dir / "tiktoken"
    chunks = chunk_records(parsed_book.records, lambda t: count_tokens(t, cache), TARGET, OVERLAP)
    return chunks, {r.id: r for r in parsed_book.records}, cache


def test_split_sentences_covers_text_exactly():
    text = "第一句。第二句！第三句；\n尾巴"
    spans = split_sentences(text)
    assert "".join(text[s:e] for s, e in spans) == text
    assert [text[s:e] for s, e in spans][:2] == ["第一句。", "第二句！"]


def test_a_sentence_never_ends_inside_an_open_bracket():
    text = "全年投资（含新建项目；续建项目）5亿元。工业（1）增长；\n（括号未闭合；到行尾为止\n下一句。"
    sentences = [text[s:e] for s, e in split_sentences(text)]
    assert sentences[0] == "全年投资（含新建项目；续建项目）5亿元。"
    assert sentences[1] == "工业（1）增长；"
    assert "（括号未闭合；到行尾为止\n" in sentences  # an unclosed bracket holds only to the line's end
    assert "".join(sentences) == text


def test_chunks_stay_inside_one_record_and_cover_it(chunks_and_records):
    chunks, records, _ = chunks_and_records
    by_record = defaultdict(list)
    for chunk in chunks:
        record = records[chunk.record_id]
        assert chunk.path == record.path and chunk.page_start == record.page_at(chunk.start)
        assert record.page_start <= chunk.page_start <= chunk.page_end <= record.page_end if record.page_start else True
        if chunk.kind != "table":
            assert chunk.text == record.text[chunk.start : chunk.end].strip("\n")
        by_record[chunk.record_id].append(chunk)
    assert set(by_record) == set(records)
    for record_id, pieces in by_record.items():
        text = records[record_id].text
        covered = set()
        for piece in pieces:
            covered.update(range(piece.start, piece.end))
        if pieces[0].kind != "table":
            assert covered >= {i for i, ch in enumerate(text) if not ch.isspace()}, record_id


def test_chunks_respect_the_token_budget(chunks_and_records):
    chunks, _, cache = chunks_and_records
    assert max(count_tokens(c.text, cache) for c in chunks) <= TARGET


def test_long_records_overlap_at_sentence_ends(chunks_and_records):
    chunks, records, cache = chunks_and_records
    pairs = [(a, b) for a, b in zip(chunks, chunks[1:]) if a.record_id == b.record_id and a.kind != "table"]
    assert len(pairs) > 100
    for a, b in pairs:
        text = records[a.record_id].text
        if text[a.end - 1] not in "。！？；!?;\n":  # cut inside a sentence only when it alone exceeds the budget
            around = next((s, e) for s, e in split_sentences(text) if s < a.end <= e)
            assert count_tokens(text[around[0] : around[1]], cache) > TARGET
        sentences = split_sentences(text[a.start : a.end])
        if len(sentences) > 1 and count_tokens(text[a.start + sentences[-1][0] : a.end], cache) <= OVERLAP:
            assert b.start < a.end  # the sentence before the cut is repeated after it
        else:
            assert b.start == a.end or b.start == a.end + 1


def test_tables_repeat_title_and_header_in_every_piece(index_settings, parsed_book):
    cache = index_settings.cache_dir / "tiktoken"
    tables = [r for r in parsed_book.records if r.kind == "table"]
    assert tables
    pieces = chunk_records(tables, lambda t: count_tokens(t, cache), 60, 0)
    split = defaultdict(list)
    for piece in pieces:
        split[piece.record_id].append(piece)
    multi = [p for p in split.values() if len(p) > 1]
    assert multi
    for parts in multi:
        title = parts[0].text.split("\n")[0]
        assert all(part.text.startswith(title) for part in parts)


def test_indexed_text_carries_the_path(chunks_and_records):
    chunks, _, _ = chunks_and_records
    entry = next(c for c in chunks if c.kind == "entry")
    assert entry.indexed_text().startswith(" › ".join(entry.path))
