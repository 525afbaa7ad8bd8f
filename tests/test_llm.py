"""LLM answering against a local fake OpenAI-compatible server over real HTTP, failures included."""

from __future__ import annotations

import dataclasses
import json

import pytest
from fastapi.testclient import TestClient

from qa.api.app import create_app
from qa.llm import LlmAnswerer
from qa.textrepair import normalise_for_match
from qa.tokens import count_tokens

from conftest import CORPUS_DIR
from fake_llm import app as fake_llm_app
from fake_llm import running_server

QUESTION = "金川区2019年地区生产总值是多少？"


@pytest.fixture(scope="module")
def llm_url():
    with running_server(fake_llm_app) as url:
        yield f"{url}/v1"


def with_llm(pipeline, url: str, model: str, timeout: float = 5.0, budget: int = 3000):
    cache = pipeline.settings.cache_dir / "tiktoken"
    llm = LlmAnswerer(url, "test-key", model, timeout, budget, lambda t: count_tokens(t, cache), pipeline.retriever.coverage)
    return dataclasses.replace(pipeline, llm=llm)


def test_llm_answer_cites_passages_with_verbatim_quotes(pipeline, llm_url):
    result = with_llm(pipeline, llm_url, "fake-ok").ask(QUESTION)
    assert result.mode == "llm" and result.answerable and result.notice is None
    assert "[1]" in result.answer and [c.n for c in result.citations] == [1]
    corpus = normalise_for_match((CORPUS_DIR / "jinchuan-yearbook-2020.txt").read_text(encoding="utf-8"))
    assert normalise_for_match(result.citations[0].quote) in corpus
    assert result.citations[0].chunk_id == result.passages[0].chunk_id


def test_marker_naming_no_passage_is_removed_and_answer_falls_back(pipeline, llm_url):
    result = with_llm(pipeline, llm_url, "fake-badmarker").ask(QUESTION)
    assert result.mode == "extractive" and "[7]" not in result.answer
    assert "no valid citation" in result.notice and result.citations


@pytest.mark.parametrize(("model", "reason"), [("fake-slow", "timed out"), ("fake-500", "500"), ("fake-garbage", "")])
def test_llm_failures_fall_back_to_extractive_and_say_why(pipeline, llm_url, model, reason):
    result = with_llm(pipeline, llm_url, model, timeout=1.0).ask(QUESTION)
    assert result.mode == "extractive" and result.answerable and "262.34亿元" in result.answer
    assert result.notice.startswith("LLM 不可用") and reason in result.notice


def test_prompt_fits_its_token_budget(pipeline, llm_url):
    pipe = with_llm(pipeline, llm_url, "fake-ok", budget=400)
    hits = pipe.retriever.search(QUESTION, 5)
    messages, used = pipe.llm.prompt(QUESTION, hits)
    cache = pipeline.settings.cache_dir / "tiktoken"
    assert 0 < len(used) < len(hits)
    assert sum(count_tokens(text, cache) for _, text in messages) <= 400


def test_extractive_mode_never_calls_the_llm(pipeline, llm_url):
    result = with_llm(pipeline, llm_url, "fake-500").ask(QUESTION, mode="extractive")
    assert result.mode == "extractive" and result.notice is None


def test_llm_mode_without_a_configured_llm_says_so(pipeline):
    result = pipeline.ask(QUESTION, mode="llm")
    assert result.mode == "extractive" and "No LLM" in result.notice


def _events(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_streaming_sends_tokens_then_citations_over_sse(pipeline, llm_url):
    with TestClient(create_app(pipeline=with_llm(pipeline, llm_url, "fake-ok"))) as client:
        response = client.post("/api/ask", json={"question": QUESTION, "stream": True, "mode": "llm"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = _events(response.text)
    names = [name for name, _ in events]
    assert names[0] == "token" and names[-2:] == ["answer", "done"] and names.count("token") > 2
    streamed = "".join(data["text"] for name, data in events if name == "token")
    final = events[-2][1]
    assert final["mode"] == "llm" and final["answer"] == streamed.strip() and final["citations"]


def test_streaming_failure_still_ends_with_an_extractive_answer(pipeline, llm_url):
    with TestClient(create_app(pipeline=with_llm(pipeline, llm_url, "fake-500"))) as client:
        response = client.post("/api/ask", json={"question": QUESTION, "stream": True})
    events = _events(response.text)
    final = events[-2][1]
    assert final["mode"] == "extractive" and final["notice"] and "262.34亿元" in final["answer"]
