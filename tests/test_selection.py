"""Answer selection (fast tier): how sure the best (sentence, mention) pair is, against the others."""

from __future__ import annotations

import math

import pytest

from qa.mentions import Mention
from qa.selection import FEATURES, SURENESS_FEATURES, Choice, sureness_features

pytestmark = pytest.mark.unit  # a stage's own logic: seconds, no index


def _choices(*pairs: tuple[str, float], best_attribute_match: float = 0.5) -> list[Choice]:
    features = [dict.fromkeys(FEATURES, 0.5) | ({"attribute_match": best_attribute_match} if n == 0 else {})
                for n in range(len(pairs))]
    return [Choice(sentence=None, mention=Mention(kind="number", text=text, start=0, end=len(text)),  # type: ignore[arg-type]
                   features=values, probability=probability) for (text, probability), values in zip(pairs, features)]


def test_one_value_far_above_the_rest_is_surer_than_the_likeliest_of_many_weak_ones():
    clear = sureness_features(_choices(("15.7万只", 0.8), ("7.53%", 0.1)), "number")
    crowded = sureness_features(_choices(("12件", 0.3), ("340件", 0.28), ("7起", 0.27), ("2次", 0.15)), "number")
    assert set(clear) == set(SURENESS_FEATURES)
    assert clear["top_margin"] == pytest.approx(0.7) and clear["top_share"] == pytest.approx(0.8 / 0.9)
    assert crowded["top_margin"] == pytest.approx(0.02) and crowded["candidates_log"] == pytest.approx(math.log1p(4))


def test_a_value_the_book_repeats_is_marked_and_a_lone_pair_has_its_whole_probability_as_margin():
    assert sureness_features(_choices(("48.5亿元", 0.6), ("6.2%", 0.2), ("48.5亿元", 0.2)), "number")["value_repeated"] == 1.0
    alone = sureness_features(_choices(("27个", 0.4)), "number")
    assert alone["value_repeated"] == 0.0 and alone["top_margin"] == pytest.approx(0.4) and alone["top_share"] == 1.0
    assert alone["second_attribute_match"] == 0.0  # no runner-up: its features are zeros


def test_the_best_pair_and_its_runner_up_bring_their_own_features():
    """A value whose attribute matches the question is a surer headline than an equally likely one whose
    attribute does not: the sureness model sees the best pair's features, the runner-up's apart, and
    the kind of answer asked."""
    matched = sureness_features(_choices(("15.7万只", 0.6), ("7.53%", 0.2), best_attribute_match=1.0), "number")
    assert matched["best_attribute_match"] == 1.0 and matched["best_unit_match"] == 0.5
    assert matched["second_attribute_match"] == 0.5 and matched["asks_number"] == 1.0 and matched["asks_person"] == 0.0
    assert sureness_features(_choices(("7.53%", 0.6), ("15.7万只", 0.2), best_attribute_match=0.0), "number")["best_attribute_match"] == 0.0
