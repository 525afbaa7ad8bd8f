"""Feedback → evaluation questions: `qa feedback export` writes records shaped like eval/ data sets.

An evaluator turns a citizen's complaint into a scored question by filling the gold fields. Those
that only an evaluator can decide (`type`, `answerable`, `split`, and `answer`/`evidence` from the
book) are written empty or null, so `load_dataset` refuses an export until someone has filled them:
unchecked feedback can never be scored by accident. What the citizen saw and said is kept under
`feedback` (the data set loader ignores it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pydantic import BaseModel

from qa.evaluation.dataset import QuestionType
from qa.feedback import FeedbackRecord, Verdict


class FeedbackSeen(BaseModel):
    """What the citizen saw and said, and which index answered."""

    id: int
    verdict: Verdict
    comment: str
    shown_answer: str
    chunk_ids: list[str]
    created_at: str
    index_built_at: str | None


class FeedbackEvalRecord(BaseModel):
    """EvalRecord's fields, the evaluator's still open, plus the feedback it came from."""

    id: str
    question: str
    answer: str = ""
    aliases: list[str] = []
    evidence: str = ""
    yearbook: str | None
    category: str | None  # the first cited passage's 类目: a hint, the evaluator sets the evidence's
    type: QuestionType | None = None
    answerable: bool | None = None
    split: str | None = None
    asker: str | None = None
    paraphrase: bool | None = None
    near_miss: str | None = None
    provenance: str
    feedback: FeedbackSeen


def eval_records(feedback: Iterable[FeedbackRecord]) -> Iterator[FeedbackEvalRecord]:
    """One eval-shaped record per piece of feedback, in the order given."""
    for item in feedback:
        yield FeedbackEvalRecord(
            id=f"feedback-{item.id}", question=item.question, yearbook=item.yearbook, category=item.category,
            provenance=f"citizen feedback #{item.id} ({item.verdict}) of {item.created_at}; "
                       "gold answer, evidence, type, answerable and split to be filled by an evaluator",
            feedback=FeedbackSeen(id=item.id, verdict=item.verdict, comment=item.comment, shown_answer=item.answer,
                                  chunk_ids=item.chunk_ids, created_at=item.created_at,
                                  index_built_at=item.index_built_at),
        )
