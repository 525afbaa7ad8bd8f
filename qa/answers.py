"""The answer records shared by the answerers, the API (v1 contract) and the evaluation."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Citation(BaseModel):
    """A numbered source: `quote` is verbatim corpus text inside the cited chunk."""

    n: int
    chunk_id: str
    record_id: str
    yearbook: str
    section_path: list[str]
    page: int | None
    quote: str
    score: float


class Passage(BaseModel):
    """A retrieved passage, listed with every answer (also with refusals: the nearest text)."""

    chunk_id: str
    record_id: str
    yearbook: str
    section_path: list[str]
    page: int | None
    text: str
    score: float


class AskResult(BaseModel):
    """What /api/ask, `qa ask` and `qa eval` return."""

    question: str
    answer: str
    short_answer: str | None
    short_answer_confidence: float | None = Field(
        None, description="The sureness model's probability that `short_answer` is right; a headline is shown only above the threshold set on dev.")
    answerable: bool
    citations: list[Citation]
    passages: list[Passage]
    mode: Literal["extractive", "llm"]
    timings_ms: dict[str, float] = Field(default_factory=dict)
    notice: str | None = Field(None, description="Why the service answered differently than asked (e.g. LLM unreachable).")
