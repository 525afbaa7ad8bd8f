"""Hybrid retrieval: BM25 over words, BM25 over bigrams and FAISS vectors, fused, then reranked.

Each retriever's scores are divided by their best score and added with a weight (CombSUM); the
weights are settings tuned on the evaluation set's dev split (0 leaves a retriever out). The top
of the fused list is then reranked by how well one sentence window covers the question's rare
terms, which prefers the passage that states the fact over one that merely shares its words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
from pydantic import BaseModel

from qa.backend import ChannelQuery, EmbeddedBackend, SearchBackend
from qa.config import Settings
from qa.coverage import CoverageScorer
from qa.embedding import Embedder
from qa.query import DocumentNumber, Question, QuestionReader, document_numbers
from qa.records import Chunk
from qa.store import LoadedIndex

LEADERSHIP_LIST = re.compile(r"领导班子|领导成员|领导名录")  # standard 条目 titles of a yearbook's office-holder lists
LEADERSHIP_BONUS = 0.3
QUERY_VECTORS_KEPT = 16
DOCUMENT_NUMBER_BONUS = 2.0  # a 文号 is an identifier: the passage that prints it outranks any word match
# hybrid: all retrievers fused and reranked; lexical: both BM25 fields fused and reranked;
# words / bigrams / dense: one retriever alone, no rerank (to report each side by side).
RetrieverMode = Literal["hybrid", "lexical", "words", "bigrams", "dense"]


class SearchFilters(BaseModel):
    """Restrict a search to some yearbooks and/or categories (类目)."""

    yearbook: list[str] | None = None
    category: list[str] | None = None


class UnknownFilterValue(ValueError):
    """A filter names a yearbook or category the index does not hold."""


@dataclass
class Hit:
    """One retrieved chunk with its final (fused, reranked) score."""

    chunk: Chunk
    score: float


class Retriever:
    """Searches one loaded index; safe to share across threads (it only reads)."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, settings: Settings,
                 backend: SearchBackend | None = None) -> None:
        self.index = index
        self.backend = backend or EmbeddedBackend(index, settings.candidate_pool)
        self.embedder = embedder
        # A question's search and its answer's `dense` feature embed the same text: once is enough.
        # (Read-only arrays, a handful of entries: lru_cache is thread-safe.)
        self._query_vector = lru_cache(maxsize=QUERY_VECTORS_KEPT)(self._embed_query)
        self.settings = settings
        self._position = {chunk.id: i for i, chunk in enumerate(index.chunks)}
        self._yearbooks = np.array([c.yearbook for c in index.chunks])
        self._categories = np.array([c.category for c in index.chunks])
        self.yearbooks: list[str] = sorted(set(self._yearbooks.tolist()))
        self.categories: list[str] = list(dict.fromkeys(self._categories.tolist()))  # in book order
        latest = max(index.manifest["corpus"], key=lambda entry: entry["edition_year"])
        region_names = frozenset(name for book in index.manifest["corpus"] for name in book["region_names"])
        self.reader = QuestionReader(index.analyzer, index.words.vocabulary(), latest["edition_year"], index.genre,
                                     region_names)
        self.coverage = CoverageScorer(index.bigrams.idf(), index.analyzer)
        self._documents: dict[tuple[str, str], list[tuple[DocumentNumber, int]]] = {}
        for i, chunk in enumerate(index.chunks):
            for number in document_numbers(chunk.text, index.genre):
                self._documents.setdefault((number.year, number.serial), []).append((number, i))

    def quoting(self, question: Question) -> list[int]:
        """Chunks that print a document number the question quotes."""
        return list(dict.fromkeys(i for asked in question.documents
                                  for number, i in self._documents.get((asked.year, asked.serial), ())
                                  if asked.same_as(number)))

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
        if mode != "hybrid":
            weights = {name: (weight if mode == "lexical" else float(name == mode)) for name, weight in weights.items()}
            if mode == "lexical":
                weights["dense"] = 0.0
        rerank = mode in ("hybrid", "lexical") and settings.weight_coverage > 0
        vector = self._query_vector(question.search_text()) if weights["dense"] > 0 else None
        fused = self.backend.fused(
            ChannelQuery(question.terms_text(), " ".join(question.expansions), vector, weights,
                         settings.weight_expansion, max(k, settings.rerank_depth)), filters, allowed)
        if allowed is not None:
            fused = np.where(allowed, fused, 0.0)
        quoting = [i for i in self.quoting(question) if allowed is None or allowed[i]]
        pool = quoting + [i for i in _top(fused, max(k, settings.rerank_depth)) if i not in quoting]
        if rerank and pool:
            terms = self.coverage.question_terms(question.terms_text(), question.expansions, settings.weight_expansion)
            top = float(fused.max()) or 1.0  # a quoted 文号 can bring chunks no word matched
            score = {i: float(fused[i]) / top + settings.weight_coverage
                     * self.coverage.best_window(terms, self.index.chunks[i].indexed_text()) for i in pool}
            if question.asks_for_people:
                for i in pool:
                    if LEADERSHIP_LIST.search(self.index.chunks[i].path[-1]):
                        score[i] += LEADERSHIP_BONUS
        else:
            score = {i: float(fused[i]) for i in pool}
        for i in quoting:
            score[i] += DOCUMENT_NUMBER_BONUS
        pool.sort(key=lambda i: (-score[i], i))
        return [Hit(self.index.chunks[i], score[i]) for i in pool[:k]]

    def _embed_query(self, text: str) -> np.ndarray:
        return self.embedder.embed_query(text)  # looked up when called: a lexical-only retriever has no embedder

    def dense_scores(self, question: Question, hits: list[Hit]) -> dict[str, float]:
        """Cosine similarity of the question to each hit's chunk vector: a feature of answer selection."""
        if not hits:
            return {}
        vector = self._query_vector(question.search_text())
        rows = np.stack([self.index.vectors.reconstruct(self._position[hit.chunk.id]) for hit in hits])
        return {hit.chunk.id: float(similarity) for hit, similarity in zip(hits, rows @ vector)}


def _top(scores: np.ndarray, n: int) -> list[int]:
    """Indexes of the n highest positive scores, best first (ties by index, for determinism)."""
    n = min(n, int(np.count_nonzero(scores > 0)))
    if n == 0:
        return []
    top = np.argpartition(-scores, n - 1)[:n]
    return top[np.lexsort((top, -scores[top]))].tolist()
