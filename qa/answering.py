"""Extractive answering: the best sentence of the retrieved passages, cited, or a plain refusal.

Sentences are scored by how much of the question's weighted terms they (and their passage's
path) cover, plus whether they hold what the question asks for (a number with a unit, a date,
a name). The answer quotes the corpus verbatim, so every citation can be checked. Two decisions
are learned (`qa.training`): whether to answer at all (`qa.refusal`) and which typed mention of
which sentence is the exact answer (`qa.selection`); `short_answer` is shown only when that
mention's probability clears the threshold set on dev, so a headline is right or absent. When the
book gives two values for the quantity asked, both are cited, the statistics first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from qa.analysis import date_precision_pattern, sentence_requirements
from qa.answers import Citation, Passage
from qa.chunking import split_sentences
from qa.coverage import CoverageScorer
from qa.genre import Genre
from qa.lexical import Analyzer
from qa.mentions import Sentence, quantity
from qa.models import AnswerModels, LogisticModel
from qa.parsing import CHRONICLE_DAY, CHRONICLE_MONTH, document_number_line
from qa.query import Question
from qa.records import Record
from qa.refusal import FACTOID_KINDS, RefusalSignals
from qa.retrieval import Hit
from qa.selection import Candidate, Choice, HeadlineRanker, sureness_features
from qa.spans import DATE, SpanPatterns, find_span, span_patterns
from qa.textrepair import normalise_for_match

MAX_ANSWER_CHARS = 150
# Sentence score = own coverage, coverage with the passage's path, retrieval rank, kind match.
# Weights set on the dev split of the evaluation set.
W_OWN, W_CONTEXT, W_RANK, W_KIND = 0.6, 0.4, 0.4, 0.3
RUNNER_UP_RATIO = 0.6  # quote a second sentence when it scores at least this share of the best
RUNNER_UP_MAX_OVERLAP = 0.6  # ...and when at most this share of its bigrams are already in the best
_REQUIRED_KIND = ("number", "date")  # a sentence with no figure (no date) cannot say how many (when)
_LEADING_YEARS = re.compile(r"^(?:【[^】]*】)?[^\d。；]{0,8}?((?:19|20)\d{2})年")  # "2019年，…", "初步核算，2019年…"
_CLAUSE = re.compile(r"(?<=[，；：,;])")
_OFFICES = "常委|委员|成员|专员|辅导员|调研员"  # offices that are no title of the genre's list
_NAME_LINE = re.compile(r"^(?:[\u4e00-\u9fff·]{2,4}(?:[（(][^）)]{0,24}[）)])?\u3000?){1,16}$")  # one name, or several
_ARABIC_VALUE = re.compile(r"^\d")
_HEADING = re.compile(r"^【[^】]*】$")
MIN_OWN_COVERAGE = 0.05  # the best sentence must itself hold this share of the question's terms (set on dev)
BARE_VALUE_CHARS = 16  # ...unless it is a bare value this short, such as a document's date line
EVIDENCE_WINDOW_CHARS = 40  # characters either side of the best sentence (set on the dev split)
_YEAR_MENTION = re.compile(r"((?:19|20)\d{2})\s*年")
CONFLICT_COVERAGE = 0.9  # a rival figure counts only if its sentence covers the question nearly as well
CONFLICT_SAME_QUANTITY = 0.6  # ...and if the words before both figures mostly agree
LEAD_IN_CHARS = 8


@dataclass(frozen=True)
class _GenrePatterns:
    """The answerer's regexes of one genre (the index's merged view), compiled once by `_genre_patterns`."""

    spans: SpanPatterns
    office: str  # a title or another office
    title_line: re.Pattern[str]  # a line that ends with an office, no name after it
    document_number_line: re.Pattern[str]

    def kind(self, answer_type: str) -> re.Pattern[str] | None:
        """What a sentence answering this type holds: a figure, a date, a name after a title."""
        return {"number": self.spans.number, "date": DATE, "person": self.spans.person}.get(answer_type)

    def wanted(self, question: Question) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
        """What an answer to the question holds (a figure, a date, a name) and, for a date question
        that asks for the day or month, a date that precise."""
        return self.kind(question.kind), date_precision_pattern(question.analysis)

    def sentence_units(self, text: str) -> list[tuple[int, int]]:
        """Sentences of a passage, where a title line is kept with the line that completes it: in the
        book's lists of office holders "区委书记" and "陆世平（2019年1月任）" answer together, and a
        document's title with its 文号."""
        spans = split_sentences(text)
        units: list[tuple[int, int]] = []
        i = 0
        while i < len(spans):
            start, end = spans[i]
            if i + 1 < len(spans) and self.document_number_line.match(text[spans[i + 1][0] : spans[i + 1][1]].strip()):
                end = spans[i + 1][1]  # a document's title with its 文号: "…实施方案" / "金区政办发〔2019〕165号"
                i += 1
            elif self.title_line.search(text[start:end].strip()):
                while i + 1 < len(spans) and self.is_name_line(text[spans[i + 1][0] : spans[i + 1][1]].strip()):
                    end = spans[i + 1][1]  # every holder of the office, however many lines they take
                    i += 1
            units.append((start, end))
            i += 1
        return units

    def deputies_of_asked_office(self, question: str, text: str) -> bool:
        """Whether `text` names deputies of an office the question asks for ("副区长 张福清…" when
        the question asks who the 区长 is, not a 副区长)."""
        asked = {m.group(0) for m in re.finditer(self.office, question) if question[max(0, m.start() - 1)] != "副"}
        return any(f"副{office}" in text for office in asked)

    def is_name_line(self, line: str) -> bool:
        return bool(_NAME_LINE.match(line)) and not re.search(self.office, line)


@lru_cache(maxsize=8)
def _genre_patterns(genre: Genre) -> _GenrePatterns:
    spans = span_patterns(genre)
    office = f"{spans.titles}|{_OFFICES}"
    return _GenrePatterns(spans=spans, office=office, title_line=re.compile(rf"(?:{office})$"),
                          document_number_line=document_number_line(genre))


@dataclass
class Draft:
    """An extractive answer before timings are added."""

    answer: str
    short_answer: str | None
    answerable: bool
    citations: list[Citation]
    passages: list[Passage]
    short_answer_confidence: float | None = None  # the sureness model's probability that its best mention is right


@dataclass
class Examination:
    """The answerer's sentences (best first), the ranked (sentence, mention) pairs and the refusal
    signals (None when no sentence can answer at all)."""

    candidates: list[Candidate]
    choices: list[Choice]
    signals: RefusalSignals | None


class ExtractiveAnswerer:
    """Answers from retrieved hits with no generative model: fast, offline, always verbatim."""

    def __init__(self, scorer: CoverageScorer, analyzer: Analyzer, word_idf: dict[str, float],
                 records: dict[str, Record], covered_years: set[int],
                 edition_years: set[int], region_names: set[str], statistical_sources: list[str],
                 sub_area_categories: list[str], sentences_of: Callable[[str], list[Sentence]], models: AnswerModels | None,
                 genre: Genre) -> None:
        self._scorer = scorer
        self._patterns = _genre_patterns(genre)  # the index's genre: the titles and units its text was read with
        self.models = models  # None only while `qa.training` fits them
        self.ranker = HeadlineRanker(scorer, sentences_of, region_names, statistical_sources, sub_area_categories,
                                     self.short_answer)
        self._records = records
        # the years each section (a report, a document, a 分目) speaks of: an answer about another
        # year than the book records must come from a section that mentions that year
        self._years_by_section: dict[tuple[str, ...], set[int]] = {}
        for record in records.values():
            years = {int(y) for y in _YEAR_MENTION.findall(record.text + " ".join(record.path))}
            self._years_by_section.setdefault(tuple(record.path[:2]), set()).update(years)
        self._analyzer = analyzer
        self._sentences_of = sentences_of
        self._word_idf = word_idf
        self._covered_years = covered_years
        self._edition_years = edition_years
        self._region_names = region_names
        self._statistical_sources = statistical_sources

    def examine(self, question: Question, hits: list[Hit], dense: dict[str, float],
                headline: LogisticModel | None) -> Examination:
        """Everything the two decisions rest on; `qa.training` fits them on this same record."""
        terms = self._scorer.question_terms(question.terms_text(), question.expansions)
        candidates = self.candidates(question, hits, terms)
        if not candidates:
            return Examination(candidates, [], None)
        best = candidates[0]
        words = [w for w in self._analyzer.words(question.text) if len(w) >= 2 and w not in self._region_names]
        confidence = self.confidence(question, best)
        gap = self.coverage_gap(question, best)
        unknown = sum(w not in self._word_idf for w in words) / len(words) if words else 0.0
        evidence = {"evidence_confidence": confidence, "evidence_gap": float(gap is not None),
                    "evidence_unknown_words": unknown}
        attribute_terms = self._scorer.question_terms(" ".join([question.analysis.attribute, *question.book_terms]))
        choices = self.ranker.choices(question, candidates, terms, attribute_terms, dense, evidence, headline)
        signals = RefusalSignals(
            confidence=confidence, gap=gap,
            # a sentence that shares (almost) nothing with the question only borrows its neighbours'
            # words; unless it is a bare value under its subject (a document's "（2019年8月2日）" line),
            # or a 大事记 day, whose date is its heading
            unrelated=best.own < MIN_OWN_COVERAGE and len(best.text) > BARE_VALUE_CHARS
            and best.hit.chunk.kind != "chronicle",
            best_own=best.own, best_coverage=best.coverage,
            headline_probability=choices[0].probability if choices else 0.0, has_choice=bool(choices),
            factoid=question.kind in FACTOID_KINDS, dense_top=dense.get(best.hit.chunk.id, 0.0),
            attribute_coverage=self._scorer.coverage(attribute_terms, best.text + " ".join(best.hit.chunk.path))
            if attribute_terms else 0.0,
            unknown_words=unknown, top_score=hits[0].score if hits else 0.0,
        )
        return Examination(candidates, choices, signals)

    def answer(self, question: Question, hits: list[Hit], dense: dict[str, float]) -> Draft:
        """The best sentences, cited, with a headline only when the ranker is sure; or a refusal."""
        passages = [passage_of(hit) for hit in hits]
        exam = self.examine(question, hits, dense, self.models.headline)
        if exam.signals is None:
            return self.refusal(question, passages)
        if exam.signals.certain or \
                self.models.refusal.probability(exam.signals.features()) < self.models.refusal.threshold:
            return self.refusal(question, passages, exam.signals.gap)
        top = exam.choices[0] if exam.choices else None
        sureness = self.models.sureness.probability(sureness_features(exam.choices, question.kind)) if top else None
        confidence = round(sureness, 4) if sureness is not None else None
        sure = sureness is not None and sureness >= self.models.sureness.threshold
        candidates = exam.candidates
        best = top.sentence if sure else candidates[0]  # lead with the sentence the headline comes from
        conflict = self.conflicting(question, best, candidates) if question.kind == "number" else None
        if conflict:
            draft = self.cite_conflict(question, conflict, passages)
            shown = top.mention.text if sure and _holds(draft.answer, top.mention.text) else None
            return Draft(draft.answer, shown, True, draft.citations, passages, confidence)
        quote = self.trim(best.text, question, top.mention.text if sure else None)
        chosen = [(best, quote)]
        # An office asked about is answered by its holder: once the headline names them, or the lead
        # sentence names the holder of exactly that office (headline withheld or not), a second
        # sentence would only add the deputies or the next office down the list.
        holder_named = question.kind == "person" and top is not None and (sure or _holds_office_asked(top, best))
        second = None if holder_named else self.runner_up(question, best, candidates, MAX_ANSWER_CHARS - len(quote))
        if second is not None:
            chosen.append(second)
        # the quote as the answer reads it: a 大事记 day carries the month its heading gives ("8月8日…")
        short = top.mention.text if sure and _holds(_dated(best.hit, quote), top.mention.text) else None
        citations = [citation_of(n, c.hit, q) for n, (c, q) in enumerate(chosen, start=1)]
        answer = "".join(f"{_dated(c.hit, q)}[{n}]" for n, (c, q) in enumerate(chosen, start=1))
        return Draft(answer, short, True, citations, passages, confidence)

    def runner_up(self, question: Question, best: Candidate, candidates: list[Candidate],
                  room: int) -> tuple[Candidate, str] | None:
        """A second sentence worth quoting: scored close to the best, different, and fitting the length budget."""
        for other in candidates[1:4]:
            if other.score < RUNNER_UP_RATIO * best.score:
                return None
            if self._overlap(other.text, best.text) > RUNNER_UP_MAX_OVERLAP:
                continue  # the same fact again (the book repeats its key figures) adds length, not information
            if question.kind == "person" and self._patterns.deputies_of_asked_office(question.text, other.text):
                continue  # the office asked about is answered by its holder, not the list of deputies
            quote = self.trim(other.text, question)
            if len(quote) <= room:
                return other, quote
        return None

    def confidence(self, question: Question, best: Candidate) -> float:
        """Share of the IDF weight of the question's known words found in the best passage and its path.

        Words the corpus never uses are left out: most are colloquial paraphrases that cannot be
        matched, and they say little about whether the book answers; rare known words it lacks say a lot.
        A colloquial word from the curated list counts as found when one of its book terms is.
        """
        context = (self._evidence_window(best) + " ".join(best.hit.chunk.path)).lower()  # analyzer words are lower-cased
        weights: dict[str, float] = {}
        found: set[str] = set()
        for word, terms in question.colloquial:
            known = [t for t in terms if t in self._word_idf]
            if known:
                weights[word] = max(self._word_idf[t] for t in known)
                if word in context or any(t in context for t in terms):
                    found.add(word)
        for word in dict.fromkeys(self._analyzer.words(question.text)):
            if len(word) >= 2 and word in self._word_idf and word not in self._region_names \
                    and not any(word in key for key in weights):
                weights[word] = self._word_idf[word]
                if word in context:
                    found.add(word)
        total = sum(weights.values())
        if not total:
            return 0.0  # no word the book uses: nothing to rest an answer on
        return sum(weights[w] for w in found) / total

    @staticmethod
    def _evidence_window(best: Candidate) -> str:
        """The best sentence with its neighbours: the evidence an answer would actually rest on."""
        text = best.hit.chunk.text
        return text[max(0, best.start - EVIDENCE_WINDOW_CHARS) : best.end + EVIDENCE_WINDOW_CHARS]

    def candidates(self, question: Question, hits: list[Hit], terms: dict[str, float]) -> list[Candidate]:
        """Every sentence of every hit, best first; `terms` are the question's weighted terms."""
        wanted, precise = self._patterns.wanted(question)
        found: list[Candidate] = []
        for rank, hit in enumerate(hits):
            text = hit.chunk.text
            context = " ".join(hit.chunk.path)
            for start, end in self._patterns.sentence_units(text):
                sentence = text[start:end].strip()
                if len(sentence) < 4 or _HEADING.match(sentence):
                    continue  # an entry's 【title】 alone is in the path already and answers nothing
                own = self._scorer.coverage(terms, sentence)
                coverage = self._scorer.coverage(terms, context + sentence)
                score = W_OWN * own + W_CONTEXT * coverage + W_RANK / (rank + 1)
                if wanted is not None and wanted.search(sentence):
                    score += W_KIND
                    if precise is not None and precise.search(sentence):
                        score += W_KIND  # the date to the day (month) asked for, not just a year
                offset = text.index(sentence, start)
                found.append(Candidate(hit, rank, offset, offset + len(sentence), sentence, coverage, score, own))
        needed, asked_years = self.requirements(question), question.asked_years
        found = [c for c in found if all(pattern.search(c.text) for pattern in needed)
                 and not _about_another_year(c.text, asked_years)
                 and (question.kind not in _REQUIRED_KIND or self._patterns.kind(question.kind).search(c.text)
                      or (question.kind == "date" and c.hit.chunk.kind == "chronicle"))]
        found.sort(key=lambda c: (-c.score, c.rank, c.start))
        return found

    def requirements(self, question: Question) -> list[re.Pattern[str]]:
        """What a sentence must state to answer at all: the unit or rate asked (多少人, 每平方米…多少钱),
        the opening hours or address asked, a target when one is asked (目标), and the part asked
        about ("法律援助案件里，刑事案件有多少件": the whole's figure does not answer it)."""
        needed = sentence_requirements(question.analysis)
        needed += [re.compile(re.escape(word)) for word in self._analyzer.words(question.analysis.part)
                   if len(word) >= 2 and word in self._word_idf]
        return needed

    def coverage_gap(self, question: Question, best: Candidate) -> str | None:
        """A year or place the question names that the evidence does not: refuse, never answer from the nearest year."""
        record = self._records[best.hit.chunk.record_id]
        for year in question.years:
            if year in self._covered_years:
                continue
            # the edition's own year is the subject of its plans and reports' outlooks: a section
            # (report, document, 分目) that speaks of it may answer; any other year must be in the record
            in_section = year in self._edition_years and year in self._years_by_section.get(tuple(record.path[:2]), ())
            if not in_section and f"{year}年" not in record.text:
                return f"{year}年"
        context = best.hit.chunk.text + " ".join(best.hit.chunk.path)
        for place in question.places:
            if place not in self._region_names and place not in context:
                return place
        return None

    def refusal(self, question: Question, passages: list[Passage], gap: str | None = None) -> Draft:
        subject = gap or question.text.strip("？?。.!！ ")
        answer = f"年鉴中未找到关于“{subject}”的相关信息。" if subject else "年鉴中未找到相关信息。"
        return Draft(answer, None, False, [], passages)

    def trim(self, sentence: str, question: Question, must_hold: str | None = None) -> str:
        """The sentence, or its best run of clauses (holding `must_hold`, the headline, when given)
        when it is longer than an answer should be."""
        if len(sentence) <= MAX_ANSWER_CHARS:
            return sentence
        terms = self._scorer.question_terms(question.terms_text(), question.expansions)
        wanted = next((p for p in reversed(self._patterns.wanted(question)) if p is not None), None)
        clauses = [c for c in _CLAUSE.split(sentence) if c]
        best, best_score = clauses[0][:MAX_ANSWER_CHARS], -1.0
        for i in range(len(clauses)):
            window = ""
            for clause in clauses[i:]:
                if len(window) + len(clause) > MAX_ANSWER_CHARS:
                    break
                window += clause
                if must_hold and not _holds(window, must_hold):
                    continue
                score = self._scorer.coverage(terms, window) - 0.001 * len(window)
                if wanted is not None and wanted.search(window):
                    score += W_KIND  # keep the clause with what was asked ("截至2019年9月30日，…完成全面整改")
                if score > best_score:
                    best, best_score = window, score
        return best

    def short_answer(self, question: Question, hit: Hit, quote: str) -> str | None:
        """The exact span asked for (number with unit, date, name, organisation), or None."""
        if question.kind == "date" and hit.chunk.chronicle_date:
            return hit.chunk.chronicle_date
        terms = self._scorer.question_terms(question.text)

        def closeness(offset: int) -> float:
            return self._scorer.coverage(terms, quote[max(0, offset - 16) : offset])

        names = self._people_in(hit, quote) if question.kind == "person" else []
        return find_span(question.analysis, question.text, quote, question.years, closeness, names,
                         self._patterns.spans)

    def _people_in(self, hit: Hit, quote: str) -> list[tuple[int, str]]:
        """The people the mention layer read in the hit's chunk at index build (titled, listed and tagged
        names) that the quote holds, with their offsets in it: tagging the quote again costs milliseconds."""
        return sorted({(quote.find(mention.text), mention.text) for sentence in self._sentences_of(hit.chunk.id)
                       for mention in sentence.mentions if mention.kind == "person" and mention.text in quote})

    def conflicting(self, question: Question, best: Candidate, candidates: list[Candidate]) -> list[Candidate] | None:
        """Two passages giving different figures (Arabic numerals, the same unit, different quantities:
        0.74万头 and 7400头 agree) for the same quantity: both sentences cover the question about as well
        and name the quantity in the same words just before the figure ("全区实现地区生产总值262.34亿元" /
        "…地区生产总值182.86亿元"). Statistics first."""
        quote = self.trim(best.text, question)
        value = self.short_answer(question, best.hit, quote)
        stated = _arabic_quantity(value)
        if stated is None:
            return None
        lead = _lead_in(quote, value)
        for other in candidates[1:12]:
            if other.hit.chunk.record_id == best.hit.chunk.record_id or other.coverage < CONFLICT_COVERAGE * best.coverage:
                continue
            other_quote = self.trim(other.text, question)
            other_value = self.short_answer(question, other.hit, other_quote)
            other_stated = _arabic_quantity(other_value)
            if other_stated is None or other_stated[1] != stated[1] or other_stated[0] == stated[0]:
                continue
            if self._overlap(_lead_in(other_quote, other_value), lead) >= CONFLICT_SAME_QUANTITY:
                return sorted([best, other], key=lambda c: not self.is_statistical(c.hit))
        return None

    def _overlap(self, text: str, other: str) -> float:
        """Share of `text`'s bigrams that also occur in `other`."""
        own = set(self._analyzer.bigrams(text))
        return len(own & set(self._analyzer.bigrams(other))) / len(own) if own else 1.0

    def is_statistical(self, hit: Hit) -> bool:
        return any(source in part for part in hit.chunk.path for source in self._statistical_sources)

    def cite_conflict(self, question: Question, rivals: list[Candidate], passages: list[Passage]) -> Draft:
        budget = (MAX_ANSWER_CHARS - 20) // len(rivals)
        quotes = [self.trim_to(c.text, question, budget) for c in rivals]
        citations = [citation_of(n, c.hit, q) for n, (c, q) in enumerate(zip(rivals, quotes), start=1)]
        values = [self.short_answer(question, c.hit, q) for c, q in zip(rivals, quotes)]
        parts = [f"{q}[{n}]" for n, q in enumerate(quotes, start=1)]
        answer = "年鉴中该数值有不同记载：" + "；".join(parts)
        return Draft(answer, values[0], True, citations, passages)

    def trim_to(self, sentence: str, question: Question, budget: int) -> str:
        """The clause run around the asked value, within `budget` characters."""
        quote = self.trim(sentence, question).rstrip("，；：、,;:")
        if len(quote) <= budget:
            return quote
        match = self._patterns.spans.number.search(quote)
        centre = match.start() if match else 0
        clauses = [c for c in _CLAUSE.split(quote) if c]
        position, chosen = 0, ""
        for clause in clauses:
            if position <= centre < position + len(clause):
                chosen = clause
                break
            position += len(clause)
        return (chosen[:budget] if chosen else quote[:budget]).rstrip("，；：、,;:")


def _about_another_year(sentence: str, years: tuple[int, ...]) -> bool:
    """A sentence that opens with a year ("2019年，全区实现…", "预计2019年实现…") is about that
    year, not the one asked; the years it names later are often only compared with."""
    match = _LEADING_YEARS.match(sentence)
    return bool(years and match and int(match.group(1)) not in years)


def _dated(hit: Hit, quote: str) -> str:
    """A 大事记 quote with the month its day belongs to: the book prints "4日…" under the heading
    "1月", so the answer reads "1月4日…" while the citation keeps the verbatim quote."""
    path = hit.chunk.path
    if hit.chunk.kind == "chronicle" and len(path) >= 2 and CHRONICLE_MONTH.match(path[1]) \
            and CHRONICLE_DAY.match(quote):
        return path[1] + quote
    return quote


def _arabic_quantity(value: str | None) -> tuple[float, str] | None:
    """The quantity of a figure printed in Arabic numerals (the conflict rule's kind), else None."""
    return quantity(value) if value and _ARABIC_VALUE.match(value) else None


def _holds_office_asked(top: Choice, lead: Candidate) -> bool:
    """Whether the lead sentence names a person whose office is the one asked, word for word: every
    term of the asked office in it (attribute_match) and nothing more (no 副, no 政法委)."""
    return top.sentence is lead and top.features["attribute_match"] == 1.0 and top.features["attribute_extra"] == 0.0


def _holds(text: str, value: str) -> bool:
    """Whether `text` states `value` (the book may space its digits and units: "262.34 亿元")."""
    return normalise_for_match(value) in normalise_for_match(text)


def _lead_in(quote: str, value: str) -> str:
    """The words just before a figure, which name the quantity it measures."""
    at = quote.find(value)
    return quote[max(0, at - LEAD_IN_CHARS) : at] if at >= 0 else ""


def passage_of(hit: Hit) -> Passage:
    chunk = hit.chunk
    return Passage(chunk_id=chunk.id, record_id=chunk.record_id, yearbook=chunk.yearbook, section_path=chunk.path,
                   page=chunk.page_start, text=chunk.text, score=round(hit.score, 6))


def citation_of(n: int, hit: Hit, quote: str) -> Citation:
    """Citation of `quote` (verbatim text of the hit's chunk), with the printed page the quote starts on."""
    chunk = hit.chunk
    return Citation(n=n, chunk_id=chunk.id, record_id=chunk.record_id, yearbook=chunk.yearbook,
                    section_path=chunk.path, page=chunk.page_at(max(0, chunk.text.find(quote))), quote=quote,
                    score=round(hit.score, 6))
