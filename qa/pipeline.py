"""The one pipeline object that the API, the CLI and `qa eval` all wrap: the same code answers everywhere."""

from __future__ import annotations

from dataclasses import dataclass

from qa.config import Settings
from qa.embedding import Embedder, load_embedder
from qa.retrieval import Retriever
from qa.store import LoadedIndex, load_index


@dataclass
class Pipeline:
    """Loaded index, embedder and retriever (and, in later stages, the answerer)."""

    settings: Settings
    embedder: Embedder
    index: LoadedIndex
    retriever: Retriever

    @classmethod
    def load(cls, settings: Settings) -> Pipeline:
        """Load everything heavy once; raises IndexStoreError with a fix-it message on mismatch."""
        embedder = load_embedder(settings.embedding_model, settings.cache_dir, settings.embedding_query_prefix)
        index = load_index(settings, embedder)
        return cls(settings, embedder, index, Retriever(index, embedder, settings))
