"""The corpus manifest: which yearbooks exist and everything that is specific to one book.

Adding a yearbook means adding its text file and an entry in `corpus/manifest.json`; the parser
reads layout hints (category list, missing headings, running heads) from here, never from code.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from qa.genre import GenreAdditions

Layout = Literal["entries", "reports", "chronicle", "documents"]


class CategorySpec(BaseModel):
    """One 类目 as the book's 编辑说明 lists it, with hints where extraction lost its heading."""

    name: str
    layout: Layout = Field("entries", description="How the category's text is organised.")
    starts_at: str | None = Field(
        None,
        description="Text (whitespace-insensitive) that opens the category when its heading line is missing.",
    )
    opening_section: str | None = Field(
        None, description="分目 name for text at `starts_at` when the book prints no section heading there."
    )


class YearbookSpec(BaseModel):
    """One yearbook: identity, source file, layout hints and its additions to the genre's vocabulary."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    edition_year: int
    records_year: int = Field(description="The year the yearbook records (the 2020 edition records 2019).")
    region: str
    region_names: list[str] = Field(description="Names a question may use for the region this book covers.")
    source: str = Field(description="Text file, relative to the manifest's folder.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    front_matter: str = Field("卷首", description="Category name given to text before the first category.")
    running_heads: list[str] = Field(default_factory=list, description="Page-head lines to drop (whitespace-insensitive).")
    statistical_sources: list[str] = Field(
        default_factory=list,
        description="Path parts (categories, document titles) holding final statistics; cited first when figures conflict.",
    )
    sub_area_categories: list[str] = Field(
        default_factory=list,
        description="Categories about the towns, street offices and villages (乡镇街道): their figures are not the region's.",
    )
    genre: GenreAdditions = Field(
        default_factory=GenreAdditions,
        description="Titles, units, suffixes, 文号 brackets and stopwords this book adds to qa/data/genre.json.",
    )
    categories: list[CategorySpec]


class CorpusManifest(BaseModel):
    """All yearbooks of the corpus."""

    yearbooks: list[YearbookSpec]

    def get(self, yearbook_id: str) -> YearbookSpec:
        for spec in self.yearbooks:
            if spec.id == yearbook_id:
                return spec
        raise KeyError(yearbook_id)


class CorpusError(Exception):
    """Bad corpus input: the message names the file and the problem."""


def load_manifest(corpus_dir: Path) -> CorpusManifest:
    """Read and validate `corpus_dir/manifest.json`."""
    path = corpus_dir / "manifest.json"
    if not path.is_file():
        raise CorpusError(f"{path}: manifest not found")
    try:
        manifest = CorpusManifest.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, UnicodeDecodeError, ValidationError) as exc:
        raise CorpusError(f"{path}: invalid manifest: {exc}") from exc
    ids = [spec.id for spec in manifest.yearbooks]
    if len(ids) != len(set(ids)):
        raise CorpusError(f"{path}: duplicate yearbook ids in {ids}")
    return manifest


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_source(corpus_dir: Path, spec: YearbookSpec) -> str:
    """The yearbook's text, after checking it exists, is non-empty UTF-8 and matches its sha256."""
    path = corpus_dir / spec.source
    if not path.is_file():
        raise CorpusError(f"{path}: source file of yearbook '{spec.id}' not found")
    data = path.read_bytes()
    if not data.strip():
        raise CorpusError(f"{path}: source file of yearbook '{spec.id}' is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: not valid UTF-8 (byte {exc.start}): {exc.reason}") from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != spec.sha256:
        raise CorpusError(
            f"{path}: sha256 {actual} does not match the manifest's {spec.sha256}; "
            "update the manifest entry if the file was changed on purpose"
        )
    return text
