"""Undo the PDF's line wrapping and spacing without losing a character of content.

The yearbook text was extracted from a two-column PDF: lines are cut every ~20 characters, spaces
appear between CJK characters, digits and units ("262.34 亿元"), and padded names ("李  军").
Spaces are kept only where they separate two Latin letters or digits ("2019 39903" in a table row,
"Windows 10"), because that is the only place where removing them changes meaning.
"""

from __future__ import annotations

import re
import unicodedata

_SPACE_RUN = re.compile(r"[ \t\u3000\u00a0]+")
_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def repair_spaces(text: str) -> str:
    """Collapse every run of spaces; keep one only between two ASCII letters/digits."""
    text = text.strip(" \t\u3000\u00a0")

    def keep_or_drop(match: re.Match[str]) -> str:
        before = text[match.start() - 1] if match.start() > 0 else ""
        after = text[match.end()] if match.end() < len(text) else ""
        if _ASCII_ALNUM.fullmatch(before or "_") and _ASCII_ALNUM.fullmatch(after or "_"):
            return " "
        return ""

    return _SPACE_RUN.sub(keep_or_drop, text)


def join_wrapped(lines: list[str]) -> str:
    """Join the lines of one paragraph (already space-repaired) as the book printed them."""
    return join_wrapped_with_offsets(lines)[0]


def join_wrapped_with_offsets(lines: list[str]) -> tuple[str, list[int]]:
    """`join_wrapped`, plus where each line starts in the joined text."""
    joined, starts = "", []
    for line in lines:
        if joined and _ASCII_LETTER.fullmatch(joined[-1]) and line and _ASCII_LETTER.fullmatch(line[0]):
            joined += " "
        starts.append(len(joined))
        joined += line
    return joined, starts


def display_width(text: str) -> int:
    """Printed width in half-width cells: CJK and full-width forms count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)


def count_cjk(text: str) -> int:
    """Number of CJK ideographs, the unit in which content retention is measured."""
    return len(_CJK.findall(text))


def normalise_for_match(text: str) -> str:
    """The BRIEF's comparison form: Unicode NFKC with all whitespace removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
