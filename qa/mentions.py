"""The mention layer: what each sentence states, as typed values paired with what they measure.

Picking "a span of the right shape" from the best sentence fails whenever a sentence holds several
values: "羊存栏15.7万只，同比增长7.53%" has a count and a growth rate, and only the words before each
value say which is which. So every sentence of every chunk is read once, at index build, into
mentions: a number with its unit and the attribute phrase it measures (a growth figure also keeps
the quantity it is the growth of), a date with the event it dates, a person with the office held,
an organisation or place. People, and where organisations and places begin, come from the index's
name tagger (`qa.names`) beside the book's own patterns (titles, leaders' lists, name endings).
Answer selection ranks (sentence, mention) pairs; it never re-reads text. The layer is stored beside
the index (`mentions.jsonl`) and versioned in its manifest.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict

from qa.chunking import split_sentences
from qa.genre import Genre
from qa.lexical import NOT_A_NAME_START
from qa.names import TaggedName
from qa.spans import DATE, SpanPatterns, is_figure, span_patterns

MENTION_SCHEMA = 8
MentionKind = Literal["number", "date", "person", "organisation", "place", "name"]
# A figure as printed: a value or range, "more than" (多, 余), a unit or rate, and a bound after it
# ("2200多头", "5400余件", "3—5株", "0.15元/立方米", "50%以上").
_VALUE = r"(?:\d+(?:\.\d+)?(?:\s*[—－~～至-]\s*\d+(?:\.\d+)?)?|(?<![\d.])[一二三四五六七八九十两][一二三四五六七八九十百千万两]*)\s*(?:多|余)?"
# A figure whose scale word stands apart from a unit that has no scaled form: "2万株", "3.7万余份", "2万多平方米".
_SCALE_WORDS = "万亿|亿|万|千"  # a scale a unit may begin with: 万只, 亿元
_SCALED_VALUE = rf"\d+(?:\.\d+)?\s*(?:{_SCALE_WORDS})(?:多|余)?"
_BOUND = "以上|以下|左右|之多"
APPROXIMATIONS = f"多|余|{_BOUND}"  # every word that makes a printed figure approximate
# A date as printed, with the part of the month or year and a deadline: "2018年12月下旬", "2020年底前".
DATE_SPAN = re.compile(rf"(?:{DATE.pattern})(?:上旬|中旬|下旬|底|初|末)?(?:前|以前|之前)?")
# A quoted coined name with the noun that completes it: "“双培”工程", "“六步议事”程序".
_NAME_NOUNS = "工程|行动|活动|机制|模式|体系|制度|平台|品牌|工作法|程序|理念|方针|样板|经验|计划|项目|工作室|驿站|服务"
# A quoted name: a document, law or book (《…》) or a coined term, title or slogan (“…”).
_QUOTED = re.compile(rf"《[^《》\n]{{2,40}}》|“[^“”\n]{{2,20}}”(?:[\u4e00-\u9fff]{{0,3}}?(?:{_NAME_NOUNS}))?")
MAX_ATTRIBUTE_CHARS = 16
_BOUNDARY = re.compile(r"[，。；：、,;:（）()“”《》\n]")
_CHANGE = re.compile(r"(?:同比|比上年|较上年|比去年|环比)?(?:增长|下降|增加|减少|提高|降低|上升|上涨|回落|增幅|降幅|分别增长)(?:了)?$")
_LEADING_VERBS = re.compile(r"^(?:其中|全年|共|累计|实现|完成|达到|全区|当年)+")
_OFFICE_STARTS = "中共|共青团|[区市县旗镇乡州盟团]"  # how an office in a directory begins: its administrative unit
_NAME_LINE = re.compile(r"^([\u4e00-\u9fff·]{2,4})(?:[（(][^）)]{0,24}[）)])?$")
_NAME_CHAR = r"(?![和与及或的])[\u4e00-\u9fff]"  # a character inside a name: never a conjunction
# A tagged person is a name alone, or a name glued to its sex in an awards row ("张茂清男金川区"); not a
# name glued to its unit
_TAGGED_PERSON = re.compile(r"([\u4e00-\u9fff·]{2,4}$|[\u4e00-\u9fff·]{2,3}(?=[男女][\u4e00-\u9fff]))")
_NOT_A_NAME_START = NOT_A_NAME_START | set("全该本各")  # nor with 全, 该, 本, 各 ("全区", "该镇")


@dataclass(frozen=True)
class MentionPatterns:
    """The mention regexes of one genre (an index's merged view), compiled once by `mention_patterns`."""

    spans: SpanPatterns
    number: re.Pattern[str]  # a figure as printed, with its bound
    organisation_or_place: re.Pattern[str]
    short_name: re.Pattern[str]  # an organisation's short name: "区委宣传部", "区残联"
    nested_name: re.Pattern[str]  # what continues a name into the body it belongs to: "…委员会|办公室", "…局|金川分局"
    title_parts: tuple[str, ...]  # a would-be name holding one is an office ("党组成员")
    place_suffixes: tuple[str, ...]
    name_endings: tuple[str, ...]  # every ending of an organisation's or a place's name, short names' too
    name_then_office: re.Pattern[str]  # a directory line: "苏子喜区农业农村局局长"
    table_row: re.Pattern[str]  # a statistics table's row: indicator, unit, value, change on last year in %

    def is_office(self, name: str) -> bool:
        """Whether a would-be person name holds a part of a title ("党组成员"): an office, not a person."""
        return any(part in name for part in self.title_parts)


@lru_cache(maxsize=8)
def mention_patterns(genre: Genre) -> MentionPatterns:
    spans = span_patterns(genre)
    suffixes = "|".join(re.escape(s) for s in (*genre.organisation_suffixes, *genre.place_suffixes))
    short = "|".join(re.escape(s) for s in genre.short_name_suffixes)
    return MentionPatterns(
        spans=spans,
        number=re.compile(rf"(?:{_VALUE}|{_SCALED_VALUE})\s*(?:{spans.units})(?:/(?:{spans.units}|月))?(?:{_BOUND})?"),
        organisation_or_place=re.compile(rf"[\u4e00-\u9fff]{{2,24}}?(?:{suffixes})"),
        short_name=re.compile(rf"(?:{_OFFICE_STARTS})(?:{_NAME_CHAR}){{1,8}}?(?:{short})"),
        # up to four more characters and another ending, but never across a conjunction ("区教育局和区财政局")
        # nor into a title ("区教育局局长")
        nested_name=re.compile(rf"(?:{_NAME_CHAR}){{0,4}}?(?:{suffixes})(?!长)"),
        title_parts=genre.title_parts, place_suffixes=genre.place_suffixes,
        name_endings=(*genre.organisation_suffixes, *genre.short_name_suffixes, *genre.place_suffixes),
        # "羊年末存栏万只12.2 72.88" under the header "指标 单位 2019年 比上年±%"
        table_row=re.compile(rf"([\u4e00-\u9fff（）()]{{1,20}}?)((?:万|亿)?(?:{spans.units}))(\d+(?:\.\d+)?)\s+(-?\d+(?:\.\d+)?)"),
        # the shortest name (2–3 characters) whose office starts with an administrative unit: "杨帆|区水务局局长",
        # "苏子喜|区农业农村局局长" (苏子|喜区… would leave the office starting with 喜)
        name_then_office=re.compile(rf"\s*([\u4e00-\u9fff]{{2,3}}?)((?:{_OFFICE_STARTS})[\u4e00-\u9fff、]{{1,24}}?(?:{spans.titles}))\s*"),
    )


class Mention(BaseModel):
    """One typed value in a sentence. Offsets are in the chunk's text."""

    model_config = ConfigDict(frozen=True)

    kind: MentionKind
    text: str
    start: int
    end: int
    unit: str = ""  # numbers: 万只, %, 元/立方米
    attribute: str = ""  # what it measures (numbers), the office (people), the event (dates)
    subject: str = ""  # for a change figure, the quantity it is the change of ("羊存栏" for 7.53%)
    change: bool = False  # a growth or decline figure, not a level


class Sentence(BaseModel):
    """A sentence of a chunk (offsets in the chunk's text) with its mentions."""

    model_config = ConfigDict(frozen=True)

    start: int
    end: int
    mentions: tuple[Mention, ...]


class ChunkMentions(BaseModel):
    """One line of `mentions.jsonl`: a chunk's sentences with their mentions."""

    chunk: str
    sentences: list[Sentence]


def unit_of(value: str) -> str:
    """The unit a number is counted in ("15.7万只" → "万只", "50%以上" → "%", "0.15元/立方米" → "元/立方米",
    "3.7万余份" → "万份")."""
    value = value.removeprefix("第")
    match = re.match(_VALUE, value)
    if not match:
        return ""
    unit = re.sub(rf"(?:{_BOUND})$", "", value[match.end():].strip())
    return re.sub(rf"^({_SCALE_WORDS})(?:多|余)", r"\1", unit)


_SCALE = re.compile(rf"^(?:{_SCALE_WORDS}|百)")
_SCALE_FACTORS = {"万亿": 10**12, "亿": 10**8, "万": 10**4, "千": 10**3, "百": 10**2}


@lru_cache(maxsize=4096)
def quantity(figure: str) -> tuple[float, str] | None:
    """The amount a printed figure states, and the unit it counts in: "0.74万头" → (7400.0, "头"), "五次" →
    (5.0, "次"), "2200多头" → (2200.0, "头"). One quantity however the book prints it (Arabic or Chinese
    numerals, with or without 万 or 亿), so that "7400头" and "0.74万头" are one figure and "5次" and
    "五次" are not a conflict. Chinese numerals are read by cn2an (imported only for them: it costs
    0.15 s). None for a range or what cn2an cannot read."""
    match = re.match(_VALUE, figure)
    if not match:
        return None
    number = re.sub(r"\s+|多|余", "", match.group(0))
    unit = unit_of(figure)
    factor = 1
    if scale := _SCALE.match(unit):
        factor, unit = _SCALE_FACTORS[scale.group(0)], unit[scale.end():]
    if re.fullmatch(r"\d+(?:\.\d+)?", number):
        return float(Decimal(number) * factor), unit  # exact: 262.34亿 is 26234000000, not …999996
    import cn2an

    try:
        return float(Decimal(str(cn2an.cn2an(number, "smart"))) * factor), unit
    except ValueError:  # a range (3—5), or numerals cn2an does not read
        return None


def same_value(one: Mention, other: Mention) -> bool:
    """Whether two mentions state the same value: the same quantity for figures (7400头, 0.74万头), else the same text."""
    if one.kind == other.kind == "number" and (amount := quantity(one.text)) is not None:
        return amount == quantity(other.text)
    return one.text == other.text


def _attribute_before(text: str, start: int, floor: int) -> str:
    """The words between the previous boundary (or value) and a value: what the value measures."""
    head = text[max(floor, start - MAX_ATTRIBUTE_CHARS) : start]
    cut = max((m.end() for m in _BOUNDARY.finditer(head)), default=0)
    words = head[cut:].strip()
    return _LEADING_VERBS.sub("", words) or words


def _numbers(text: str, start: int, end: int, patterns: MentionPatterns) -> list[Mention]:
    found: list[Mention] = []
    floor = start
    previous_level = ""
    for match in patterns.number.finditer(text, start, end):
        value, at = match.group(0), match.start()
        if at > start and text[at - 1] == "第":  # an ordinal, as printed: 第五届, 第4批
            value, at = f"第{value}", at - 1
        elif not is_figure(text, at, value):
            continue
        attribute = _attribute_before(text, at, floor)
        change = bool(_CHANGE.search(attribute))
        subject = previous_level if change else ""
        if not change:
            previous_level = attribute or previous_level
        figure = re.sub(r"\s+", "", value)
        found.append(Mention(kind="number", text=figure, start=at, end=match.end(), unit=unit_of(figure),
                             attribute=attribute, subject=subject, change=change))
        floor = match.end()
    return found


def _table_row(text: str, start: int, end: int, patterns: MentionPatterns) -> list[Mention]:
    """A statistics table's row, which prints its unit before its value ("羊年末存栏万只12.2 72.88"): the
    value in that unit for that indicator, and its change on last year (in %)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    row = patterns.table_row.fullmatch(text, start, end)
    if not row:
        return []
    indicator, unit = row.group(1), row.group(2)
    return [Mention(kind="number", text=row.group(3), start=row.start(3), end=row.end(3), unit=unit, attribute=indicator),
            Mention(kind="number", text=row.group(4), start=row.start(4), end=row.end(4), unit="%",
                    attribute=indicator, subject=indicator, change=True)]


def _dates(text: str, start: int, end: int) -> list[Mention]:
    sentence = text[start:end]
    return [Mention(kind="date", text=re.sub(r"\s+", "", m.group(0)), start=m.start(), end=m.end(),
                    attribute=(sentence[: m.start() - start] + sentence[m.end() - start :]).strip()[:40])
            for m in DATE_SPAN.finditer(text, start, end)]


def _people(text: str, start: int, end: int, office_line: str, patterns: MentionPatterns,
            tagged: list[tuple[int, str]]) -> list[Mention]:
    """Names after a title ("区长周益民"), each name line under an office line of a leaders' list, and
    the names the tagger found (`tagged`, offsets in the chunk): a name followed by a verb ("组长刘凤出席"),
    an honoured person ("代表杨荣被评为"), a row of an awards table ("安红梅女金川区第一小学")."""
    found: list[Mention] = []
    for match in patterns.spans.person.finditer(text, start, end):
        name = match.group(1)
        if patterns.is_office(name):
            continue
        office = _attribute_before(text, match.start(1), start)
        found.append(Mention(kind="person", text=name, start=match.start(1), end=match.end(1), attribute=office))
    line = text[start:end].strip()
    if office_line and (named := _NAME_LINE.match(line)) and not re.search(patterns.spans.titles, line):
        at = text.index(named.group(1), start)
        found.append(Mention(kind="person", text=named.group(1), start=at, end=at + len(named.group(1)),
                             attribute=office_line))
    for names in _name_runs(text, start, end) if office_line else ():
        found.extend(Mention(kind="person", text=name, start=at, end=at + len(name), attribute=office_line)
                     for at, name in names
                     if not any(m.start == at for m in found))
    found.extend(_names_before_offices(text, start, end, patterns))
    found.extend(Mention(kind="person", text=name, start=at, end=at + len(name),
                         attribute=_attribute_before(text, at, start) or office_line)
                 for at, name in tagged
                 if start <= at and at + len(name) <= end and not any(m.start == at for m in found)
                 and not patterns.is_office(name))
    return found


def _names_before_offices(text: str, start: int, end: int, patterns: MentionPatterns) -> list[Mention]:
    """A directory line that gives each name before its office ("苏子喜区农业农村局局长"), one entry or
    several the extraction ran together; only when the whole line reads so."""
    found: list[Mention] = []
    at = start
    while at < end and (match := patterns.name_then_office.match(text, at, end)):
        name = match.group(1)
        if patterns.is_office(name):
            return []
        found.append(Mention(kind="person", text=name, start=match.start(1), end=match.end(1), attribute=match.group(2)))
        at = match.end()
    return found if at >= end else []


def _name_runs(text: str, start: int, end: int) -> list[list[tuple[int, str]]]:
    """Lines of several names kept apart by ideographic spaces ("李发财\u3000张生学"), as (offset, name)."""
    runs = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        parts = [p for p in line.group(0).split("\u3000") if p.strip()]
        if len(parts) >= 2 and all(re.fullmatch(r"\s*[\u4e00-\u9fff·]{2,4}\s*", p) for p in parts):
            runs.append([(start + line.start() + m.start(), m.group(0))
                         for m in re.finditer(r"[\u4e00-\u9fff·]{2,4}", line.group(0))])
    return runs


def _quoted(text: str, start: int, end: int) -> list[Mention]:
    """Quoted names. A coined term quoted alone ("“双湾吃头节”") is the name without its quotes, as one
    would write it in an answer; a title keeps its 《》 and a term with its noun ("“双培”工程") its quotes."""
    found = []
    for m in _QUOTED.finditer(text, start, end):
        at, to = (m.start() + 1, m.end() - 1) if m.group(0).startswith("“") and m.group(0).endswith("”") else m.span()
        found.append(Mention(kind="name", text=text[at:to], start=at, end=to, attribute=_attribute_before(text, m.start(), start)))
    return found


def _organisations_and_places(text: str, start: int, end: int, patterns: MentionPatterns,
                              heads: dict[int, int], tagged_organisations: list[tuple[int, int]]) -> list[Mention]:
    """Names found by their ending (区教育局, 双湾镇), and short names after their administrative unit
    (区委宣传部); a name runs on into the body it belongs to ("区绿化委员会办公室", "市生态环境局金川分局").
    Where the tagger found an organisation or place ending at the same character (`heads`: its end →
    its start), the name starts where the tagger's does; otherwise the head is read from the words. An
    organisation the tagger found (`tagged_organisations`) that no ending reads, and that overlaps no
    name read so, is one too."""
    found: dict[tuple[int, int], Mention] = {}
    attribute = text[start:end].strip()[:40]  # the sentence a name is found in
    short_names = [m for m in patterns.short_name.finditer(text, start, end)  # not a full name plus a character:
                   if not patterns.organisation_or_place.search(m.group(0)[:-1])]  # 区财政局|联合印发
    for match in [*patterns.organisation_or_place.finditer(text, start, end), *short_names]:
        name_end = match.end()
        while nested := patterns.nested_name.match(text, name_end, end):
            name_end = nested.end()
        at = match.start()
        while at < name_end and text[at] in _NOT_A_NAME_START:
            at += 1
        name = text[_past_split_verb(text, match.start(), at, name_end) : name_end]
        at = name_end - len(name) + _name_head(name)
        if match.start() <= (tagged := heads.get(name_end, -1)) < name_end - 2:
            at = _tagged_head(text, at, tagged, name_end, heads, patterns)
        name = text[at:name_end]
        if len(name) < 3:
            continue
        kind: MentionKind = "place" if name.endswith(patterns.place_suffixes) else "organisation"
        found[(at, name_end)] = Mention(kind=kind, text=name, start=at, end=name_end, attribute=attribute)
    for at, name_end in tagged_organisations:  # the tagger's own: 区委, 金川区政协
        if start <= at and name_end <= end and name_end - at >= 2 and text[at] not in _NOT_A_NAME_START \
                and not any(m.start < name_end and at < m.end for m in found.values()):
            found[(at, name_end)] = Mention(kind="organisation", text=text[at:name_end], start=at, end=name_end,
                                            attribute=attribute)
    # a name inside a longer one is part of it: 金川分局 of 市生态环境局金川分局
    return [m for m in found.values() if not any(o.start <= m.start and m.end <= o.end and o != m for o in found.values())]


# jieba's word classes that never occur in the head of an organisation's or a place's name:
# prepositions, adverbs, pronouns, particles, localisers, numerals ("第六条"), and verbs of two characters or more (a
# one-character "verb" is as often part of a name: 义帆达物流; verbal nouns are: 服务中心).
_NOT_IN_A_NAME = frozenset({"p", "d", "ad", "r", "u", "uj", "ul", "uz", "ug", "uv", "ud", "f", "y", "e", "o", "m"})
_VERBS = frozenset({"v", "vd", "vg", "vi"})


def _tagged_head(text: str, read: int, tagged: int, end: int, heads: dict[int, int], patterns: MentionPatterns) -> int:
    """Where a name ending at `end` starts, given where the words say (`read`) and where the tagger's
    name does (`tagged`). The tagger draws a name's edges better than the words (代表|区人民政府,
    调整|区委办公室, 金昌金海彧蔬菜产销|农民专业合作社), but it cuts a name from its parent body
    (市生态环境局|金川分局, 双湾镇|陈家沟村) and from its administrative unit (区|市场监管局): those stay.
    A longer name still never starts with a character no name starts with (各|镇人民政府)."""
    if tagged < read:
        while tagged < end and text[tagged] in _NOT_A_NAME_START:
            tagged += 1
        return tagged
    cut = text[read:tagged]
    parent = read <= heads.get(tagged, -1) or cut.endswith(patterns.name_endings)
    return read if parent or re.fullmatch(_OFFICE_STARTS, cut) else tagged


def _past_split_verb(text: str, start: int, at: int, end: int) -> int:
    """Where a name starts once the characters no name starts with are stripped (`text[start:at]`): past
    the rest of a verb they began, which is no more part of the name than its first character
    ("实施金昌市义帆达物流有限公司": 实 is stripped, and 施 with it)."""
    import jieba.posseg  # index build only

    offset = start
    for word in jieba.posseg.lcut(text[start:end]) if at > start else ():
        word_end = offset + len(word.word)
        if offset < at < word_end:
            return word_end if word.flag in _VERBS else at
        offset = word_end
    return at


def _name_head(name: str) -> int:
    """Where a name found by its suffix really begins. The suffix pattern reaches back to the previous
    punctuation, so it takes in the words before the name ("完成三角城村", "由中共金昌市金川区委办公室",
    "更名为金川区教育考试中心"); the name is the run of words before the suffix back to the last
    preposition, verb or other word a name never holds. Such a word before a run shorter than three
    characters belongs to the name ("巡查|大队", "昌丰里|社区" with its localiser 里), and the search goes on
    to the next one ("组建成立民用煤巡查大队" → "民用煤巡查大队", "仪式在昌丰里社区" → "昌丰里社区")."""
    import jieba.posseg  # index build only

    kept = 0
    for word in reversed(jieba.posseg.lcut(name)):
        if (word.flag in _NOT_IN_A_NAME or (word.flag in _VERBS and len(word.word) > 1)) and kept >= 3:
            break
        kept += len(word.word)
    return len(name) - kept


def read_sentences(text: str, genre: Genre, names: Sequence[TaggedName] = ()) -> list[Sentence]:
    """Every sentence of a chunk with its mentions, read with the index's genre (its titles and
    units). A title line of a leaders' list ("区长") gives its office to the name lines under it.
    `names` are what the index's name tagger (`qa.names`) found in `text`; without them, only titled and
    listed names are people, and organisations and places are read by their endings alone."""
    patterns = mention_patterns(genre)
    tagged = [(name.start, person[1]) for name in names if name.kind == "person"
              and (person := _TAGGED_PERSON.match(name.text))]
    heads = {name.end: name.start for name in names if name.kind != "person"}
    tagged_organisations = [(name.start, name.end) for name in names if name.kind == "organisation"]
    sentences: list[Sentence] = []
    office_line = ""
    for start, end in split_sentences(text):
        line = text[start:end].strip()
        if not line:
            continue
        mentions = [*_numbers(text, start, end, patterns), *_table_row(text, start, end, patterns), *_dates(text, start, end),
                    *_people(text, start, end, office_line, patterns, tagged),
                    *_organisations_and_places(text, start, end, patterns, heads, tagged_organisations),
                    *_quoted(text, start, end)]
        sentences.append(Sentence(start=start, end=end, mentions=tuple(sorted(mentions, key=lambda m: (m.start, m.kind)))))
        if re.search(rf"(?:{patterns.spans.titles}|常委|委员|成员)$", line) and len(line) <= 20:
            office_line = line
        elif not _NAME_LINE.match(line) and not _name_runs(text, start, end):
            office_line = ""
    return sentences
