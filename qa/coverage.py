"""How much of a question a piece of text covers, weighted by how rare each term is.

Used twice: to rerank retrieved chunks (the question's rare terms together in one sentence beat
the same terms scattered over a page) and to pick answer sentences. Terms are the question's CJK
bigrams and Latin words/numbers, weighted by IDF; expansion terms count at a reduced weight.
"""

from __future__ import annotations

from qa.chunking import split_sentences
from qa.lexical import Analyzer

WINDOW_SENTENCES = 2


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

    def coverage(self, terms: dict[str, float], text: str) -> float:
        """Share of the question's term weight present in `text` (0–1)."""
        total = sum(terms.values())
        if not total:
            return 0.0
        present = set(self.analyzer.bigrams(text))
        return sum(w for term, w in terms.items() if term in present) / total

    def best_window(self, terms: dict[str, float], text: str) -> float:
        """Best coverage by any run of up to WINDOW_SENTENCES consecutive sentences of `text`."""
        spans = split_sentences(text)
        best = 0.0
        for i in range(len(spans)):
            window = text[spans[i][0] : spans[min(i + WINDOW_SENTENCES, len(spans)) - 1][1]]
            best = max(best, self.coverage(terms, window))
        return best
