"""How much of a question a piece of text covers, weighted by how rare each term is.

Used twice: to rerank retrieved chunks (the question's rare terms together in one sentence beat
the same terms scattered over a page) and to pick answer sentences. Terms are the question's CJK
bigrams and Latin words/numbers, weighted by IDF; expansion terms count at a reduced weight.
"""

from __future__ import annotations

import re
from functools import lru_cache

from qa.chunking import split_sentences
from qa.lexical import CJK, Analyzer

WINDOW_SENTENCES = 2
_CJK_PAIR = re.compile(f"[{CJK}]{{2}}")
_SINGLE_TOKEN = re.compile(f"(?<![{CJK}])[{CJK}](?![{CJK}])|[A-Za-z]+|\\d+(?:\\.\\d+)?")


@lru_cache(maxsize=65536)
def _is_cjk_pair(term: str) -> bool:
    return bool(_CJK_PAIR.fullmatch(term))


@lru_cache(maxsize=16384)
def _windows(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of every run of up to WINDOW_SENTENCES consecutive sentences of `text`. Cached:
    reranking scores the same few thousand chunks' texts question after question."""
    spans = split_sentences(text)
    return tuple((spans[i][0], spans[min(i + WINDOW_SENTENCES, len(spans)) - 1][1]) for i in range(len(spans)))


def _single_tokens(text: str) -> set[str]:
    """The tokens of `text` that are not CJK bigrams: Latin words (lower-cased), numbers, lone CJK characters."""
    return {token.lower() for token in _SINGLE_TOKEN.findall(text)}


class CoverageScorer:
    """Scores text against a question's weighted terms (bigrams cut by the index's own analyzer)."""

    def __init__(self, idf: dict[str, float], analyzer: Analyzer) -> None:
        self._idf = idf
        self.analyzer = analyzer

    def question_terms(self, text: str, expansions: tuple[str, ...] = (), expansion_weight: float = 0.5) -> dict[str, float]:
        """Term → weight: IDF for the question's own terms, scaled for thesaurus terms.

        Terms the corpus never uses are left out: no passage can hold them, so they would only
        dilute the weight of the terms that can tell passages apart.
        """
        terms: dict[str, float] = {}
        for term in self.analyzer.bigrams(" ".join(expansions)):
            if term in self._idf:
                terms[term] = expansion_weight * self._idf[term]
        for term in self.analyzer.bigrams(text):
            if term in self._idf:
                terms[term] = self._idf[term]
        return terms

    @staticmethod
    def coverage(terms: dict[str, float], text: str) -> float:
        """Share of the question's term weight present in `text` (0–1): as if matched against the
        analyzer's bigrams of `text`, without building that list on the hot path. (The terms come
        from `question_terms`, so no stopword is among them.)

        A CJK bigram is among a text's bigrams exactly when it occurs in the text (two adjacent CJK
        characters always sit in one run), so it is a substring test. The rarer terms (Latin words,
        numbers, a lone CJK character) are matched against the text's tokens of those kinds.
        """
        total = sum(terms.values())
        if not total:
            return 0.0
        present, tokens = 0.0, None
        for term, weight in terms.items():
            if _is_cjk_pair(term):
                found = term in text
            else:
                tokens = tokens if tokens is not None else _single_tokens(text)
                found = term in tokens
            present += weight if found else 0.0
        return present / total

    def best_window(self, terms: dict[str, float], text: str) -> float:
        """Best coverage by any run of up to WINDOW_SENTENCES consecutive sentences of `text`."""
        return max((self.coverage(terms, text[start:end]) for start, end in _windows(text)), default=0.0)
