"""Request and response schemas of the v1 HTTP contract (see docs in README and /docs)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator
from pydantic_core import PydanticCustomError

from qa.answers import AskResult, Passage
from qa.feedback import FeedbackRecord, Verdict
from qa.records import Record
from qa.pipeline import AskMode
from qa.retrieval import RetrieverMode, SearchFilters

MAX_QUESTION_CHARS = 500


def _encodable(value: str) -> str:
    """JSON may carry a lone surrogate (\\udc80) that no UTF-8 store or response can hold: refuse it here."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("invalid_unicode", "text holds a lone surrogate, which is not valid Unicode") from None
    return value


Text = Annotated[StrictStr, AfterValidator(_encodable)]


class Filters(BaseModel):
    """Restrict to yearbooks and/or categories (类目); a single value or a list."""

    model_config = ConfigDict(extra="forbid")

    yearbook: Text | list[Text] | None = None
    category: Text | list[Text] | None = None

    def to_search(self) -> SearchFilters:
        def listed(value: str | list[str] | None) -> list[str] | None:
            return [value] if isinstance(value, str) else value

        return SearchFilters(yearbook=listed(self.yearbook), category=listed(self.category))


class _Query(BaseModel):
    model_config = ConfigDict(extra="forbid")

    top_k: StrictInt = Field(5, ge=1, le=20, description="Passages to return (1–20).")
    filters: Filters = Field(default_factory=Filters)


def _clean_question(value: str) -> str:
    value = _encodable(value).strip()
    if not value:
        raise ValueError("empty")
    if len(value) > MAX_QUESTION_CHARS:
        raise ValueError("too_long")
    return value


class AskRequest(_Query):
    """A question in everyday Chinese."""

    question: StrictStr = Field(description=f"The question (1–{MAX_QUESTION_CHARS} characters).")
    mode: AskMode = Field(
        "auto", description="auto: LLM when configured, else extractive; extractive: no model; llm: require the LLM."
    )
    stream: StrictBool = Field(False, description="LLM mode only: stream Server-Sent Events (tokens, then citations).")

    @field_validator("question")
    @classmethod
    def _question_text(cls, value: str) -> str:
        return _clean_question(value)


class SearchRequest(_Query):
    """Keywords or a question; returns ranked passages."""

    query: StrictStr = Field(description=f"Query text (1–{MAX_QUESTION_CHARS} characters).")
    retriever: RetrieverMode = Field(
        "hybrid", description="Which retriever ranks the passages (evaluators compare them).")

    @field_validator("query")
    @classmethod
    def _query_text(cls, value: str) -> str:
        return _clean_question(value)


AskResponse = AskResult

MAX_ANSWER_CHARS = 4000  # an LLM answer with its markers; extractive ones stay under 300
MAX_COMMENT_CHARS = 1000
MAX_CHUNK_IDS = 20  # top_k's upper bound: no answer cites more passages
MAX_CHUNK_ID_CHARS = 200


class FeedbackRequest(BaseModel):
    """A citizen's verdict on one answer, with what they were shown."""

    model_config = ConfigDict(extra="forbid")

    question: Text = Field(description=f"The question asked (1–{MAX_QUESTION_CHARS} characters).")
    answer: Text = Field(min_length=1, max_length=MAX_ANSWER_CHARS, description="The answer shown, as shown.")
    verdict: Verdict = Field(description="correct, wrong or unclear.")
    comment: Text = Field("", max_length=MAX_COMMENT_CHARS, description="Optional words from the citizen.")
    chunk_ids: list[Annotated[Text, Field(min_length=1, max_length=MAX_CHUNK_ID_CHARS)]] = Field(
        default_factory=list, max_length=MAX_CHUNK_IDS, description="Ids of the passages the answer cited.")

    @field_validator("question")
    @classmethod
    def _question_text(cls, value: str) -> str:
        return _clean_question(value)


class FeedbackCreated(BaseModel):
    id: int
    created_at: str


class FeedbackPage(BaseModel):
    """One page of stored feedback, newest first."""

    total: int
    limit: int
    offset: int
    items: list[FeedbackRecord]


class SearchResponse(BaseModel):
    query: str
    results: list[Passage]
    timings_ms: dict[str, float]


class Section(BaseModel):
    """The whole record a citation points into."""

    id: str
    yearbook: str
    kind: str
    section_path: list[str]
    title: str
    page_start: int | None
    page_end: int | None
    doc_number: str | None
    text: str


def section_of(record: Record) -> Section:
    return Section(id=record.id, yearbook=record.yearbook, kind=record.kind, section_path=record.path,
                   title=record.title, page_start=record.page_start, page_end=record.page_end,
                   doc_number=record.doc_number, text=record.text)


class ErrorBody(BaseModel):
    code: str
    message_zh: str
    message_en: str
    fields: list[dict[str, Any]] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    error: ErrorBody
