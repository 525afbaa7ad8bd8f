"""The one pipeline object that the API, the CLI and `qa eval` all wrap: the same code answers everywhere."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from qa.answering import Draft, ExtractiveAnswerer
from qa.answers import AskResult
from qa.backend import SearchBackend, open_backend
from qa.config import Settings
from qa.embedding import Embedder
from qa.llm import LlmAnswerer, LlmError
from qa.query import Question
from qa.retrieval import Hit, Retriever, SearchFilters
from qa.store import LoadedIndex, load_index, load_index_embedder
from qa.tokens import count_tokens

AskMode = Literal["auto", "extractive", "llm"]
NO_LLM_NOTICE = "未配置 LLM，已改用摘录式回答。 / No LLM is configured; answered extractively."
LLM_BUSY_NOTICE = "大模型正忙，已改用摘录式回答。 / The LLM is busy; answered extractively."


def llm_failure_notice(error: LlmError) -> str:
    return f"LLM 不可用（{error}），已改用摘录式回答。 / LLM unavailable ({error}); answered extractively."


@dataclass
class Pipeline:
    """Loaded index, embedder, retriever and answerers, shared read-only by every request."""

    settings: Settings
    embedder: Embedder
    index: LoadedIndex
    retriever: Retriever
    extractive: ExtractiveAnswerer
    llm: LlmAnswerer | None
    # LLM calls block a server thread for seconds; a few slots keep the rest of the threads for
    # extractive answers, health checks and files, and a question that finds no slot free is
    # answered extractively at once rather than queued.
    llm_slots: threading.BoundedSemaphore = field(init=False)

    def __post_init__(self) -> None:
        self.llm_slots = threading.BoundedSemaphore(self.settings.llm_concurrency)

    @classmethod
    def load(cls, settings: Settings) -> Pipeline:
        """Load everything heavy once; raises IndexStoreError with a fix-it message on mismatch."""
        embedder, manifest = load_index_embedder(settings)
        index = load_index(settings, embedder, manifest)
        return cls.over(settings, embedder, index, open_backend(settings, index))

    @classmethod
    def over(cls, settings: Settings, embedder: Embedder, index: LoadedIndex,
             backend: SearchBackend | None = None) -> Pipeline:
        """The pipeline over an index already open (also one being built, to train its models);
        searched in process unless another backend is given."""
        retriever = Retriever(index, embedder, settings, backend)
        books = index.manifest["corpus"]
        extractive = ExtractiveAnswerer(
            retriever.coverage, index.analyzer, index.words.idf(), index.records,
            covered_years={book["records_year"] for book in books},
            edition_years={book["edition_year"] for book in books},
            region_names={name for book in books for name in book["region_names"]},
            statistical_sources=[source for book in books for source in book["statistical_sources"]],
            sub_area_categories=[category for book in books for category in book["sub_area_categories"]],
            sentences_of=lambda chunk_id: index.sentences.get(chunk_id, []), models=index.models, genre=index.genre,
        )
        llm = None
        if settings.llm_base_url and settings.llm_model:
            llm = LlmAnswerer(
                settings.llm_base_url, settings.llm_api_key, settings.llm_model, settings.llm_timeout_s,
                settings.llm_prompt_tokens, lambda text: count_tokens(text, settings.cache_dir / "tiktoken"),
                retriever.coverage,
            )
        return cls(settings, embedder, index, retriever, extractive, llm)

    def ask(self, question: str, top_k: int = 5, mode: AskMode = "auto",
            filters: SearchFilters | None = None) -> AskResult:
        """Answer one question with citations, or refuse plainly; never raises for a well-formed question."""
        clock = _Clock()
        read, hits, draft = self._retrieve_and_draft(question, top_k, filters, clock)
        use_llm, notice = self._llm_plan(mode, draft.answerable)
        if use_llm:
            try:
                checked = self.llm.answer(read.text, hits)
                clock.lap("answer")
                return self._result(question, checked.answer, None, checked.answerable, checked.citations,
                                    draft, "llm", clock)
            except LlmError as exc:
                notice = llm_failure_notice(exc)
            finally:
                self.llm_slots.release()
        clock.lap("answer")
        return self._result(question, draft.answer, draft.short_answer, draft.answerable, draft.citations,
                            draft, "extractive", clock, notice)

    def ask_stream(self, question: str, top_k: int = 5, mode: AskMode = "auto",
                   filters: SearchFilters | None = None) -> Iterator[tuple[str, Any]]:
        """("token", text) events as the answer is written, then ("answer", AskResult)."""
        clock = _Clock()
        read, hits, draft = self._retrieve_and_draft(question, top_k, filters, clock)
        use_llm, notice = self._llm_plan(mode, draft.answerable)
        if use_llm:
            pieces: list[str] = []
            try:
                messages, used = self.llm.prompt(read.text, hits)
                for piece in self.llm.stream(messages):
                    pieces.append(piece)
                    yield "token", piece
                checked = self.llm.check("".join(pieces), used)
                clock.lap("answer")
                yield "answer", self._result(question, checked.answer, None, checked.answerable,
                                             checked.citations, draft, "llm", clock)
                return
            except LlmError as exc:
                notice = llm_failure_notice(exc)
            finally:
                self.llm_slots.release()
        clock.lap("answer")
        yield "token", draft.answer
        yield "answer", self._result(question, draft.answer, draft.short_answer, draft.answerable, draft.citations,
                                     draft, "extractive", clock, notice)

    def _retrieve_and_draft(self, question: str, top_k: int, filters: SearchFilters | None,
                            clock: _Clock) -> tuple[Question, list[Hit], Draft]:
        read = self.retriever.reader.read(question)
        hits = self.retriever.search(read, top_k, filters)
        clock.lap("retrieve")
        return read, hits, self.extractive.answer(read, hits, self.retriever.dense_scores(read, hits))

    def _llm_plan(self, mode: AskMode, answerable: bool) -> tuple[bool, str | None]:
        """Whether to ask the LLM (holding one of its slots: the caller releases it), and the notice
        to give when it was asked for but is not there or is busy."""
        if mode == "extractive" or not answerable:
            return False, None
        if self.llm is None:
            return False, (None if mode == "auto" else NO_LLM_NOTICE)
        if not self.llm_slots.acquire(blocking=False):
            return False, LLM_BUSY_NOTICE
        return True, None

    @staticmethod
    def _result(question: str, answer: str, short_answer: str | None, answerable: bool, citations: list,
                draft: Draft, mode: str, clock: _Clock, notice: str | None = None) -> AskResult:
        return AskResult(question=question, answer=answer, short_answer=short_answer,
                         short_answer_confidence=draft.short_answer_confidence if short_answer else None,
                         answerable=answerable,
                         citations=citations, passages=draft.passages, mode=mode,  # type: ignore[arg-type]
                         timings_ms=clock.timings(), notice=notice)


class _Clock:
    """Per-stage wall-clock timings in milliseconds."""

    def __init__(self) -> None:
        self._start = self._last = time.perf_counter()
        self._laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self._laps[name] = round((now - self._last) * 1000, 2)
        self._last = now

    def timings(self) -> dict[str, float]:
        return {**self._laps, "total": round((self._last - self._start) * 1000, 2)}
