"""A langchain-core `BaseRetriever` over our Retriever, for users who build their own chains.

Uses langchain-core's interfaces only (langchain-community's vector stores are being retired).
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from qa.retrieval import Retriever, RetrieverMode, SearchFilters


class YearbookRetriever(BaseRetriever):
    """`invoke("问题")` returns the top-k passages as Documents with path, page and ids in metadata;
    `invoke("问题", k=1)` the top one."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Any  # qa.retrieval.Retriever (Any: pydantic cannot validate the class itself)
    k: int = 5
    filters: SearchFilters | None = None
    mode: RetrieverMode = "hybrid"

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                k: int | None = None, filters: SearchFilters | None = None) -> list[Document]:
        """`k` and `filters` given at call time (`invoke(q, k=1)`) override the constructor's."""
        retriever: Retriever = self.retriever
        return [
            Document(
                page_content=hit.chunk.text,
                metadata={
                    "chunk_id": hit.chunk.id, "record_id": hit.chunk.record_id, "yearbook": hit.chunk.yearbook,
                    "section_path": hit.chunk.path, "page": hit.chunk.page_start, "page_end": hit.chunk.page_end,
                    "kind": hit.chunk.kind, "score": hit.score,
                },
            )
            for hit in retriever.search(query, k or self.k, filters or self.filters, self.mode)
        ]
