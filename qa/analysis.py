"""Question analysis: one reading of what is asked, into one typed record every later stage uses.

A question names an answer type (a number in some unit, a date to the day, a person, a place …),
an attribute (羊存栏, 总面积), whose it is (the district by default, or a town, village or
organisation it names), and the years and documents it is about. Selection, refusal and span
picking read this record; none of them re-reads the question with regexes of its own. The rules
are data (`qa/data/question_rules.json`), each named and unit-tested.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

AnswerType = Literal["number", "date", "person", "organisation", "place", "name", "list", "yesno", "description"]
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}\s*年")
_MONTH = re.compile(r"(?:19|20)\d{2}年\d{1,2}月")


@dataclass(frozen=True)
class NamedPattern:
    """A rule row: its name, what it looks for in a question and, where it applies, what an answering sentence must state."""

    name: str
    question: re.Pattern[str]
    sentence: re.Pattern[str] | None = None


@dataclass(frozen=True)
class QuestionRules:
    """`qa/data/question_rules.json`, compiled."""

    answer_types: tuple[NamedPattern, ...]
    entity_noun: re.Pattern[str]
    date_precision: tuple[NamedPattern, ...]
    asks_money: re.Pattern[str]
    asks_share: re.Pattern[str]
    asks_change: re.Pattern[str]
    asks_ordinal: re.Pattern[str]
    asked_count_unit: re.Pattern[str]
    required_units: tuple[NamedPattern, ...]
    per_measure: re.Pattern[str]
    required_details: tuple[NamedPattern, ...]
    plan: NamedPattern
    part_of_whole: re.Pattern[str]
    people_list: re.Pattern[str]
    sub_scope: re.Pattern[str]
    question_words: re.Pattern[str]


@lru_cache(maxsize=1)
def question_rules() -> QuestionRules:
    data = json.loads(resources.files("qa").joinpath("data", "question_rules.json").read_text(encoding="utf-8"))
    singles = {key: re.compile(value) for key, value in data.items() if isinstance(value, str) and not key.startswith("_")}

    def rows(key: str) -> tuple[NamedPattern, ...]:
        return tuple(NamedPattern(row["name"], singles[row["question"][1:]] if row["question"].startswith("@")
                                  else re.compile(row["question"]),
                                  re.compile(row["sentence"]) if "sentence" in row else None) for row in data[key])

    plan = data["plan"]
    return QuestionRules(
        answer_types=rows("answer_types"), date_precision=rows("date_precision"), required_units=rows("required_units"),
        required_details=rows("required_details"),
        plan=NamedPattern("plan", re.compile(plan["question"]), re.compile(plan["sentence"])),
        **{key: pattern for key, pattern in singles.items()},
    )


@dataclass(frozen=True)
class QuestionAnalysis:
    """What a question asks, read once. `name` is a proper name asked by what it is called (叫什么,
    什么称号, 哪部条例): a quoted title, an organisation or a place."""

    answer_type: AnswerType
    attribute: str  # the question without its question words, years, region and scope: what is asked about
    scope: str  # a town, street office, village or community the question names; "" for the book's region
    unit: str  # the unit an answer must be counted in ("只", "%", "元"), "" when none is named
    asks_change: bool  # a growth or decline (增长率, 增幅, 增长了多少), not a level
    asks_ordinal: bool  # 第几届, 第几次: the ordinal the book prints (第五届), not a count
    date_precision: str  # "day", "month" or "" (date questions)
    entity_noun: str  # 哪个社区 → "社区": an organisation or place answer ends in it
    asks_people: bool  # who holds a post, or which people
    requirements: tuple[str, ...]  # names of the rules whose sentence patterns an answer must match
    part: str  # "…里，刑事案件有多少件": the part of a whole asked about
    per_measure: tuple[str, ...]  # "每平方米…多少钱": the measure a price is asked per
    month: str  # "2019年2月" when the question names a month (a holder appointed then is wanted)


def analyse(text: str, region_names: frozenset[str] = frozenset(), places: tuple[str, ...] = ()) -> QuestionAnalysis:
    """Read a normalised question (relative years already resolved); `places` are the place names a
    tagger found in it, of which a town, street office, village or community sets the scope."""
    rules = question_rules()
    answer_type: AnswerType = next((row.name for row in rules.answer_types if row.question.search(text)),  # type: ignore[misc]
                                   "description")
    noun = rules.entity_noun.search(text)
    if answer_type == "organisation" and noun and noun.group(1) in ("村", "镇", "街道", "社区", "景区"):
        answer_type = "place"
    precision = next((row.name for row in rules.date_precision if row.question.search(text)), "") \
        if answer_type == "date" else ""
    asks_money = bool(rules.asks_money.search(text))
    unit = ""
    if answer_type == "number":
        unit = count.group(1) if (count := rules.asked_count_unit.search(text)) else ("元" if asks_money else "%" if rules.asks_share.search(text) else "")
    requirements = [row.name for row in rules.required_units if answer_type == "number" and row.question.search(text)]
    requirements += [row.name for row in rules.required_details if row.question.search(text)]
    if rules.plan.question.search(text):
        requirements.append("plan")
    per_measure = tuple(dict.fromkeys(m.group(1) or m.group(2) for m in rules.per_measure.finditer(text))) \
        if asks_money and answer_type == "number" else ()
    part = rules.part_of_whole.search(text)
    scope = next((place for place in places if rules.sub_scope.match(place) and place not in region_names), "")
    count = rules.asked_count_unit.search(text)
    attribute = _YEAR.sub("", text.replace(count.group(0), "") if count else text)
    for name in sorted(region_names, key=len, reverse=True):
        attribute = attribute.replace(name, "")
    attribute = rules.question_words.sub("", attribute.replace(scope, "") if scope else attribute)
    attribute = re.sub(r"[^\u4e00-\u9fffA-Za-z0-9]", "", attribute)
    return QuestionAnalysis(
        answer_type=answer_type, attribute=attribute, scope=scope, unit=unit,
        asks_change=bool(rules.asks_change.search(text)), asks_ordinal=bool(rules.asks_ordinal.search(text)),
        date_precision=precision,
        entity_noun=noun.group(1) if noun else "", asks_people=answer_type == "person" or bool(rules.people_list.search(text)),
        requirements=tuple(requirements), part=part.group(1) if part else "", per_measure=per_measure,
        month=month.group(0) if (month := _MONTH.search(text)) else "",
    )


def sentence_requirements(analysis: QuestionAnalysis) -> list[re.Pattern[str]]:
    """The patterns an answering sentence must match, from the rules the question triggered."""
    rules = question_rules()
    by_name = {row.name: row.sentence for row in (*rules.required_units, *rules.required_details, rules.plan)}
    needed = [by_name[name] for name in analysis.requirements if by_name.get(name) is not None]
    for measure in analysis.per_measure:  # a price per measure: a rate in it (元/平方米, 每平方米…元)
        needed.append(re.compile(rf"元/[^，。；\d]{{0,3}}{measure}|每{measure}[^。；]{{0,15}}?\d(?:\.\d+)?元"))
    return needed  # type: ignore[return-value]


def date_precision_pattern(analysis: QuestionAnalysis) -> re.Pattern[str] | None:
    """A date as precise as asked (to the day, to the month), for date questions that ask so."""
    return next((row.sentence for row in question_rules().date_precision if row.name == analysis.date_precision), None)
