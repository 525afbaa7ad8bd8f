"""Chinese keyword retrieval: BM25 over jieba words and over CJK bigrams, built once and stored.

Words carry meaning (地区生产总值, 宁远堡镇) when the segmenter knows them, so a user dictionary is
drawn from the corpus itself: entry and section titles, organisation and place names. Bigrams
catch whatever the segmenter still splits wrongly. Question words are stopwords: "多少" says what
kind of answer is wanted, not where it is.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import bm25s
import jieba
import jieba.posseg
import numpy as np

from qa.records import Record

STOPWORDS = frozenset(
    """多少 什么 哪些 哪个 哪里 哪儿 哪 请问 吗 呢 吧 啊 呀 么 是 的 了 着 过 和 与 及 或 在 有 怎么 怎样 如何 为什么
    几 几个 谁 何时 哪天 哪年 什么时候 是否 有没有 是不是 一下 告诉 我 我们 你 您 想 知道 能 能否 可以 会 要 就 都 也
    还 被 把 给 对 从 到 为 这 那 这个 那个 其 该 之 个 吗？ 么样 怎么样 多大 多长 多久 多高 第几 共 一共 总共 请 查询
    查 问 下 去 来 又 上 中 啥 干啥 咋 咋样 现在 开始 出来 出去 没有 不是 自己 家里 一家 最多 最长 几种 有人 交给 会上
    一个 哪种 什么样 多长 怎么办 能够 已经 曾经 还有 需要 应该 主要 一般 大概 左右 目前 当时 这些 那些 其中 到底 究竟
    一年 一直 然后 以后 之后 之前 时候 情况 方面""".split()
)
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+|[A-Za-z]+|\d+(?:\.\d+)?")
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
    """Turns text into the two token streams BM25 indexes: jieba words and CJK bigrams."""

    def __init__(self, user_words: Iterable[str]) -> None:
        jieba.setLogLevel(logging.WARNING)
        self._segmenter = jieba.Tokenizer()
        self._segmenter.initialize()
        for word in user_words:
            self._segmenter.add_word(word, freq=USER_WORD_FREQ)

    def tagger(self) -> jieba.posseg.POSTokenizer:
        """Part-of-speech tagging over the same segmenter (place names are tagged 'ns')."""
        return jieba.posseg.POSTokenizer(self._segmenter)

    def words(self, text: str) -> list[str]:
        """Search-mode jieba tokens (whole terms and their parts), lower-cased, without stopwords."""
        tokens = []
        for token in self._segmenter.cut_for_search(text):
            token = token.strip().lower()
            if token and token not in STOPWORDS and _TOKEN.fullmatch(token):
                tokens.append(token)
        return tokens

    @staticmethod
    def bigrams(text: str) -> list[str]:
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
        return [t for t in tokens if t not in STOPWORDS]


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
        frequencies = np.diff(indptr)
        n = scores["num_docs"]
        return {token: float(np.log(1 + (n - frequencies[i] + 0.5) / (frequencies[i] + 0.5)))
                for token, i in self._model.vocab_dict.items() if i < len(frequencies)}

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every document for the query tokens (unknown tokens score nothing)."""
        known = [t for t in tokens if t in self._model.vocab_dict]
        if not known:
            return np.zeros(self._model.scores["num_docs"], dtype=np.float32)
        return np.asarray(self._model.get_scores(known), dtype=np.float32)
