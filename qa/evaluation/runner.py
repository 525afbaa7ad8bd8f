"""`qa eval`: score a configuration in process or against a running service.

Retrieval is scored on /api/search's top 10 (so Recall@10 and MRR@10 are defined), answers on
/api/ask exactly as users call it. Beside the configured retriever, every other retriever mode and
the plain langchain quick-start (RecursiveCharacterTextSplitter 1000/200 over the raw text, FAISS,
the same embedder) are scored on retrieval, so the value of each part is visible.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, get_args

import httpx
import numpy as np

from qa.evaluation.dataset import EvalRecord
from qa.retrieval import RetrieverMode
from qa.evaluation.metrics import MRR_DEPTH, RECALL_DEPTHS, Outcome, breakdown, first_relevant_rank, \
    reciprocal_rank, score_answer, shows_headline, summarise

SEARCH_DEPTH = MRR_DEPTH
RETRIEVER_MODES = get_args(RetrieverMode)
QUICKSTART = "langchain-quickstart"


class Target(Protocol):
    """Something that answers like /api/ask and searches like /api/search."""

    description: str

    def search(self, question: str, k: int, retriever: str) -> list[str]: ...

    def ask(self, question: str) -> dict: ...


class InProcessTarget:
    """The pipeline itself, in this process."""

    def __init__(self, pipeline, mode: str) -> None:
        self.pipeline, self.mode = pipeline, mode
        self.description = f"in-process ({mode})"

    def search(self, question: str, k: int, retriever: str) -> list[str]:
        return [hit.chunk.text for hit in self.pipeline.retriever.search(question, k, mode=retriever)]

    def ask(self, question: str) -> dict:
        return self.pipeline.ask(question, mode=self.mode).model_dump(mode="json")


class HttpTarget:
    """A running service, over HTTP."""

    def __init__(self, url: str, mode: str, timeout_s: float = 60.0) -> None:
        self.client = httpx.Client(base_url=url.rstrip("/"), timeout=timeout_s)
        self.mode = mode
        self.description = f"{url} ({mode})"

    def search(self, question: str, k: int, retriever: str) -> list[str]:
        response = self.client.post("/api/search", json={"query": question, "top_k": k, "retriever": retriever})
        response.raise_for_status()
        return [passage["text"] for passage in response.json()["results"]]

    def ask(self, question: str) -> dict:
        response = self.client.post("/api/ask", json={"question": question, "mode": self.mode})
        response.raise_for_status()
        return response.json()


def quickstart_search(source_texts: Iterable[str], embedder) -> Callable[[str, int], list[str]]:
    """What a user would otherwise build from the langchain quick-start: fixed-size chunks of the raw
    text, embedded with the same model into a flat FAISS index."""
    import faiss
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    chunks = [piece for text in source_texts for piece in splitter.split_text(text)]
    index = faiss.IndexFlatIP(embedder.dims)
    index.add(embedder.embed_documents(chunks))

    def search(question: str, k: int) -> list[str]:
        _, ids = index.search(embedder.embed_query(question).reshape(1, -1).astype(np.float32), k)
        return [chunks[i] for i in ids[0] if i >= 0]

    return search


def retrieval_figures(ranks: list[int | None]) -> dict[str, float | None]:
    if not ranks:
        return {}
    figures = {f"recall@{k}": round(sum(r is not None and r <= k for r in ranks) / len(ranks), 4) for k in RECALL_DEPTHS}
    figures["mrr"] = round(sum(reciprocal_rank(r) for r in ranks) / len(ranks), 4)
    return figures


def run_evaluation(records: list[EvalRecord], target: Target, corpus_texts: list[str], retriever: str,
                   compare_retrievers: bool, quickstart: Callable[[str, int], list[str]] | None,
                   progress: Callable[[Iterable], Iterable] = lambda items: items) -> dict:
    """Score every record; return the report as a plain dict (written by qa.evaluation.report)."""
    outcomes: list[Outcome] = []
    side_ranks: dict[str, list[int | None]] = {}
    others = [m for m in RETRIEVER_MODES if m != retriever] if compare_retrievers else []
    for record in progress(records):
        outcome = Outcome(record.id, record.question, record.type, record.category, record.answerable, record.answer)
        if record.answerable:
            passages = target.search(record.question, SEARCH_DEPTH, retriever)
            outcome.rank = first_relevant_rank(passages, record.answer, record.aliases, record.evidence)
            for mode in others:
                ranks = first_relevant_rank(target.search(record.question, SEARCH_DEPTH, mode),
                                            record.answer, record.aliases, record.evidence)
                side_ranks.setdefault(mode, []).append(ranks)
            if quickstart is not None:
                side_ranks.setdefault(QUICKSTART, []).append(first_relevant_rank(
                    quickstart(record.question, SEARCH_DEPTH), record.answer, record.aliases, record.evidence))
        started = time.perf_counter()
        response = target.ask(record.question)
        outcome.latency_ms = (time.perf_counter() - started) * 1000
        score_answer(outcome, response["answer"], response.get("short_answer"), response["answerable"],
                     [c["quote"] for c in response.get("citations", [])], record.answer, record.aliases, corpus_texts)
        outcomes.append(outcome)

    retrievers = {retriever: retrieval_figures([o.rank for o in outcomes if o.answerable])}
    retrievers.update({name: retrieval_figures(ranks) for name, ranks in side_ranks.items()})
    misses = [
        {"id": o.id, "type": o.type, "category": o.category, "question": o.question, "gold": o.gold,
         "answer": o.answer, "answerable": o.answerable, "predicted_answerable": o.predicted_answerable,
         "rank": o.rank}
        for o in outcomes if (o.answerable and not o.correct) or (not o.answerable and o.predicted_answerable)
    ]
    wrong_headlines = [
        {"id": o.id, "type": o.type, "question": o.question, "gold": o.gold, "short_answer": o.short_answer}
        for o in outcomes if shows_headline(o) and not (o.answerable and o.short_correct)
    ]
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "target": target.description,
        "retriever": retriever,
        "overall": summarise(outcomes),
        "retrievers": retrievers,
        "by_type": breakdown(outcomes, "type"),
        "by_category": breakdown(outcomes, "category"),
        "misses": misses,
        "wrong_headlines": wrong_headlines,
        "latencies_ms": [round(o.latency_ms, 2) for o in outcomes],
    }


def corpus_texts_from(parsed_dir: Path, yearbooks: list[str]) -> list[str]:
    """Normalised record texts: what a citation's quote must occur in, verbatim."""
    from qa.corpus import load_records
    from qa.textrepair import normalise_for_match

    return [normalise_for_match(r.text) for book in yearbooks for r in load_records(parsed_dir, book)]
