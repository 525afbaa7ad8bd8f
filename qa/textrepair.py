"""Undo the PDF's line wrapping and spacing without losing a character of content.

The yearbook text was extracted from a two-column PDF: lines are cut every ~20 characters, spaces
appear between CJK characters, digits and units ("262.34 亿元"), and padded names ("李  军").
Spaces are kept only where they separate two Latin letters or digits ("2019 39903" in a table row,
"Windows 10"), because that is where removing them changes meaning; and the wide gaps of a line
of names become one ideographic space, because names run together ("李发财张生学") read as one.
"""

from __future__ import annotations

import re
import unicodedata

_SPACE_RUN = re.compile(r"[ \t\u3000\u00a0]+")
_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WIDE_GAP = re.compile(r"[ \u3000]{2,}|\u3000")
_NAME = re.compile(r"[\u4e00-\u9fff·]{2,4}(?:[（(][^）)]{0,20}[）)])?")  # a person's name, with a note such as （女）
NAME_SEPARATOR = "\u3000"
_NUMBERED_HEADING = re.compile(r"^第[零〇一二两三四五六七八九十百]+[章节条]$")  # "第三章  组织原则" is a heading


def repair_spaces(text: str) -> str:
    """Collapse every run of spaces; keep one only between two ASCII letters/digits. A line of
    names set apart by wide gaps ("李发财  张生学  银俊英（女）") keeps one ideographic space between
    them, so that the list still reads as names; a padded single name ("徐  峰") is closed up."""
    text = text.strip(" \t\u3000\u00a0")
    names = _WIDE_GAP.split(text)
    if len(names) >= 2 and all(_NAME.fullmatch(name) for name in names) and not _NUMBERED_HEADING.match(names[0]):
        return NAME_SEPARATOR.join(_collapse(name) for name in names)
    return _collapse(text)


def _collapse(text: str) -> str:

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
    previous = ""
    for line in lines:
        if joined and _ASCII_LETTER.fullmatch(joined[-1]) and line and _ASCII_LETTER.fullmatch(line[0]):
            joined += " "
        elif NAME_SEPARATOR in previous and NAME_SEPARATOR in line:
            joined += NAME_SEPARATOR  # a list of names wrapped over two lines
        previous = line
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
