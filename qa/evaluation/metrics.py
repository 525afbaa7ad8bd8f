"""The BRIEF's metrics, exactly: all comparisons on NFKC text with whitespace removed."""

from __future__ import annotations

from qa.textrepair import normalise_for_match

EDGE_CHARS = 12
MRR_DEPTH = 10


def contains_answer(text: str, answer: str, aliases: list[str]) -> bool:
    """Whether normalised `text` holds the gold answer or one of its aliases."""
    haystack = normalise_for_match(text)
    return any(normalise_for_match(a) and normalise_for_match(a) in haystack for a in [answer, *aliases])


def is_relevant(passage: str, answer: str, aliases: list[str], evidence: str) -> bool:
    """A passage is relevant when it holds the answer (or an alias) and the evidence quote —
    whole, or its first or last 12 characters."""
    if not contains_answer(passage, answer, aliases):
        return False
    text, quote = normalise_for_match(passage), normalise_for_match(evidence)
    return quote in text or quote[:EDGE_CHARS] in text or quote[-EDGE_CHARS:] in text


def first_relevant_rank(passages: list[str], answer: str, aliases: list[str], evidence: str) -> int | None:
    """1-based rank of the first relevant passage, or None."""
    for rank, passage in enumerate(passages, start=1):
        if is_relevant(passage, answer, aliases, evidence):
            return rank
    return None


def reciprocal_rank(rank: int | None) -> float:
    return 1.0 / rank if rank is not None and rank <= MRR_DEPTH else 0.0
