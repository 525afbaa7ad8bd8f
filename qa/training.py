"""Fitting the answer models: the headline ranker, the sureness model and the refusal model, on the training split.

Runs inside `qa index build`, on the index about to be swapped into place, so an index always
carries models fitted on its own features. Each training question is retrieved and examined
exactly as `/api/ask` would; every (sentence, mention) pair is labelled by whether it is the gold
answer, every question by whether the book answers it. Logistic regressions (scikit-learn) are
fitted on those. The sureness model learns from rankings the ranker made of questions it was not
fitted on (five folds by question), since its rankings of its own training questions are too sure.
Then the thresholds are set: the refusal's on the dev split for the configured share of false
refusals; the sureness model's for the configured precision of shown short answers on dev and on
the training questions' own out-of-fold sureness alike (a few dozen dev headlines are too few to set
it alone). The manifest records the data's sha256, the counts and what was measured.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from qa.answering import Examination
from qa.config import Settings
from qa.embedding import Embedder
from qa.evaluation.dataset import EvalRecord, load_dataset
from qa.manifest import file_sha256
from qa.models import AnswerModels, LogisticModel
from qa.pipeline import Pipeline
from qa.refusal import REFUSAL_FEATURES
from qa.selection import FEATURES, SURENESS_FEATURES, sureness_features
from qa.store import IndexStoreError, LoadedIndex
from qa.textrepair import normalise_for_match

if TYPE_CHECKING:
    from sklearn.linear_model import LogisticRegression

TOP_K = 5
FOLDS = 5  # the out-of-fold rankings the sureness model learns from
MIN_SHOWN = 10  # a headline threshold must leave at least this many dev headlines to measure precision on
# A threshold is a dev question's own probability; set just below it, so that a refit's floating-point
# noise (about 1e-8 between two builds) cannot move that question to the other side.
THRESHOLD_MARGIN = 1e-6


@dataclasses.dataclass
class _Examined:
    record: EvalRecord
    kind: str  # the answer type the question asks for, as read
    exam: Examination


def fit_answer_models(settings: Settings, embedder: Embedder, index: LoadedIndex) -> AnswerModels:
    """Fit the three models on the training split and set their thresholds (see the module's docstring)."""
    pipeline = Pipeline.over(settings, embedder, index)
    books = {book["yearbook"] for book in index.manifest["corpus"]}
    if not settings.train_dataset.is_file():
        raise IndexStoreError(f"no training split at {settings.train_dataset} (QA_TRAIN_DATASET): the answer models need one")
    train = [r for r in load_dataset(settings.train_dataset) if r.split == "train" and r.yearbook in books]
    dev = [r for path in settings.calibration_datasets if path.is_file()
           for r in load_dataset(path, "dev") if r.yearbook in books]
    if not train or not dev:
        raise IndexStoreError(f"no training ({len(train)}) or dev ({len(dev)}) questions for yearbooks {sorted(books)}")
    examined_train = [_examine(pipeline, r) for r in train]
    examined_dev = [_examine(pipeline, r) for r in dev]

    rows, labels, questions = [], [], []
    for number, item in enumerate(examined_train):  # an unanswerable question's pairs are all wrong: the ranker learns that too
        for choice in item.exam.choices:
            rows.append([choice.features[name] for name in FEATURES])
            labels.append(item.record.answerable and _is_gold(choice.mention.text, item.record))
            questions.append(number)
    ranker = _logistic().fit(np.array(rows), np.array(labels))
    headline = LogisticModel(FEATURES, tuple(float(w) for w in ranker.coef_[0]), float(ranker.intercept_[0]), 0.0,
                             {"train_pairs": len(rows), "train_positive_pairs": int(sum(labels))})
    sureness, sureness_out_of_fold = _fit_sureness(examined_train, np.array(rows), np.array(labels), np.array(questions))
    for item in [*examined_train, *examined_dev]:
        _apply_headline(item, headline)

    with_signals = [item for item in examined_train if item.exam.signals is not None and not item.exam.signals.certain]
    refusal_rows = [[item.exam.signals.features()[name] for name in REFUSAL_FEATURES] for item in with_signals]
    refusal_labels = [item.record.answerable for item in with_signals]
    refuser = _logistic().fit(np.array(refusal_rows), np.array(refusal_labels))
    refusal = LogisticModel(REFUSAL_FEATURES, tuple(float(w) for w in refuser.coef_[0]), float(refuser.intercept_[0]), 0.0)

    refusal_threshold, refusal_figures = _refusal_threshold(refusal, examined_dev, settings.max_false_refusals)
    refusal = dataclasses.replace(refusal, threshold=refusal_threshold, figures=refusal_figures | {
        "train_questions": len(with_signals), "train_answerable": int(sum(refusal_labels))})
    sureness_threshold, sureness_figures = _headline_threshold(sureness, refusal, examined_dev, examined_train,
                                                               sureness_out_of_fold, settings.headline_precision)
    sureness = dataclasses.replace(sureness, threshold=sureness_threshold, figures=sureness.figures | sureness_figures)
    training = {
        "train": {"file": str(settings.train_dataset), "sha256": file_sha256(settings.train_dataset), "questions": len(train)},
        "dev": [{"file": str(path), "sha256": file_sha256(path)} for path in settings.calibration_datasets if path.is_file()],
        "dev_questions": len(dev),
    }
    return AnswerModels(headline, sureness, refusal, training)


def _logistic() -> LogisticRegression:
    """A logistic regression fitted to convergence: at lbfgs's default tolerance, two builds of the same
    data (whose features differ by ~1e-11 of BLAS noise) gave sureness weights 0.05 apart, enough to
    move its threshold past a dev headline."""
    from sklearn.linear_model import LogisticRegression  # training only: serving applies the weights itself

    return LogisticRegression(C=1.0, tol=1e-10, max_iter=50_000)


def _fit_sureness(examined: list[_Examined], rows: np.ndarray, labels: np.ndarray,
                  questions: np.ndarray) -> tuple[LogisticModel, dict[int, float]]:
    """The model of whether a question's best pair is right, fitted on rankings made out of fold; and
    its own out-of-fold probabilities for the training questions (by question number), an honest
    second sample for its threshold."""
    from sklearn.model_selection import GroupKFold, KFold, cross_val_predict

    out_of_fold = cross_val_predict(_logistic(), rows, labels, groups=questions,
                                    cv=GroupKFold(FOLDS), method="predict_proba")[:, 1]
    tops, right, numbers = [], [], []
    for number, item in enumerate(examined):
        if not item.exam.choices:
            continue
        ranked = sorted(zip(out_of_fold[questions == number], item.exam.choices), key=lambda pair: -pair[0])
        ranked_choices = [dataclasses.replace(choice, probability=float(p)) for p, choice in ranked]
        tops.append([sureness_features(ranked_choices, item.kind)[name] for name in SURENESS_FEATURES])
        right.append(item.record.answerable and _is_gold(ranked_choices[0].mention.text, item.record))
        numbers.append(number)
    top_rows, top_right = np.array(tops), np.array(right)
    model = _logistic().fit(top_rows, top_right)
    sureness_out_of_fold = cross_val_predict(_logistic(), top_rows, top_right,
                                             cv=KFold(FOLDS, shuffle=True, random_state=0), method="predict_proba")[:, 1]
    fitted = LogisticModel(SURENESS_FEATURES, tuple(float(w) for w in model.coef_[0]), float(model.intercept_[0]), 1.0,
                           {"train_questions": len(tops), "train_best_right": int(sum(right))})
    return fitted, dict(zip(numbers, (float(p) for p in sureness_out_of_fold)))


def _examine(pipeline: Pipeline, record: EvalRecord) -> _Examined:
    question = pipeline.retriever.reader.read(record.question)
    hits = pipeline.retriever.search(question, TOP_K)
    exam = pipeline.extractive.examine(question, hits, pipeline.retriever.dense_scores(question, hits), None)
    return _Examined(record, question.kind, exam)


def _is_gold(value: str, record: EvalRecord) -> bool:
    golds = {normalise_for_match(a) for a in [record.answer, *record.aliases] if a}
    return normalise_for_match(value) in golds


def _apply_headline(item: _Examined, model: LogisticModel) -> None:
    """Score and sort the pairs with the fitted ranker, and pass its best probability to the refusal signals."""
    exam = item.exam
    for choice in exam.choices:
        choice.probability = model.probability(choice.features)
    exam.choices.sort(key=lambda c: -c.probability)
    if exam.signals is not None:
        exam.signals = dataclasses.replace(
            exam.signals, headline_probability=exam.choices[0].probability if exam.choices else 0.0)


def _answer_probability(refusal: LogisticModel, item: _Examined) -> float:
    """The refusal model's probability that the book answers; 0 where a refusal is certain."""
    signals = item.exam.signals
    return refusal.probability(signals.features()) if signals is not None and not signals.certain else 0.0


def _refusal_threshold(refusal: LogisticModel, dev: list[_Examined], max_false: float) -> tuple[float, dict]:
    """The highest threshold that refuses at most `max_false` of the answerable dev questions."""
    answerable = sorted(_answer_probability(refusal, item) for item in dev if item.record.answerable)
    unanswerable = [_answer_probability(refusal, item) for item in dev if not item.record.answerable]
    allowed = int(max_false * len(answerable))  # this many may fall below the threshold
    threshold = answerable[allowed] - THRESHOLD_MARGIN if answerable else 0.5
    false_refusals = sum(p < threshold for p in answerable) / len(answerable) if answerable else 0.0
    recall = sum(p < threshold for p in unanswerable) / len(unanswerable) if unanswerable else 0.0
    return threshold, {"dev_false_refusals": round(false_refusals, 4), "dev_refusal_recall": round(recall, 4),
                       "dev_answerable": len(answerable), "dev_unanswerable": len(unanswerable)}


def _headline_threshold(sureness: LogisticModel, refusal: LogisticModel, dev: list[_Examined], train: list[_Examined],
                        train_sureness: dict[int, float], precision: float) -> tuple[float, dict]:
    """The lowest sureness threshold at which the headlines shown (answered, sure above it) are right at
    least `precision` of the time, on dev and on the training questions' out-of-fold probabilities
    alike: a few dozen dev headlines alone set a threshold by chance (on the training questions the
    dev threshold alone showed headlines right 0.89 of the time). A wrong headline on an unanswerable
    question counts as wrong."""
    def shown_pair(item: _Examined, probability: float) -> tuple[float, bool]:
        return probability, item.record.answerable and _is_gold(item.exam.choices[0].mention.text, item.record)

    def answered(item: _Examined) -> bool:
        return bool(item.exam.choices) and _answer_probability(refusal, item) >= refusal.threshold

    on_dev = [shown_pair(item, sureness.probability(sureness_features(item.exam.choices, item.kind)))
              for item in dev if answered(item)]
    on_train = [shown_pair(item, train_sureness[number]) for number, item in enumerate(train)
                if number in train_sureness and answered(item)]
    threshold = max(_lowest_precise_threshold(on_dev, precision), _lowest_precise_threshold(on_train, precision))
    figures: dict = {"dev_factoid_candidates": len(on_dev)}
    for name, pairs in (("dev", on_dev), ("train_out_of_fold", on_train)):
        kept = [correct for probability, correct in pairs if probability >= threshold]
        figures |= {f"{name}_headlines_shown": len(kept),
                    f"{name}_headline_precision": round(sum(kept) / len(kept), 4) if kept else None}
    return threshold, figures


def _lowest_precise_threshold(pairs: list[tuple[float, bool]], precision: float) -> float:
    """The lowest probability above which (probability, right) pairs are right at least `precision` of
    the time, with at least MIN_SHOWN of them; 1.0 (nothing shown) when there is none."""
    threshold, right = 1.0, 0
    for n, (probability, correct) in enumerate(sorted(pairs, key=lambda pair: -pair[0]), start=1):
        right += correct
        if n >= MIN_SHOWN and right / n >= precision:
            threshold = probability - THRESHOLD_MARGIN
    return threshold
