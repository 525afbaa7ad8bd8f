"""Request and response schemas of the v1 HTTP contract (see docs in README and /docs)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator
from pydantic_core import PydanticCustomError

from qa.answers import AskResult, Passage
from qa.feedback import FeedbackRecord, Verdict
from qa.records import Record
from qa.pipeline import AskMode
from qa.retrieval import RetrieverMode, SearchFilters

MAX_QUESTION_CHARS = 500
MAX_FILTER_CHARS = 200


def _encodable(value: str) -> str:
    """JSON may carry a lone surrogate (\\udc80) that no UTF-8 store or response can hold: refuse it here."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("invalid_unicode", "text holds a lone surrogate, which is not valid Unicode") from None
    return value


Text = Annotated[StrictStr, AfterValidator(_encodable)]
FilterValue = Annotated[StrictStr, Field(max_length=MAX_FILTER_CHARS), AfterValidator(_encodable)]


class Filters(BaseModel):
    """Restrict to yearbooks and/or categories (类目); a single value or a list."""

    model_config = ConfigDict(extra="forbid")

    yearbook: FilterValue | list[FilterValue] | None = None
    category: FilterValue | list[FilterValue] | None = None

    def to_search(self) -> SearchFilters:
        def listed(value: str | list[str] | None) -> list[str] | None:
            return [value] if isinstance(value, str) else value

        return SearchFilters(yearbook=listed(self.yearbook), category=listed(self.category))


def _integral_float(value: object) -> object:
    """JSON Schema counts 18.0 as an integer, so the API does too; "5", 5.5 and true stay errors."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


WholeNumber = Annotated[StrictInt, BeforeValidator(_integral_float)]


class _Query(BaseModel):
    model_config = ConfigDict(extra="forbid")

    top_k: WholeNumber = Field(5, ge=1, le=20, description="Passages to return (1–20).")
    filters: Filters = Field(default_factory=Filters)


QuestionText = Annotated[StrictStr, Field(min_length=1, max_length=MAX_QUESTION_CHARS, pattern=r"\S"),
                         AfterValidator(_encodable)]


def _clean_question(value: str) -> str:
    return value.strip()


class AskRequest(_Query):
    """A question in everyday Chinese."""

    question: QuestionText = Field(description=f"The question (1–{MAX_QUESTION_CHARS} characters).")
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

    query: QuestionText = Field(description=f"Query text (1–{MAX_QUESTION_CHARS} characters).")
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

    question: QuestionText = Field(description=f"The question asked (1–{MAX_QUESTION_CHARS} characters).")
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


def publish_known_filters(openapi: dict[str, Any], yearbooks: list[str], categories: list[str]) -> None:
    """Write the served index's yearbooks and categories into the Filters schema as enums, so that
    the published contract names exactly the values that do not get a 422 `unknown_filter`."""
    properties = openapi["components"]["schemas"]["Filters"]["properties"]
    for name, known in (("yearbook", yearbooks), ("category", categories)):
        for option in properties[name]["anyOf"]:
            target = option.get("items") if option.get("type") == "array" else option
            if target and target.get("type") == "string":
                target["enum"] = list(known)


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _error("The body could not be decoded (not UTF-8, not parsable)."),
    408: _error("The body did not arrive in time."),
    413: _error("The body is larger than the limit."),
    422: _error("A field is missing, of the wrong type or out of range."),
    429: _error("Too many requests from this client; see Retry-After."),
    503: _error("The service is at capacity; see Retry-After."),
}
