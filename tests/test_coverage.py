"""Coverage scoring (fast tier): the share of a question's weighted terms a text holds."""

from __future__ import annotations

import pytest

from qa.coverage import CoverageScorer
from qa.genre import SHARED_GENRE
from qa.lexical import Analyzer

pytestmark = pytest.mark.unit  # a stage's own logic: seconds, no index


def test_the_best_window_is_two_sentences_side_by_side_never_two_apart():
    scorer = CoverageScorer({"羊存": 1.0, "存栏": 1.0, "增长": 2.0}, Analyzer([], SHARED_GENRE.stopwords))
    terms = scorer.question_terms("羊存栏增长")
    assert scorer.best_window(terms, "羊存栏15.7万只。其他情况。同比增长7.53%。") == pytest.approx(0.5)
    assert scorer.best_window(terms, "羊存栏15.7万只。同比增长7.53%。其他情况。") == pytest.approx(1.0)
    # the same text again (its windows are cached) with other terms
    assert scorer.best_window(scorer.question_terms("增长"), "羊存栏15.7万只。同比增长7.53%。其他情况。") == 1.0
    assert scorer.best_window(terms, "") == 0.0


def test_numbers_and_latin_words_match_whole_tokens():
    scorer = CoverageScorer({"gdp": 1.0, "2019": 1.0}, Analyzer([], SHARED_GENRE.stopwords))
    terms = scorer.question_terms("GDP 2019")
    assert scorer.coverage(terms, "2019年地区生产总值（GDP）") == 1.0
    assert scorer.coverage(terms, "20190年GDPS") == 0.0
