"""Genre knowledge: what every Chinese local yearbook shares, read from `qa/data/genre.json`, plus
what one book adds in its manifest entry's `genre` block.

Titles (县长, 镇长 …), units, organisation and place suffixes, the brackets a document number
(文号) may be printed or typed with, and the question words BM25 ignores are data, not code, so a
county's yearbook (县长, [2019]) needs no change here. What only one book uses ("峰" counting camels,
"场长" of a state farm) would be noise in the shared file — "峰" also ends "高峰" — so a book adds it
in its manifest entry, and the index it is built into reads with the shared file plus the additions
of every book it holds (`Genre.extended`). The merged view is stored with the index (`genre.json`),
because its mention layer and BM25 tokens were read with exactly that view and a question must be too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, field_validator


class GenreAdditions(BaseModel):
    """A book's `genre` block in corpus/manifest.json: words added to the shared genre's lists.

    Additive only: a book cannot remove shared knowledge, so one book's additions never change how
    another book in the same index is read beyond recognising a few more words.
    """

    model_config = ConfigDict(extra="forbid")

    titles: list[str] = Field(default_factory=list, description="Office titles (场长, 团长): a name after one is a person.")
    title_parts: list[str] = Field(default_factory=list, description="Words that make a would-be person name an office instead.")
    units: list[str] = Field(default_factory=list, description="Units a figure is counted in (峰, 尾).")
    organisation_suffixes: list[str] = Field(default_factory=list, description="Endings of organisation names (农场).")
    short_name_suffixes: list[str] = Field(
        default_factory=list, description="Endings of an organisation's short name (区残联), after its administrative unit.")
    place_suffixes: list[str] = Field(default_factory=list, description="Endings of place names (苏木, 嘎查).")
    document_brackets: list[tuple[str, str]] = Field(
        default_factory=list, description="(opening, closing) brackets around a 文号's year, one character each.")
    stopwords: list[str] = Field(default_factory=list, description="Question words BM25 ignores (the book's dialect).")

    @field_validator("titles", "title_parts", "units", "organisation_suffixes", "short_name_suffixes", "place_suffixes",
                     "stopwords")
    @classmethod
    def _words(cls, words: list[str]) -> list[str]:
        for word in words:
            if not word.strip() or word != word.strip() or len(word) > 12:
                raise ValueError(f"'{word}' is not a word (1–12 characters, no surrounding spaces)")
        return words

    @field_validator("document_brackets")
    @classmethod
    def _brackets(cls, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        for opening, closing in pairs:
            if len(opening) != 1 or len(closing) != 1 or opening == closing or opening.isalnum() or closing.isalnum():
                raise ValueError(f"({opening!r}, {closing!r}) is not a pair of two different bracket characters")
        return pairs


@dataclass(frozen=True)
class Genre:
    """The yearbook genre's vocabulary; longest forms first where order decides a regex match.

    Frozen and hashable, so each module compiles its patterns once per genre (`functools.lru_cache`).
    """

    titles: tuple[str, ...]
    title_parts: tuple[str, ...]
    units: tuple[str, ...]
    organisation_suffixes: tuple[str, ...]
    short_name_suffixes: tuple[str, ...]  # one character ("部", "委"): too common to end a name unless it opens with 区, 市…
    place_suffixes: tuple[str, ...]
    document_brackets: tuple[tuple[str, str], ...]
    stopwords: frozenset[str]

    @classmethod
    def from_json(cls, data: dict) -> Genre:
        """The genre from `genre.json`'s shape (the shared file, or the merged view an index stores)."""
        return cls(
            titles=tuple(sorted(dict.fromkeys(data["titles"]), key=len, reverse=True)),
            title_parts=tuple(dict.fromkeys(data["title_parts"])),
            units=tuple(sorted(dict.fromkeys(data["units"]), key=len, reverse=True)),
            organisation_suffixes=tuple(dict.fromkeys(data["organisation_suffixes"])),
            short_name_suffixes=tuple(dict.fromkeys(data["short_name_suffixes"])),
            place_suffixes=tuple(dict.fromkeys(data["place_suffixes"])),
            document_brackets=tuple(dict.fromkeys(tuple(pair) for pair in data["document_brackets"])),
            stopwords=frozenset(data["stopwords"]),
        )

    def to_json(self) -> dict:
        return {"titles": list(self.titles), "title_parts": list(self.title_parts), "units": list(self.units),
                "organisation_suffixes": list(self.organisation_suffixes),
                "short_name_suffixes": list(self.short_name_suffixes), "place_suffixes": list(self.place_suffixes),
                "document_brackets": [list(pair) for pair in self.document_brackets],
                "stopwords": sorted(self.stopwords)}

    def extended(self, *additions: GenreAdditions) -> Genre:
        """This genre with the books' additions: each list grows, shared entries keep their order
        (an added suffix is tried after the shared ones), so a book without additions reads exactly
        as under the shared genre."""
        merged = self.to_json()
        for addition in additions:
            for key, words in addition.model_dump().items():
                merged[key] = [*merged[key], *(list(w) if key == "document_brackets" else w for w in words)]
        return Genre.from_json(merged)

    @cached_property
    def units_alternation(self) -> str:
        """Regex alternation of the units, longest first ("万只" before "只")."""
        return "|".join(re.escape(unit) for unit in self.units)

    @cached_property
    def titles_alternation(self) -> str:
        """Regex alternation of the titles, longest first ("副区长" before "区长")."""
        return "|".join(re.escape(title) for title in self.titles)

    @cached_property
    def bracket_classes(self) -> tuple[str, str]:
        """Regex character-class bodies of the opening and of the closing 文号 brackets."""
        return ("".join(re.escape(opening) for opening, _ in self.document_brackets),
                "".join(re.escape(closing) for _, closing in self.document_brackets))


def load_shared_genre() -> Genre:
    return Genre.from_json(json.loads(resources.files("qa").joinpath("data", "genre.json").read_text(encoding="utf-8")))


SHARED_GENRE = load_shared_genre()
