"""Learned decisions stored as plain JSON: a logistic model's feature names, weights and threshold.

The learned parts of answering (which mention answers, whether to show it, whether to answer at
all) are logistic regressions over named features. They are fitted by `qa.training` on the
training split and their thresholds set on dev; here they are only applied, with numpy, so serving
needs no scikit-learn.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class LogisticModel:
    """p = sigmoid(intercept + Σ weight·feature); `threshold` is the decision point set on dev."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    intercept: float
    threshold: float
    figures: dict = field(default_factory=dict)  # what training and calibration measured

    def probability(self, values: dict[str, float]) -> float:
        z = self.intercept + sum(w * values[name] for name, w in zip(self.features, self.weights))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> LogisticModel:
        return cls(tuple(data["features"]), tuple(data["weights"]), data["intercept"], data["threshold"],
                   data.get("figures", {}))


@dataclass(frozen=True)
class AnswerModels:
    """The headline ranker (which mention answers; its threshold is unused), the sureness model
    (whether the best mention is right, i.e. whether to show it) and the refusal model (whether the
    retrieved evidence answers at all)."""

    headline: LogisticModel
    sureness: LogisticModel
    refusal: LogisticModel
    training: dict  # data files and their sha256, counts

    def to_json(self) -> dict:
        return {"headline": self.headline.to_json(), "sureness": self.sureness.to_json(),
                "refusal": self.refusal.to_json(), "training": self.training}

    @classmethod
    def from_json(cls, data: dict) -> AnswerModels:
        return cls(LogisticModel.from_json(data["headline"]), LogisticModel.from_json(data["sureness"]),
                   LogisticModel.from_json(data["refusal"]), data["training"])
