"""Cut records into token-budgeted chunks without ever crossing a record boundary.

A record that fits the budget is one chunk. A longer one is split at sentence ends (。！？；) with a
small overlap so that a fact near a cut is whole in at least one chunk; a table is split by rows
with its title and header repeated, so that every piece still says what its numbers are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from qa.records import Chunk, Record

_SENTENCE_END = re.compile(r"(?<=[。！？；!?;\n])")
_OPENING, _CLOSING = "（(", "）)"
MAX_BRACKETED = 200
_DATA_ROW = re.compile(r"\d[\d.,%]*\s+\d")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of `text`, ends included, covering it exactly.

    A sentence never ends inside an open bracket ("（含…；…）" is one sentence), unless the line
    ends there or the bracket has stayed open for MAX_BRACKETED characters: an extraction that
    lost the closing bracket must not glue the rest of a passage into one sentence.
    """
    spans, start = [], 0
    depth, opened_at = 0, 0
    scanned = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.start()
        for k in range(scanned, end):
            if text[k] in _OPENING:
                depth, opened_at = depth + 1, (k if depth == 0 else opened_at)
            elif text[k] in _CLOSING and depth:
                depth -= 1
        scanned = end
        inside = depth > 0 and text[end - 1] != "\n" and end - opened_at < MAX_BRACKETED
        if end > start and not inside:
            spans.append((start, end))
            start, depth = end, 0
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def chunk_records(records: Iterable[Record], count_tokens: Callable[[str], int],
                  target_tokens: int, overlap_tokens: int) -> list[Chunk]:
    """All chunks of `records`, in order."""
    chunks: list[Chunk] = []
    for record in records:
        if record.kind == "table":
            pieces = _table_pieces(record.text, count_tokens, target_tokens)
        else:
            pieces = _text_pieces(record.text, count_tokens, target_tokens, overlap_tokens)
        for n, (start, end, text) in enumerate(pieces):
            shift = text.find(record.text[start:end].strip("\n"))  # a table piece starts with its repeated header
            breaks = [(0, record.page_at(start))] + [
                (offset - start + shift, page) for offset, page in record.page_breaks if start < offset < end
            ]
            chunks.append(Chunk(
                id=f"{record.id}#{n}", record_id=record.id, yearbook=record.yearbook, kind=record.kind,
                path=record.path, page_start=record.page_at(start), page_end=record.page_at(end - 1),
                page_breaks=[(o, p) for o, p in breaks if p is not None], start=start, end=end, text=text,
                doc_number=record.doc_number,
            ))
    return chunks


def _text_pieces(text: str, count_tokens: Callable[[str], int], target: int, overlap: int) -> list[tuple[int, int, str]]:
    if count_tokens(text) <= target:
        return [(0, len(text), text)]
    sentences = [span for sentence in split_sentences(text) for span in _fit(text, sentence, count_tokens, target)]
    sizes = [count_tokens(text[s:e]) for s, e in sentences]
    pieces: list[tuple[int, int, str]] = []
    first = 0
    while first < len(sentences):
        last, used = first, sizes[first]
        while last + 1 < len(sentences) and used + sizes[last + 1] <= target:
            last += 1
            used += sizes[last]
        start, end = sentences[first][0], sentences[last][1]
        pieces.append((start, end, text[start:end].strip("\n")))
        if last + 1 >= len(sentences):
            break
        back, carried = last, 0  # step back over sentences that fit in the overlap
        while back > first and carried + sizes[back] <= overlap:
            carried += sizes[back]
            back -= 1
        first = back + 1
    return pieces


def _fit(text: str, span: tuple[int, int], count_tokens: Callable[[str], int], target: int) -> list[tuple[int, int]]:
    """Split one over-long sentence into parts of at most `target` tokens (rare: run-on lists)."""
    start, end = span
    if count_tokens(text[start:end]) <= target:
        return [span]
    parts, cursor = [], start
    step = max(1, target // 2)  # CJK runs at about one token per character or less
    while cursor < end:
        cut = min(end, cursor + step)
        while cut < end and count_tokens(text[cursor : cut + step // 4]) <= target:
            cut = min(end, cut + step // 4)
        parts.append((cursor, cut))
        cursor = cut
    return parts


def _table_pieces(text: str, count_tokens: Callable[[str], int], target: int) -> list[tuple[int, int, str]]:
    lines = text.split("\n")
    if count_tokens(text) <= target or len(lines) < 3:
        return [(0, len(text), text)]
    first_row = next((i for i, line in enumerate(lines) if i > 0 and _DATA_ROW.search(line)), 1)
    header = "\n".join(lines[:first_row])
    offsets, position = [], 0
    for line in lines:
        offsets.append(position)
        position += len(line) + 1
    pieces: list[tuple[int, int, str]] = []
    row = first_row
    while row < len(lines):
        last = row
        while last + 1 < len(lines) and count_tokens("\n".join([header, *lines[row : last + 2]])) <= target:
            last += 1
        start, end = offsets[row], offsets[last] + len(lines[last])
        pieces.append((start, end, "\n".join([header, *lines[row : last + 1]])))
        row = last + 1
    return pieces
