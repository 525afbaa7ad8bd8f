"""Answer selection as a ranking: which (sentence, mention) pair answers the question, and how sure.

Candidates are the typed mentions of the answer type asked, in the sentences the answerer found.
Each pair is described by named features: does the mention's attribute phrase match what is asked
(and what words does it add that the question lacks: 农机化作业总面积 is not 总面积), is it a level
or a growth figure, in the unit asked, for the scope asked (the district, or a named town), in the
year asked, from a statistical section, and how well its sentence and passage were retrieved. A
logistic model fitted on the training split (`qa.training`) turns them into a probability.

Whether to show the best pair as the headline (`short_answer`) is a second question: a pair can be
the likeliest of many weak ones, or one value can stand far above the rest. A second logistic model,
the sureness model, weighs the best pair against the others (`SURENESS_FEATURES`) and was fitted on
the training questions' out-of-fold rankings; the headline is shown only when its probability that
the best pair is right clears the threshold set on dev.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from qa.analysis import date_precision_pattern
from qa.coverage import CoverageScorer
from qa.mentions import APPROXIMATIONS, Mention, Sentence, same_value
from qa.models import LogisticModel
from qa.query import Question
from qa.retrieval import Hit

# A sentence about a town, village or community rather than the whole district.
_SUB_SCOPE_WORDS = re.compile(r"全镇|该镇|全乡|该乡|全村|该村|本村|全街道|该街道|社区")
_ADMINISTRATIVE_UNIT = re.compile(r"[区县市旗]$")
_TENURE_ENDED = re.compile(r"^[（(][^）)]{0,24}任至")
_NAMED = ("name", "organisation", "place")  # what a name or a description question may be answered by
_KINDS_ASKED = {"number": ("number",), "date": ("date",), "person": ("person", "organisation"),
                "organisation": ("organisation", "place"), "place": ("place", "organisation"),
                "name": _NAMED, "description": _NAMED}
_CLAUSE_BOUNDARY = re.compile(r"[，。；：、,;:！？\n]")
MAX_SENTENCES = 12  # candidate sentences whose mentions are ranked
LEAD_CHARS = 16

FEATURES = (
    "rank_inverse", "sentence_score_ratio", "best_sentence", "sentence_own", "sentence_coverage",
    "attribute_match", "attribute_extra", "lead_match", "unit_match", "unit_mismatch", "change_agrees",
    "change_unasked", "year_in_sentence", "scope_match", "scope_mismatch", "district_sentence", "statistical",
    "span_rule", "first_of_kind", "kind_count_inverse", "dense", "date_precise", "date_precision_missed",
    "tenure_ended", "chronicle", "follow_match", "clause_match", "kind_primary",
    "ordinal_agrees",
    # what the evidence covers of the question as a whole: a right-looking value in evidence that does
    # not answer the question (another year, a place the book never names) must not be shown
    "evidence_confidence", "evidence_gap", "evidence_unknown_words",
)


@dataclass
class Candidate:
    """A sentence of a retrieved passage, scored against the question."""

    hit: Hit
    rank: int
    start: int  # offsets in the chunk's text
    end: int
    text: str
    coverage: float  # share of the question's term weight in the sentence and its passage's path
    score: float
    own: float  # ...in the sentence alone


@dataclass(frozen=True)
class _Asked:
    """What every pair of one question is measured against, worked out once per question."""

    question: Question
    terms: dict[str, float]  # the question's weighted terms
    attribute_terms: dict[str, float]  # ...and its attribute's
    bigrams: set[str]  # the question's bigrams, for the words a mention's attribute adds
    top_score: float  # the best sentence's score
    dense: dict[str, float]  # chunk id → dense similarity to the question
    precision: re.Pattern[str] | None  # the date precision asked (哪天: a day), if any


@dataclass
class Choice:
    """A (sentence, mention) pair with its features and the model's probability that it answers."""

    sentence: Candidate
    mention: Mention
    features: dict[str, float]
    probability: float = 0.0


# How the best pair stands against the others; what the best pair and its runner-up are like (their own
# features: a value whose attribute, unit and year all match is a surer headline than the likeliest of
# weak ones, and a strong runner-up is a rival); and the kind of answer asked (a name is picked right
# less often than a figure).
SURENESS_FEATURES = ("top_probability", "top_margin", "top_share", "candidates_log", "value_repeated",
                     *(f"best_{name}" for name in FEATURES), *(f"second_{name}" for name in FEATURES),
                     *(f"asks_{kind}" for kind in _KINDS_ASKED))


def sureness_features(choices: list[Choice], kind: str) -> dict[str, float]:
    """How the best pair (choices sorted most probable first) stands against the others: its probability,
    its lead over the runner-up, its share of all the probability, how many pairs competed, and whether
    another pair states the same value (a figure the book repeats); then the best pair's and the
    runner-up's own features (zeros when there is none), and the kind of answer the question asks."""
    probabilities = [choice.probability for choice in choices]
    best = choices[0]
    second = choices[1].features if len(choices) > 1 else dict.fromkeys(FEATURES, 0.0)
    return {
        "top_probability": probabilities[0],
        "top_margin": probabilities[0] - (probabilities[1] if len(probabilities) > 1 else 0.0),
        "top_share": probabilities[0] / (sum(probabilities) or 1.0),
        "candidates_log": math.log1p(len(choices)),
        "value_repeated": float(any(same_value(other.mention, best.mention) for other in choices[1:])),
    } | {f"best_{name}": best.features[name] for name in FEATURES} \
      | {f"second_{name}": second[name] for name in FEATURES} \
      | {f"asks_{asked}": float(kind == asked) for asked in _KINDS_ASKED}


class HeadlineRanker:
    """Builds the candidate pairs and their features; applies the learned model when it has one."""

    def __init__(self, scorer: CoverageScorer, sentences_of: Callable[[str], list[Sentence]], region_names: set[str],
                 statistical_sources: list[str], sub_area_categories: list[str],
                 span_rule: Callable[[Question, Hit, str], str | None]) -> None:
        self._scorer = scorer
        self._sentences_of = sentences_of
        self._statistical_sources = statistical_sources
        self._sub_area_categories = set(sub_area_categories)
        self._span_rule = span_rule
        # a sentence about the whole region: 全区/我区 (全县/我县 for a county), 辖区, or the region's full
        # name (金川区; not a short form such as 金川, which also names companies: 金川集团)
        names = sorted(name for name in region_names if _ADMINISTRATIVE_UNIT.search(name))
        units = sorted({name[-1] for name in names})
        self._region_words = re.compile("|".join([*(f"全{u}|我{u}" for u in units), "辖区", *map(re.escape, names)]))

    def choices(self, question: Question, sentences: list[Candidate], terms: dict[str, float],
                attribute_terms: dict[str, float], dense: dict[str, float], evidence: dict[str, float],
                model: LogisticModel | None) -> list[Choice]:
        """Every candidate pair, most probable first (in the answerer's sentence order when no model).
        `terms` and `attribute_terms` weigh the question's and its attribute's terms; `evidence` holds
        the question-level features (evidence_*) every pair shares."""
        kinds = _KINDS_ASKED.get(question.kind)
        if not kinds or not sentences:
            return []
        asked = _Asked(question, terms, attribute_terms, set(self._scorer.analyzer.bigrams(question.terms_text())),
                       max(s.score for s in sentences) or 1.0, dense, date_precision_pattern(question.analysis))
        found: list[Choice] = []
        for position, sentence in enumerate(sentences[:MAX_SENTENCES]):
            mentions = self._mentions_in(sentence, kinds)
            if question.kind == "date" and (day := sentence.hit.chunk.chronicle_date):
                mentions = [Mention(kind="date", text=day, start=sentence.start, end=sentence.start), *mentions]
            if noun := question.analysis.entity_noun:  # 哪个社区: a mention ending in it, when the sentence has one
                mentions = [m for m in mentions if m.text.endswith(noun)] or mentions
            mentions = [m for m in mentions if m.text not in question.text]
            if not mentions:
                continue
            quote = sentence.text
            rule_pick = self._span_rule(question, sentence.hit, quote)
            for order, mention in enumerate(mentions):
                values = self._features(asked, sentence, position, rule_pick, mention, order, len(mentions))
                found.append(Choice(sentence, mention, values | evidence))
        if model is not None:
            for choice in found:
                choice.probability = model.probability(choice.features)
            found.sort(key=lambda c: -c.probability)
        return found

    def _mentions_in(self, sentence: Candidate, kinds: tuple[str, ...]) -> list[Mention]:
        return [m for stored in self._sentences_of(sentence.hit.chunk.id) for m in stored.mentions
                if m.kind in kinds and sentence.start <= m.start and m.end <= sentence.end]

    def _features(self, asked: _Asked, sentence: Candidate, position: int, rule_pick: str | None,
                  mention: Mention, order: int, count: int) -> dict[str, float]:
        """One pair's features: `position` is its sentence's place among the candidates, `rule_pick` the
        value the span rules pick in that sentence, `order` the mention's place among its `count`."""
        question, terms, attribute_terms = asked.question, asked.terms, asked.attribute_terms
        analysis = question.analysis
        chunk = sentence.hit.chunk
        text = chunk.text
        described = f"{mention.subject}{mention.attribute}"
        described_bigrams = self._scorer.analyzer.bigrams(mention.attribute)
        extra = [b for b in described_bigrams if b not in asked.bigrams]
        lead = text[max(0, mention.start - LEAD_CHARS) : mention.start]
        path_text = " ".join(chunk.path)
        sub_scope_sentence = bool(_SUB_SCOPE_WORDS.search(sentence.text)) or chunk.category in self._sub_area_categories
        unit = mention.unit
        after = text[mention.end : mention.end + 26]
        clause_start = max((m.end() for m in _CLAUSE_BOUNDARY.finditer(text, sentence.start, mention.start)), default=sentence.start)
        following = _CLAUSE_BOUNDARY.search(text, mention.end, sentence.end)
        clause_end = following.start() if following else sentence.end
        return {
            "rank_inverse": 1.0 / (sentence.rank + 1),
            "sentence_score_ratio": sentence.score / asked.top_score,
            "best_sentence": float(position == 0),
            "sentence_own": sentence.own,
            "sentence_coverage": sentence.coverage,
            "attribute_match": self._scorer.coverage(attribute_terms, described) if attribute_terms else 0.0,
            "attribute_extra": len(extra) / len(described_bigrams) if described_bigrams else 0.0,
            "lead_match": self._scorer.coverage(terms, lead),
            "unit_match": float(bool(analysis.unit) and bool(unit) and unit.split("/")[0].endswith(analysis.unit)),
            "unit_mismatch": float(bool(analysis.unit) and bool(unit) and not unit.split("/")[0].endswith(analysis.unit)),
            "change_agrees": float(analysis.asks_change == mention.change),
            "change_unasked": float(mention.change and not analysis.asks_change),
            "year_in_sentence": float(any(f"{year}年" in sentence.text for year in question.years)),
            "scope_match": float(bool(analysis.scope) and (analysis.scope in sentence.text or analysis.scope in path_text)),
            "scope_mismatch": float(not analysis.scope and sub_scope_sentence),
            "district_sentence": float(bool(self._region_words.search(sentence.text))),
            "statistical": float(any(source in path_text for source in self._statistical_sources)),
            "span_rule": float(rule_pick is not None and _core(rule_pick) == _core(mention.text)),
            "first_of_kind": float(order == 0),
            "kind_count_inverse": 1.0 / count,
            "dense": asked.dense.get(chunk.id, 0.0),
            "date_precise": float(mention.kind == "date" and bool(re.search(r"\d{1,2}月\d{1,2}日", mention.text))),
            # 哪天 asks for a day: a year or a month alone does not answer it
            "date_precision_missed": float(mention.kind == "date" and asked.precision is not None
                                           and not asked.precision.search(mention.text)),
            "tenure_ended": float(mention.kind == "person" and bool(_TENURE_ENDED.match(after))),
            "chronicle": float(chunk.kind == "chronicle"),
            # the words after a value and the clause around it: "于2019年2月18日正式挂牌" dates the 挂牌 the
            # question asks about, "代表杨荣被评为…" names who was honoured; the whole sentence cannot tell
            # two values in it apart
            "follow_match": self._scorer.coverage(terms, text[mention.end : min(clause_end, mention.end + LEAD_CHARS)]),
            "clause_match": self._scorer.coverage(terms, text[clause_start:clause_end]),
            "kind_primary": float(mention.kind == _KINDS_ASKED[question.kind][0]),
            "ordinal_agrees": float(analysis.asks_ordinal == mention.text.startswith("第")),
        }


def _core(value: str) -> str:
    """A value without spacing or approximation words, to compare picks made by different rules."""
    return re.sub(rf"\s+|{APPROXIMATIONS}", "", value)
