"""Genre knowledge: what every Chinese local yearbook shares, read from `qa/data/genre.json`.

Titles (县长, 镇长 …), units, organisation and place suffixes and the brackets a document number
(文号) may be printed or typed with are data, not code, so that a county's yearbook (县长, [2019])
needs no change here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Genre:
    """The yearbook genre's vocabulary; longest forms first where order decides a regex match."""

    titles: tuple[str, ...]
    title_parts: tuple[str, ...]
    units: tuple[str, ...]
    organisation_suffixes: tuple[str, ...]
    place_suffixes: tuple[str, ...]
    document_brackets: tuple[tuple[str, str], ...]


def load_genre() -> Genre:
    data = json.loads(resources.files("qa").joinpath("data", "genre.json").read_text(encoding="utf-8"))
    return Genre(
        titles=tuple(sorted(data["titles"], key=len, reverse=True)),
        title_parts=tuple(data["title_parts"]),
        units=tuple(sorted(dict.fromkeys(data["units"]), key=len, reverse=True)),
        organisation_suffixes=tuple(data["organisation_suffixes"]),
        place_suffixes=tuple(data["place_suffixes"]),
        document_brackets=tuple(tuple(pair) for pair in data["document_brackets"]),
    )


GENRE = load_genre()
