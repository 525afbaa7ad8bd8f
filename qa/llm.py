"""LLM answering through langchain to any OpenAI-compatible endpoint, with checked citations.

Numbered passages go in, an answer that uses only them with [n] markers comes out. Markers are
checked: one that names no passage is removed, and an answer left with no valid marker is not
trusted (the caller falls back to the extractive answer). Each citation's quote is the sentence of
the cited passage closest to what the answer says, so quotes stay verbatim corpus text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from qa.answering import citation_of
from qa.answers import Citation
from qa.chunking import split_sentences
from qa.coverage import CoverageScorer
from qa.retrieval import Hit

SYSTEM_PROMPT = (
    "你是地方年鉴问答助手。只根据用户给出的编号段落回答，不要使用段落以外的知识。"
    "回答用简洁的中文，不超过150字；每句话后用[编号]标出依据的段落，例如[1]。"
    "如果段落不能回答问题，只回答：年鉴中未找到相关信息。"
)
REFUSAL_TEXT = "年鉴中未找到相关信息"
_MARKER = re.compile(r"\[(\d+)\]")


class LlmError(Exception):
    """The endpoint failed, timed out or answered something unusable; the message says which."""


@dataclass
class LlmAnswer:
    """A checked LLM answer."""

    answer: str
    answerable: bool
    citations: list[Citation]


class LlmAnswerer:
    """Talks to one OpenAI-compatible endpoint through langchain-openai's ChatOpenAI."""

    def __init__(self, base_url: str, api_key: str, model: str, timeout_s: float, prompt_budget: int,
                 count_tokens: Callable[[str], int], scorer: CoverageScorer) -> None:
        from langchain_openai import ChatOpenAI

        self._model = ChatOpenAI(base_url=base_url, api_key=api_key or "not-needed", model=model,
                                 timeout=timeout_s, max_retries=0, temperature=0)
        self._budget = prompt_budget
        self._count = count_tokens
        self._scorer = scorer

    def prompt(self, question: str, hits: list[Hit]) -> tuple[list[tuple[str, str]], list[Hit]]:
        """Messages for the model and the hits that fit the token budget (in rank order)."""
        used: list[Hit] = []
        body = f"问题：{question}\n\n段落：\n"
        spent = self._count(SYSTEM_PROMPT) + self._count(body)
        for n, hit in enumerate(hits, start=1):
            block = f"[{n}] （{' › '.join(hit.chunk.path)}，第{hit.chunk.page_start or '?'}页）{hit.chunk.text}\n"
            cost = self._count(block)
            if spent + cost > self._budget:
                break
            body += block
            spent += cost
            used.append(hit)
        return [("system", SYSTEM_PROMPT), ("human", body)], used

    def answer(self, question: str, hits: list[Hit]) -> LlmAnswer:
        messages, used = self.prompt(question, hits)
        try:
            reply = self._model.invoke(messages)
        except Exception as exc:  # network errors, timeouts, HTTP 5xx, unparsable bodies
            raise LlmError(_describe(exc)) from exc
        return self.check(str(reply.content), used)

    def stream(self, messages: list[tuple[str, str]]) -> Iterator[str]:
        """Text deltas for a `prompt` as they arrive; the caller checks the joined text with `check`."""
        try:
            for chunk in self._model.stream(messages):
                if chunk.content:
                    yield str(chunk.content)
        except Exception as exc:
            raise LlmError(_describe(exc)) from exc

    def check(self, text: str, used: list[Hit]) -> LlmAnswer:
        """Drop markers that name no passage; cite each remaining passage with a verbatim sentence."""
        text = text.strip()
        if not text:
            raise LlmError("empty answer")
        if REFUSAL_TEXT in text:
            return LlmAnswer(f"{REFUSAL_TEXT}。", False, [])
        valid = {n for n in map(int, _MARKER.findall(text)) if 1 <= n <= len(used)}
        text = _MARKER.sub(lambda m: m.group(0) if int(m.group(1)) in valid else "", text)
        if not valid:
            raise LlmError("no valid citation marker in the answer")
        citations = [self._cite(n, used[n - 1], _claims_for(text, n)) for n in sorted(valid)]
        return LlmAnswer(text, True, citations)

    def _cite(self, n: int, hit: Hit, claim: str) -> Citation:
        chunk_text = hit.chunk.text
        terms = self._scorer.question_terms(claim)
        sentences = [chunk_text[s:e].strip() for s, e in split_sentences(chunk_text) if chunk_text[s:e].strip()]
        quote = max(sentences, key=lambda sentence: self._scorer.coverage(terms, sentence)) if sentences else chunk_text
        return citation_of(n, hit, quote)


def _claims_for(text: str, n: int) -> str:
    """The parts of the answer that cite passage n (the text before each [n])."""
    parts = re.split(r"(\[\d+\])", text)
    claims = [parts[i - 1] for i, part in enumerate(parts) if part == f"[{n}]" and i > 0]
    return " ".join(claims) or text


def _describe(exc: Exception) -> str:
    """The kind of failure, for a citizen's notice and the logs: never the exception's own text,
    which can carry internals (`TypeError: string indices must be integers`)."""
    import openai

    if isinstance(exc, openai.APITimeoutError) or "Timeout" in type(exc).__name__:
        return "timed out"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    if isinstance(exc, openai.APIConnectionError):
        return "connection failed"
    return "bad response"
