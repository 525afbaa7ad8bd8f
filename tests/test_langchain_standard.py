"""langchain's own standard retriever suite (`langchain-tests`) against YearbookRetriever, on both backends."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from qa.langchain_retriever import YearbookRetriever


class _YearbookRetrieverSuite(RetrieversIntegrationTests):
    """The suite reads its constructor parameters from properties; the real retriever is bound per test."""

    _retriever: Any = None

    @property
    def retriever_constructor(self) -> type[YearbookRetriever]:
        return YearbookRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"retriever": self._retriever}

    @property
    def retriever_query_example(self) -> str:
        return "农村饮水 滞纳金"


class TestEmbeddedBackend(_YearbookRetrieverSuite):
    @pytest.fixture(autouse=True)
    def _bind(self, pipeline) -> None:
        self._retriever = pipeline.retriever


class TestMilvusBackend(_YearbookRetrieverSuite):
    @pytest.fixture(autouse=True)
    def _bind(self, milvus_pipeline) -> None:
        self._retriever = milvus_pipeline.retriever


def test_k_at_call_time_overrides_the_constructor(pipeline):
    retriever = YearbookRetriever(retriever=pipeline.retriever)
    five, one = retriever.invoke("农村饮水 滞纳金"), retriever.invoke("农村饮水 滞纳金", k=1)
    assert len(five) == 5 and len(one) == 1 and one[0].metadata["chunk_id"] == five[0].metadata["chunk_id"]
