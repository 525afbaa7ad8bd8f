"""Printed page numbers for every line of an extracted yearbook.

Two signals exist. Anchors: a bare page number with a running head beside it (exact, at about one
page in fifteen). Page starts: a line that begins with a space usually opens a new printed page,
but picture pages leave no trace and some openings are missed or doubled, so counting them drifts.
Pages are counted from each anchor and the count is stretched or squeezed to land exactly on the
next anchor; after the last anchor the count simply continues.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PAGE_NUMBER = re.compile(r"^\s*(\d{1,4})\s*$")


@dataclass(frozen=True)
class PageMap:
    """Page of every source line (None before the first numbered page) and the layout debris."""

    page_of_line: list[int | None]
    debris_lines: frozenset[int]
    anchors: list[tuple[int, int]]  # (line index, printed page)


def _stripped(line: str) -> str:
    return re.sub(r"\s+", "", line)


def locate_pages(lines: list[str], running_heads: list[str], category_names: list[str]) -> PageMap:
    """Find anchors and debris, then give each line its reconciled printed page."""
    heads = {_stripped(h) for h in running_heads}
    category_heads = {_stripped(c) for c in category_names}
    content = [i for i, line in enumerate(lines) if line.strip()]
    debris: set[int] = {i for i in content if _stripped(lines[i]) in heads}

    anchors: list[tuple[int, int]] = []
    for k, i in enumerate(content):
        match = _PAGE_NUMBER.match(lines[i])
        if not match:
            continue
        neighbours = [content[j] for j in (k - 1, k + 1) if 0 <= j < len(content)]
        beside = [j for j in neighbours if _stripped(lines[j]) in heads | category_heads]
        page = int(match.group(1))
        if not beside or (anchors and page <= anchors[-1][1]):
            continue
        debris.add(i)
        debris.update(beside)
        anchors.append((min([i, *beside]), page))

    anchor_lines = {line for line, _ in anchors}
    page_starts = sorted(
        {i for i in content if lines[i][:1] in (" ", "\u3000") and i not in debris} | anchor_lines
    )
    page_of_start = _reconcile(page_starts, dict(anchors))

    page_of_line: list[int | None] = []
    current: int | None = None
    for i in range(len(lines)):
        if i in page_of_start:
            current = page_of_start[i]
        page_of_line.append(current)
    return PageMap(page_of_line, frozenset(debris), anchors)


def _reconcile(page_starts: list[int], anchor_page: dict[int, int]) -> dict[int, int | None]:
    """Number the page starts so that they agree with every anchor and never decrease."""
    numbered: dict[int, int | None] = {}
    anchor_positions = [k for k, line in enumerate(page_starts) if line in anchor_page]
    if not anchor_positions:
        return {line: None for line in page_starts}
    for line in page_starts[: anchor_positions[0]]:
        numbered[line] = None  # front matter: no printed arabic page numbers
    for a, b in zip(anchor_positions, anchor_positions[1:]):
        first, last = anchor_page[page_starts[a]], anchor_page[page_starts[b]]
        between = page_starts[a + 1 : b]
        numbered[page_starts[a]] = first
        for n, line in enumerate(between, start=1):
            if len(between) == last - first - 1:
                numbered[line] = first + n
            else:
                numbered[line] = first + round(n * (last - first) / (len(between) + 1))
    tail_start = anchor_positions[-1]
    for n, line in enumerate(page_starts[tail_start:]):
        numbered[line] = anchor_page[page_starts[tail_start]] + n
    return numbered

