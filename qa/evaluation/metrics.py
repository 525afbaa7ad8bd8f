"""The BRIEF's metrics, exactly: all comparisons on NFKC text with whitespace removed."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from qa.textrepair import normalise_for_match

EDGE_CHARS = 12
MRR_DEPTH = 10
RECALL_DEPTHS = (1, 3, 5, 10)
FACTOID_TYPES = ("number", "date", "entity")


def contains_answer(text: str, answer: str, aliases: list[str]) -> bool:
    """Whether normalised `text` holds the gold answer or one of its aliases."""
    haystack = normalise_for_match(text)
    return any(normalise_for_match(a) and normalise_for_match(a) in haystack for a in [answer, *aliases])


def is_relevant(passage: str, answer: str, aliases: list[str], evidence: str) -> bool:
    """A passage is relevant when it holds the answer (or an alias) and the evidence quote —
    whole, or its first or last 12 characters."""
    if not contains_answer(passage, answer, aliases):
        return False
    return holds_quote(normalise_for_match(passage), normalise_for_match(evidence))


def holds_quote(text: str, quote: str) -> bool:
    """Whether normalised `text` holds the normalised evidence quote, whole or by its first or last
    12 characters (a quote cut by a chunk boundary still counts)."""
    return quote in text or quote[:EDGE_CHARS] in text or quote[-EDGE_CHARS:] in text


def first_relevant_rank(passages: list[str], answer: str, aliases: list[str], evidence: str) -> int | None:
    """1-based rank of the first relevant passage, or None."""
    for rank, passage in enumerate(passages, start=1):
        if is_relevant(passage, answer, aliases, evidence):
            return rank
    return None


def reciprocal_rank(rank: int | None) -> float:
    return 1.0 / rank if rank is not None and rank <= MRR_DEPTH else 0.0


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


@dataclass
class Outcome:
    """What happened to one evaluation question."""

    id: str
    question: str
    type: str
    category: str
    answerable: bool
    gold: str
    rank: int | None = None  # first relevant passage among the searched top 10 (answerable only)
    answer: str = ""
    short_answer: str | None = None
    predicted_answerable: bool = True
    correct: bool = False
    short_correct: bool = False
    quotes: list[str] = field(default_factory=list)
    faithful_quotes: int = 0
    supported: bool = False
    latency_ms: float = 0.0


def score_answer(outcome: Outcome, answer: str, short_answer: str | None, answerable: bool, quotes: list[str],
                 gold: str, aliases: list[str], corpus_texts: list[str]) -> None:
    """Fill the answer side of an outcome by the BRIEF's rules."""
    outcome.answer, outcome.short_answer, outcome.predicted_answerable = answer, short_answer, answerable
    outcome.quotes = quotes
    outcome.faithful_quotes = sum(1 for q in quotes if any(normalise_for_match(q) in text for text in corpus_texts))
    if outcome.answerable:
        outcome.correct = answerable and contains_answer(answer, gold, aliases)
        golds = {normalise_for_match(a) for a in [gold, *aliases]}
        outcome.short_correct = short_answer is not None and normalise_for_match(short_answer) in golds
        outcome.supported = outcome.correct and any(contains_answer(q, gold, aliases) for q in quotes)


def shows_headline(outcome: Outcome) -> bool:
    """Whether the answer shows a bold short answer: answered, with a non-null `short_answer`."""
    return outcome.predicted_answerable and outcome.short_answer is not None


def headline_precision(outcomes: list[Outcome]) -> float | None:
    """Of the short answers shown, the share that are right (one shown on an unanswerable question is wrong)."""
    return _mean([float(o.answerable and o.short_correct) for o in outcomes if shows_headline(o)])


def _mean(values: list[float]) -> float | None:
    return round(statistics.mean(values), 4) if values else None


def summarise(outcomes: list[Outcome]) -> dict:
    """Overall figures (retrieval, answers, citations, refusals, latency)."""
    answerable = [o for o in outcomes if o.answerable]
    unanswerable = [o for o in outcomes if not o.answerable]
    factoid = [o for o in answerable if o.type in FACTOID_TYPES]
    correct = [o for o in answerable if o.correct]
    quotes = sum(len(o.quotes) for o in outcomes)
    latencies = [o.latency_ms for o in outcomes if o.latency_ms]
    figures: dict = {"questions": len(outcomes), "answerable": len(answerable), "unanswerable": len(unanswerable)}
    for k in RECALL_DEPTHS:
        figures[f"recall@{k}"] = _mean([float(o.rank is not None and o.rank <= k) for o in answerable])
    figures["mrr"] = _mean([reciprocal_rank(o.rank) for o in answerable])
    figures["answer_accuracy"] = _mean([float(o.correct) for o in answerable])
    figures["mean_answer_chars"] = _mean([float(len(o.answer)) for o in answerable])
    figures["short_answer_em"] = _mean([float(o.short_correct) for o in factoid])
    figures["short_answer_em_all"] = _mean([float(o.short_correct) for o in answerable])
    figures["headline_precision"] = headline_precision(outcomes)
    figures["headlines_shown"] = sum(1 for o in outcomes if shows_headline(o))
    figures["citation_faithfulness"] = round(sum(o.faithful_quotes for o in outcomes) / quotes, 4) if quotes else None
    figures["citation_support"] = _mean([float(o.supported) for o in correct])
    figures["refusal_recall"] = _mean([float(not o.predicted_answerable) for o in unanswerable])
    figures["false_refusal_rate"] = _mean([float(not o.predicted_answerable) for o in answerable])
    figures["latency_ms_p50"] = round(percentile(latencies, 0.5), 2)
    figures["latency_ms_p95"] = round(percentile(latencies, 0.95), 2)
    return figures


def breakdown(outcomes: list[Outcome], key: str) -> dict[str, dict]:
    """The main figures per question type or per category."""
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        groups[getattr(outcome, key)].append(outcome)
    result = {}
    for name, members in sorted(groups.items()):
        answerable = [o for o in members if o.answerable]
        unanswerable = [o for o in members if not o.answerable]
        result[name] = {
            "questions": len(members),
            "recall@5": _mean([float(o.rank is not None and o.rank <= 5) for o in answerable]),
            "answer_accuracy": _mean([float(o.correct) for o in answerable]),
            "short_answer_em": _mean([float(o.short_correct) for o in answerable]),
            "headline_precision": headline_precision(members),
            "refusal_recall": _mean([float(not o.predicted_answerable) for o in unanswerable]),
        }
    return result
