"""Hybrid retrieval: BM25 over words, BM25 over bigrams and FAISS vectors, fused by weighted RRF.

Reciprocal-rank fusion needs no score calibration between retrievers; each retriever's weight is
a setting, tuned on the evaluation set's dev split (a weight of 0 leaves a retriever out).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from pydantic import BaseModel

from qa.config import Settings
from qa.embedding import Embedder
from qa.query import Question, QuestionReader
from qa.records import Chunk
from qa.store import LoadedIndex
from qa.vector import search_vectors

RetrieverMode = Literal["hybrid", "lexical", "dense"]


class SearchFilters(BaseModel):
    """Restrict a search to some yearbooks and/or categories (类目)."""

    yearbook: list[str] | None = None
    category: list[str] | None = None


class UnknownFilterValue(ValueError):
    """A filter names a yearbook or category the index does not hold."""


@dataclass
class Hit:
    """One retrieved chunk with its fused score and what each retriever thought of it."""

    chunk: Chunk
    score: float
    ranks: dict[str, int] = field(default_factory=dict)
    bm25_words: float = 0.0


class Retriever:
    """Searches one loaded index; safe to share across threads (it only reads)."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self._yearbooks = np.array([c.yearbook for c in index.chunks])
        self._categories = np.array([c.category for c in index.chunks])
        latest = max(index.manifest["corpus"], key=lambda entry: entry.get("edition_year", 0))
        self.reader = QuestionReader(index.analyzer, index.words.vocabulary(), latest.get("edition_year", 0))

    @property
    def yearbooks(self) -> list[str]:
        return sorted(set(self._yearbooks.tolist()))

    @property
    def categories(self) -> list[str]:
        return list(dict.fromkeys(self._categories.tolist()))

    def allowed(self, filters: SearchFilters | None) -> np.ndarray | None:
        """Boolean mask of chunks that pass the filters (None: no filtering)."""
        if filters is None or (not filters.yearbook and not filters.category):
            return None
        mask = np.ones(len(self.index.chunks), dtype=bool)
        for values, column, known in ((filters.yearbook, self._yearbooks, self.yearbooks),
                                      (filters.category, self._categories, self.categories)):
            if values:
                unknown = sorted(set(values) - set(known))
                if unknown:
                    raise UnknownFilterValue(f"unknown filter value(s) {unknown}; known: {known}")
                mask &= np.isin(column, values)
        return mask

    def search(self, query: str | Question, k: int = 5, filters: SearchFilters | None = None,
               mode: RetrieverMode = "hybrid") -> list[Hit]:
        """The k best chunks for `query` (raw text or an already-read Question), best first."""
        question = query if isinstance(query, Question) else self.reader.read(query)
        settings = self.settings
        allowed = self.allowed(filters)
        weights = {"words": settings.weight_words, "bigrams": settings.weight_bigrams, "dense": settings.weight_dense}
        if mode == "lexical":
            weights["dense"] = 0.0
        elif mode == "dense":
            weights = {"words": 0.0, "bigrams": 0.0, "dense": 1.0}
        analyzer, extra = self.index.analyzer, " ".join(question.expansions)
        word_scores = self.index.words.scores(analyzer.words(question.text))
        if extra:
            word_scores += settings.weight_expansion * self.index.words.scores(analyzer.words(extra))
        rankings: dict[str, list[int]] = {}
        if weights["words"] > 0:
            rankings["words"] = _top(word_scores, settings.candidate_pool, allowed)
        if weights["bigrams"] > 0:
            bigram_scores = self.index.bigrams.scores(analyzer.bigrams(question.text))
            if extra:
                bigram_scores += settings.weight_expansion * self.index.bigrams.scores(analyzer.bigrams(extra))
            rankings["bigrams"] = _top(bigram_scores, settings.candidate_pool, allowed)
        if weights["dense"] > 0:
            vector = self.embedder.embed_query(question.search_text())
            ids, _ = search_vectors(self.index.vectors, vector, settings.candidate_pool, allowed)
            rankings["dense"] = ids.tolist()

        fused: dict[int, float] = {}
        ranks: dict[int, dict[str, int]] = {}
        for name, ranking in rankings.items():
            for rank, chunk_index in enumerate(ranking, start=1):
                fused[chunk_index] = fused.get(chunk_index, 0.0) + weights[name] / (settings.fusion_rrf_k + rank)
                ranks.setdefault(chunk_index, {})[name] = rank
        best = sorted(fused, key=lambda i: (-fused[i], i))[:k]
        return [Hit(self.index.chunks[i], fused[i], ranks[i], float(word_scores[i])) for i in best]


def _top(scores: np.ndarray, n: int, allowed: np.ndarray | None) -> list[int]:
    """Indexes of the n highest positive scores among allowed documents."""
    if allowed is not None:
        scores = np.where(allowed, scores, 0.0)
    n = min(n, int(np.count_nonzero(scores > 0)))
    if n == 0:
        return []
    top = np.argpartition(-scores, n - 1)[:n]
    return top[np.lexsort((top, -scores[top]))].tolist()
