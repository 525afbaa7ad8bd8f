"""Chinese keyword retrieval: BM25 over jieba words and over CJK bigrams, built once and stored.

Words carry meaning (地区生产总值, 宁远堡镇) when the segmenter knows them, so a user dictionary is
drawn from the corpus itself: entry and section titles, organisation and place names. Bigrams
catch whatever the segmenter still splits wrongly. Question words are stopwords (the genre's list,
`qa/data/genre.json`, plus a book's additions): "多少" says what kind of answer is wanted, not where it is.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path

import bm25s
import jieba
import numpy as np

from qa.records import Record

CJK = "\u3400-\u4dbf\u4e00-\u9fff"  # the characters that form CJK runs (and bigrams), for a regex class
_CJK_RUN = re.compile(f"[{CJK}]+")
_TOKEN = re.compile(f"[{CJK}]+|[A-Za-z]+|\\d+(?:\\.\\d+)?")
_NAME_SUFFIX = re.compile(
    r"(?:镇|街道|社区|村|局|委员会|办公室|医院|学校|小学|中学|幼儿园|中心|公司|协会|合作社|园区|基地|公园|"
    r"总值|总额|增加值|产量|收入|支出|面积|人口|投资|总量)"
)
# National statistical indicator names (国家统计指标), kept whole in every yearbook.
STANDARD_TERMS = (
    "地区生产总值", "一般公共预算收入", "一般公共预算支出", "社会消费品零售总额", "固定资产投资", "人均可支配收入",
    "城镇居民人均可支配收入", "农村居民人均可支配收入", "常住人口", "户籍人口", "城镇化率", "规模以上工业增加值",
    "粮食总产量", "播种面积", "进出口总额", "居民消费价格",
)
USER_WORD_FREQ = 20000
MIN_NAME_COUNT = 3
NOT_A_NAME_START = set(  # a name never starts with a date word, a verb or a particle
    "年月日在共实会同意的和及与对为是将由从向以于把被暨等了")


def extract_user_words(records: Iterable[Record], extra: Iterable[str] = ()) -> list[str]:
    """Terms the segmenter must keep whole: titles, path parts, and recurring names.

    A name is a run of Chinese ending in a name-like suffix (…镇, …局, …总值) that recurs and
    whose left neighbour varies: "地区生产总值" is kept, while "区生产总值" (always preceded by
    地) and "实现地区生产总值" (one phrase among many) are not.
    """
    words: set[str] = {w for w in [*STANDARD_TERMS, *extra] if 2 <= len(w) <= 12}
    counts: Counter[str] = Counter()
    for record in records:
        for part in [*record.path, record.title]:
            if 2 <= len(part) <= 12 and _CJK_RUN.fullmatch(part):
                words.add(part)
        for run in _CJK_RUN.findall(record.text):
            for match in _NAME_SUFFIX.finditer(run):
                end = match.end()
                counts.update(run[start:end] for start in range(max(0, end - 10), match.start() - 1))
    for name, n in counts.items():
        if n < MIN_NAME_COUNT or name[0] in NOT_A_NAME_START:
            continue
        extended = max((m for other, m in counts.items() if len(other) == len(name) + 1 and other.endswith(name)), default=0)
        if extended < 0.75 * n:
            words.add(name)
    return sorted(words)


def token_runs(text: str) -> str:
    """The runs the analyzers keep (CJK, Latin words, numbers), space-separated: what an external
    jieba tokenizer is given, so that punctuation never becomes a token there either."""
    return " ".join(_TOKEN.findall(text))


class Analyzer:
    """Turns text into the two token streams BM25 indexes: jieba words and CJK bigrams.

    The stopwords are the index's genre's: a question must lose the same words its passages lost."""

    def __init__(self, user_words: Iterable[str], stopwords: frozenset[str]) -> None:
        self._stopwords = stopwords
        jieba.setLogLevel(logging.WARNING)
        self._segmenter = jieba.Tokenizer()
        self._segmenter.initialize()
        for word in user_words:
            self._segmenter.add_word(word, freq=USER_WORD_FREQ)

    @cached_property
    def tagger(self) -> jieba.posseg.POSTokenizer:
        """Part-of-speech tagging over the same segmenter (place names are tagged 'ns'), made once.

        It shares the tag table jieba parsed from the same default dictionary when jieba.posseg was
        imported (here, on first use: that costs seconds and about 70 MB). POSTokenizer() would
        parse those 349k lines again. Sharing is safe: our user words carry no tags, so jieba never
        adds to the table.
        """
        import jieba.posseg

        tagger = object.__new__(jieba.posseg.POSTokenizer)
        tagger.tokenizer = self._segmenter
        tagger.word_tag_tab = jieba.posseg.dt.word_tag_tab
        return tagger

    def words(self, text: str) -> list[str]:
        """Search-mode jieba tokens (whole terms and their parts), lower-cased, without stopwords."""
        tokens = []
        for token in self._segmenter.cut_for_search(text):
            token = token.strip().lower()
            if token and token not in self._stopwords and _TOKEN.fullmatch(token):
                tokens.append(token)
        return tokens

    def bigrams(self, text: str) -> list[str]:
        """Overlapping CJK bigrams (single characters for one-character runs), plus Latin words and numbers."""
        tokens = []
        for match in _TOKEN.finditer(text):
            run = match.group(0)
            if not _CJK_RUN.fullmatch(run):
                tokens.append(run.lower())
            elif len(run) == 1:
                tokens.append(run)
            else:
                tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
        return [t for t in tokens if t not in self._stopwords]


class BM25Field:
    """One BM25 index (bm25s, stored as plain arrays and a vocabulary JSON) over one token stream."""

    def __init__(self, model: bm25s.BM25) -> None:
        self._model = model

    @classmethod
    def build(cls, token_lists: list[list[str]]) -> BM25Field:
        model = bm25s.BM25()
        model.index(token_lists, show_progress=False)
        return cls(model)

    def save(self, folder: Path) -> None:
        self._model.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> BM25Field:
        return cls(bm25s.BM25.load(str(folder), mmap=True, show_progress=False))

    def vocabulary(self) -> set[str]:
        return set(self._model.vocab_dict)

    def idf(self) -> dict[str, float]:
        """Inverse document frequency of every token, read off the stored sparse matrix."""
        scores = self._model.scores
        indptr = np.append(np.asarray(scores["indptr"]), len(scores["data"]))
        frequencies = np.diff(indptr).astype(np.float64)
        n = scores["num_docs"]
        idf = np.log(1 + (n - frequencies + 0.5) / (frequencies + 0.5)).tolist()
        return {token: idf[i] for token, i in self._model.vocab_dict.items() if i < len(idf)}

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every document for the query tokens (unknown tokens score nothing)."""
        known = [t for t in tokens if t in self._model.vocab_dict]
        if not known:
            return np.zeros(self._model.scores["num_docs"], dtype=np.float32)
        return np.asarray(self._model.get_scores(known), dtype=np.float32)
