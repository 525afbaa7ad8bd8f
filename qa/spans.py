"""Exact answer spans: a number with its unit, a date, a person's name, a named organisation or place.

A sentence often holds several candidates (a total, a growth rate, the year); the one whose
preceding words best match the question wins, and the more specific form breaks ties
("2019年9月30日" over "2019年").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from qa.analysis import QuestionAnalysis
from qa.genre import Genre

DATE = re.compile(
    r"\d{4}年\d{1,2}月\d{1,2}日(?:[—－-]\d{1,2}(?:月\d{1,2})?日)?|\d{4}年\d{1,2}月(?:[—－-]\d{1,2}月)?|"
    r"\d{1,2}月\d{1,2}日(?:[—－-]\d{1,2}(?:月\d{1,2})?日)?|\d{4}年第[一二三四]季度|\d{1,2}月份?|\d{4}年"
)
_ENTITY_STOP = set("在由于和与及的是为对从到、，。；：“”《》（）()【】0123456789年月日")
MAX_ENTITY_CHARS = 24


@dataclass(frozen=True)
class SpanPatterns:
    """The span regexes of one genre (an index's merged view), compiled once by `span_patterns`."""

    units: str  # alternation, longest unit first
    titles: str  # alternation, longest first: 副区长 before 区长
    number: re.Pattern[str]  # a figure with its unit, and rates: 元/立方米
    person: re.Pattern[str]  # a name right after a title: 区长周益民
    title_words: frozenset[str]  # what a "name" after a title may really be: another title


@lru_cache(maxsize=8)
def span_patterns(genre: Genre) -> SpanPatterns:
    units, titles = genre.units_alternation, genre.titles_alternation
    return SpanPatterns(
        units=units, titles=titles,
        number=re.compile(rf"(?:\d+(?:\.\d+)?|[一二三四五六七八九十百千万两]+)\s*(?:{units})(?:/(?:{units}|月))?"),
        person=re.compile(rf"(?:{titles})[、，：:\s]*(?!{titles})([\u4e00-\u9fff]{{2,3}})(?=[（(，。、；\s]|$)"),
        title_words=frozenset(genre.titles) | {"党组", "成员", "委员"},
    )


def find_span(analysis: QuestionAnalysis, question: str, quote: str, question_years: tuple[int, ...],
              closeness: Callable[[int], float], names: list[tuple[int, str]], patterns: SpanPatterns) -> str | None:
    """The best span of `quote` for the answer type the analysis asks for.

    `closeness(offset)` rates the words before an offset against the question; `names` are the
    person names (offset, name) a tagger found in the quote; `patterns` are the index's genre's.
    """
    kind = analysis.answer_type
    if kind == "number":
        spans = [(m.start(), m.group(0)) for m in patterns.number.finditer(quote) if is_figure(quote, m.start(), m.group(0))]
        wanted = analysis.unit
        if wanted and any(_in_unit(text, wanted) for _, text in spans):
            spans = [(offset, text) for offset, text in spans if _in_unit(text, wanted)]
    elif kind == "date":
        spans = [(m.start(), m.group(0)) for m in DATE.finditer(quote)
                 if not (re.fullmatch(r"\d{4}年", m.group(0)) and int(m.group(0)[:4]) in question_years)]
    elif kind == "person":
        titled = [(m.start(1), m.group(1)) for m in patterns.person.finditer(quote) if m.group(1) not in patterns.title_words
                  and not any(word in m.group(1) for word in ("书记", "局长", "主任", "成员"))]
        # a tagged name right after a title ("区长周益民", "局长\n苏子喜") is the most reliable kind
        near_title = [(offset, name) for offset, name in names
                      if re.search(rf"(?:{patterns.titles})[、，：:\s]*$", quote[max(0, offset - 8) : offset])]
        # in a list of office holders, each line after the title line is another holder
        listed = [(offset, name) for offset, name in names if offset > 0 and quote[offset - 1] == "\n"]
        spans = [span for span in (titled + listed if titled else near_title or names) if span[1] not in question]
    else:
        spans = _entity_spans(quote, analysis.entity_noun) if analysis.entity_noun else []
    if not spans:
        return None
    best = max(spans, key=lambda span: (_tenure_fit(quote, span, analysis.month) if kind == "person" else 0,
                                        round(closeness(span[0]), 3), len(span[1]), -span[0]))
    return re.sub(r"\s+", "", best[1]) if kind in ("number", "date", "person") else best[1]


def is_figure(text: str, start: int, value: str) -> bool:
    """Whether a number-with-unit match at `start` of `text` is a figure, not a year (2019年), an
    ordinal (第4批) or wording (一项, 一次)."""
    return not re.fullmatch(r"\d{4}\s*年", value) and text[max(0, start - 1) : start] != "第" \
        and not re.match(r"一[^\d一二三四五六七八九十百千万两]", value)


def _tenure_fit(quote: str, span: tuple[int, str], month: str) -> int:
    """How well an office holder's note fits the time asked: lists print "赵静（2019年2月任）" and
    "张海军（任至2019年2月）". A question naming the month someone took office wants the one appointed
    then; otherwise the holder still in office."""
    offset, name = span
    note = re.match(r"[（(]([^）)]{0,24})[）)]", quote[offset + len(name) :])
    text = note.group(1) if note else ""
    if month and re.search(rf"{month}任(?!至)", text):
        return 2
    return 0 if "任至" in text else 1


def _in_unit(figure: str, unit: str) -> bool:
    """Whether a figure is counted in `unit`, alone or as a rate ("50元/月" is in 元)."""
    return figure.split("/")[0].endswith(unit)


def _entity_spans(quote: str, noun: str) -> list[tuple[int, str]]:
    spans = []
    for match in re.finditer(re.escape(noun), quote):
        start = match.start()
        while start > 0 and quote[start - 1] not in _ENTITY_STOP and match.end() - start < MAX_ENTITY_CHARS:
            start -= 1
        if match.end() - start > len(noun):
            spans.append((start, quote[start : match.end()]))
    return spans
