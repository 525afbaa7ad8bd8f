"""The one pipeline object that the API, the CLI and `qa eval` all wrap: the same code answers everywhere."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from qa.answering import ExtractiveAnswerer
from qa.answers import AskResult
from qa.config import Settings
from qa.embedding import Embedder, load_embedder
from qa.retrieval import Retriever, SearchFilters
from qa.store import LoadedIndex, load_index

AskMode = Literal["auto", "extractive", "llm"]


@dataclass
class Pipeline:
    """Loaded index, embedder, retriever and answerers, shared read-only by every request."""

    settings: Settings
    embedder: Embedder
    index: LoadedIndex
    retriever: Retriever
    extractive: ExtractiveAnswerer

    @classmethod
    def load(cls, settings: Settings) -> Pipeline:
        """Load everything heavy once; raises IndexStoreError with a fix-it message on mismatch."""
        embedder = load_embedder(settings.embedding_model, settings.cache_dir, settings.embedding_query_prefix)
        index = load_index(settings, embedder)
        retriever = Retriever(index, embedder, settings)
        books = index.manifest["corpus"]
        extractive = ExtractiveAnswerer(
            retriever.coverage, index.analyzer, index.words.idf(), index.records, settings.answer_min_confidence,
            covered_years={book["records_year"] for book in books},
            region_names={name for book in books for name in book["region_names"]},
            statistical_sources=[source for book in books for source in book["statistical_sources"]],
        )
        return cls(settings, embedder, index, retriever, extractive)

    def ask(self, question: str, top_k: int = 5, mode: AskMode = "auto",
            filters: SearchFilters | None = None) -> AskResult:
        """Answer one question with citations, or refuse plainly; never raises for a well-formed question."""
        started = time.perf_counter()
        read = self.retriever.reader.read(question)
        hits = self.retriever.search(read, top_k, filters)
        retrieved = time.perf_counter()
        draft = self.extractive.answer(read, hits)
        finished = time.perf_counter()
        return AskResult(
            question=question, answer=draft.answer, short_answer=draft.short_answer, answerable=draft.answerable,
            citations=draft.citations, passages=draft.passages, mode="extractive",
            timings_ms={"retrieve": _ms(retrieved - started), "answer": _ms(finished - retrieved),
                        "total": _ms(finished - started)},
        )


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)
