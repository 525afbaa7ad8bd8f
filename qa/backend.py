"""The search-backend seam: where the three channels (BM25 words, BM25 bigrams, dense) are searched
and fused. Everything before (reading the question) and after (quoted 文号, the coverage rerank,
answering) is the Retriever's and works on the fused list, whichever backend made it.

`embedded` searches the bm25s and FAISS files of the index folder in process (the default);
`milvus` (qa/milvus_backend.py) asks a Milvus collection, for corpora no one process can hold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from qa.config import Settings
from qa.store import LoadedIndex
from qa.vector import search_vectors

if TYPE_CHECKING:  # retrieval imports this module
    from qa.retrieval import SearchFilters

CHANNELS = ("words", "bigrams", "dense")


@dataclass(frozen=True)
class ChannelQuery:
    """One search as the channels see it: texts, the query vector and each channel's fusion weight."""

    terms: str  # the question with the book's terms
    expansions: str  # thesaurus terms, searched at `expansion_weight` of the question's own
    vector: np.ndarray | None  # the embedded question (None when the dense weight is 0)
    weights: dict[str, float]  # channel → fusion weight (0: leave it out)
    expansion_weight: float
    depth: int  # how many fused candidates the caller will look at


class SearchBackend(Protocol):
    """Fused channel scores over the index's chunks, by chunk position (0 where a chunk was not found)."""

    def fused(self, query: ChannelQuery, filters: SearchFilters | None, allowed: np.ndarray | None) -> np.ndarray:
        """Scores ≥ 0, the best 1-ish; `allowed` is `filters` as a mask over chunk positions."""
        ...


class EmbeddedBackend:
    """bm25s and FAISS in process: each channel's scores over every chunk, max-normalised, summed with weights."""

    def __init__(self, index: LoadedIndex, candidate_pool: int) -> None:
        self.index = index
        self.candidate_pool = candidate_pool

    def fused(self, query: ChannelQuery, filters: SearchFilters | None, allowed: np.ndarray | None) -> np.ndarray:
        index, weights = self.index, query.weights
        fused = np.zeros(len(index.chunks), dtype=np.float32)
        if weights["words"] > 0:
            fused += weights["words"] * _max_normalised(self._lexical(index.words.scores, index.analyzer.words, query))
        if weights["bigrams"] > 0:
            fused += weights["bigrams"] * _max_normalised(
                self._lexical(index.bigrams.scores, index.analyzer.bigrams, query))
        if weights["dense"] > 0 and query.vector is not None:
            ids, similarities = search_vectors(index.vectors, query.vector, self.candidate_pool, allowed)
            dense = np.zeros_like(fused)
            dense[ids] = np.maximum(similarities, 0.0)
            fused += weights["dense"] * _max_normalised(dense)
        return fused

    @staticmethod
    def _lexical(scores: Callable[[list[str]], np.ndarray], tokenize: Callable[[str], list[str]],
                 query: ChannelQuery) -> np.ndarray:
        """BM25 of one field: the question with the book's terms, plus its synonyms at reduced weight."""
        result = scores(tokenize(query.terms))
        if query.expansions:
            result += query.expansion_weight * scores(tokenize(query.expansions))
        return result


def open_backend(settings: Settings, index: LoadedIndex) -> SearchBackend:
    """The configured backend over an open index (QA_BACKEND); Milvus is imported only when used."""
    if settings.backend == "milvus":
        from qa.milvus_backend import MilvusBackend

        return MilvusBackend.connect(settings, index)
    return EmbeddedBackend(index, settings.candidate_pool)


def _max_normalised(scores: np.ndarray) -> np.ndarray:
    """Scores divided by their maximum, so that retrievers with different scales can be added."""
    peak = float(scores.max()) if scores.size else 0.0
    return scores / peak if peak > 0 else scores
