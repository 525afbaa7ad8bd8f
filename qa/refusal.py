"""Why a question was refused: a calibrated decision on what the evidence covers of the question.

The book covers many topics near a question it does not answer: the same fact for another year,
a detail it never gives, an institution it never names. Each signal alone (the share of the
question's rare words the evidence holds, a year or place missing from it, a best sentence that
shares nothing with the question, no mention of the type asked, a mention whose attribute does not
match) misfires; a logistic model fitted on the training split's near misses weighs them, and its
threshold is set on dev for at most 3% false refusals. Three refusals are certain and not weighed: a
year or place the question names that the evidence never mentions, a question with no word the
book uses, and a best sentence that shares (almost) nothing with the question itself.
"""

from __future__ import annotations

from dataclasses import dataclass

REFUSAL_FEATURES = (
    "confidence", "best_own", "best_coverage", "headline_probability", "has_choice",
    "factoid", "dense_top", "attribute_coverage", "unknown_words", "top_score",
)
FACTOID_KINDS = ("number", "date", "person", "organisation", "place", "name")


@dataclass(frozen=True)
class RefusalSignals:
    """What the evidence covers of the question, before the model weighs it."""

    confidence: float  # share of the IDF weight of the question's known words in the evidence
    gap: str | None  # a year or place the question names that the evidence does not
    unrelated: bool  # the best sentence shares (almost) nothing with the question itself
    best_own: float
    best_coverage: float
    headline_probability: float  # the best mention's probability (0 when none of the type asked)
    has_choice: bool
    factoid: bool
    dense_top: float
    attribute_coverage: float  # share of the asked attribute's terms in the best sentence and its path
    unknown_words: float  # share of the question's words the corpus never uses
    top_score: float  # the best passage's retrieval score (fused and reranked)

    @property
    def certain(self) -> bool:
        """Refusals no weighing can overturn: the question names a year or place the evidence does not
        cover, holds no word the book uses at all, or its best sentence shares (almost) nothing with it."""
        return self.gap is not None or self.confidence == 0.0 or self.unrelated

    def features(self) -> dict[str, float]:
        return {
            "confidence": self.confidence, "best_own": self.best_own, "best_coverage": self.best_coverage,
            "headline_probability": self.headline_probability, "has_choice": float(self.has_choice),
            "factoid": float(self.factoid), "dense_top": self.dense_top,
            "attribute_coverage": self.attribute_coverage, "unknown_words": self.unknown_words,
            "top_score": min(self.top_score, 3.0) / 3.0,
        }
