"""The real app in process (TestClient) and one real `qa serve` process over HTTP."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from fastapi.testclient import TestClient

from qa.api.app import create_app
from qa.textrepair import normalise_for_match

from conftest import CORPUS_DIR, ROOT, QaServe


@pytest.fixture(scope="module")
def client(pipeline):
    with TestClient(create_app(pipeline=pipeline)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def corpus_text() -> str:
    return normalise_for_match((CORPUS_DIR / "jinchuan-yearbook-2020.txt").read_text(encoding="utf-8"))


def test_ask_answers_with_verbatim_cited_quotes(client, corpus_text):
    response = client.post("/api/ask", json={"question": "金川区去年GDP多少？"})
    assert response.status_code == 200
    body = response.json()
    assert body["answerable"] is True and body["mode"] == "extractive"
    assert "262.34亿元" in body["answer"] and body["short_answer"] in ("262.34亿元", None)  # right or absent
    assert re.search(r"\[1\]", body["answer"]) and len(body["answer"]) <= 300
    assert body["citations"] and body["passages"]
    for citation in body["citations"]:
        assert normalise_for_match(citation["quote"]) in corpus_text
        assert citation["section_path"] and citation["yearbook"] == "jinchuan-2020"
        assert f"[{citation['n']}]" in body["answer"]
    assert set(body["timings_ms"]) >= {"retrieve", "answer", "total"}


def test_citation_page_is_the_page_its_quote_is_printed_on(client, pipeline):
    body = client.post("/api/ask", json={"question": "金川区地理坐标东经多少度？"}).json()
    citation = body["citations"][0]
    record = pipeline.index.records[citation["record_id"]]
    offset = record.text.find(citation["quote"])
    assert offset >= 0 and citation["page"] == record.page_at(offset)


def test_question_about_an_uncovered_year_is_refused(client):
    body = client.post("/api/ask", json={"question": "2023年金川区地区生产总值是多少？"}).json()
    assert body["answerable"] is False
    assert body["answer"].startswith("年鉴中未找到") and "2023" in body["answer"]
    assert body["citations"] == [] and body["passages"]  # the nearest passages are still listed


@pytest.mark.parametrize("number", ["金区政办发〔2019〕165号", "金区政办发[2019]165号", "金区政办发（2019）165号"])
def test_a_quoted_document_number_finds_its_document(client, number):
    body = client.post("/api/ask", json={"question": f"{number}文件是什么？"}).json()
    assert body["answerable"] is True
    assert "金川区加快推进农业供给侧结构性改革大力发展粮食产业经济实施方案" in body["answer"]
    assert body["citations"][0]["section_path"][1].startswith("金川区加快推进农业供给侧")


def test_an_office_held_by_several_is_answered_with_all_its_holders(client):
    body = client.post("/api/ask", json={"question": "区人大常委会的副主任有哪几位？"}).json()
    assert body["answerable"] is True
    assert all(name in body["answer"] for name in ("李发财", "张生学", "赵乾德", "银俊英"))
    assert "王永玲" not in body["answer"]  # the 委员 below are another office


def test_a_price_per_measure_is_answered_only_by_a_rate(client):
    rate = client.post("/api/ask", json={"question": "金川区地表水每立方米多少钱？"}).json()
    assert rate["answerable"] is True and "0.15元/立方米" in rate["answer"].replace(" ", "")
    assert rate["short_answer"] in ("0.15元/立方米", None)
    # the book gives the public-housing project's cost and floor area, but no rent per square metre
    rent = client.post("/api/ask", json={"question": "金川区公租房每平方米每月租金多少钱？"}).json()
    assert rent["answerable"] is False


def test_a_figure_stated_for_another_year_does_not_answer(client):
    body = client.post("/api/ask", json={"question": "2020年金川区全年地区生产总值实际完成多少？"}).json()
    assert body["answerable"] is False  # the book states 2019's, and 2020's only as a target


def test_a_chronicle_answer_reads_with_its_month_and_quotes_verbatim(client):
    body = client.post("/api/ask", json={"question": "区委印发关于撤销社区党工委、成立社区党委的通知是哪天？"}).json()
    assert body["short_answer"] in ("8月8日", None)
    assert body["answer"].startswith("8月8日区委印发")  # 大事记 prints the month as a heading
    assert body["citations"][0]["quote"].startswith("8日区委印发")


def test_a_price_per_item_needs_a_rate(client):
    # the book gives the museum's ticket income, not the price of one ticket
    ticket = client.post("/api/ask", json={"question": "金昌花文化博览馆的门票一张多少钱？"}).json()
    assert ticket["answerable"] is False


@pytest.mark.parametrize("question", ["区政务服务中心星期天上班吗？", "区图书馆周末开放吗？", "区档案馆的办公地址在哪里？"])
def test_opening_hours_and_addresses_the_book_never_gives_are_refused(client, question):
    assert client.post("/api/ask", json={"question": question}).json()["answerable"] is False


@pytest.mark.parametrize("question, holder", [
    ("区农业农村局局长是谁？", "苏子喜"),  # after "党组书记、局长": the name, not the second title
    ("2019年2月起任共青团金川区委书记的是谁？", "赵静"),  # the holder appointed in the month asked
    ("团区委书记是谁？", "赵静"),  # otherwise the one still in office, not "任至2019年2月"
])
def test_an_office_is_answered_by_the_right_holder(client, question, holder):
    body = client.post("/api/ask", json={"question": question}).json()
    assert holder in body["answer"] and body["short_answer"] in (holder, None)


def test_conflicting_figures_are_both_cited_statistics_first(client):
    body = client.post("/api/ask", json={"question": "金川区2019年地区生产总值是多少？"}).json()
    answer = body["answer"]
    assert answer.startswith("年鉴中该数值有不同记载") and len(body["citations"]) == 2
    assert 0 <= answer.find("262.34亿元") < answer.find("182.86亿元")  # the statistic, then the speech's estimate
    assert body["short_answer"] in ("262.34亿元", None)


def test_relative_year_is_resolved_against_the_year_the_book_records(pipeline):
    assert pipeline.retriever.reader.read("去年粮食产量").text.startswith("2019年")


def test_search_returns_passages_with_path_and_page(client):
    body = client.post("/api/search", json={"query": "宁远堡镇", "top_k": 3,
                                            "filters": {"category": "乡镇街道"}}).json()
    assert len(body["results"]) == 3
    assert all(r["section_path"][0] == "乡镇街道" and r["page"] for r in body["results"])


def test_section_returns_the_whole_record(client):
    body = client.post("/api/ask", json={"question": "农村饮水安全工程水费逾期交纳怎么办？"}).json()
    record_id = body["citations"][0]["record_id"]
    section = client.get(f"/api/sections/{record_id}").json()
    assert body["citations"][0]["quote"] in section["text"]
    assert section["section_path"] == body["citations"][0]["section_path"]
    missing = client.get("/api/sections/nope")
    assert missing.status_code == 404 and missing.json()["error"]["message_zh"]


def test_health_reports_the_index_manifest(client):
    body = client.get("/api/health").json()
    assert body["status"] == "ok"
    assert body["index"]["corpus"][0]["yearbook"] == "jinchuan-2020"
    assert body["index"]["embedding"]["model"] == "static-zh-words"
    assert "files" not in body["index"]


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ({"question": ""}, "不能为空"),
        ({"question": "   \n "}, "不能为空"),
        ({"question": "问" * 501}, "500"),
        ({"question": 42}, "类型"),
        ({"question": ["金川"]}, "类型"),
        ({"question": "金川区", "top_k": 0}, "1 到 20"),
        ({"question": "金川区", "top_k": 21}, "1 到 20"),
        ({"question": "金川区", "top_k": "5"}, "类型"),
        ({"question": "金川区", "mode": "magic"}, "mode"),
        ({"question": "金川区", "filters": {"category": "不存在的类目"}}, "未知的筛选值"),
        ({"question": "金川区", "filters": {"yearbook": "jinchuan-1999"}}, "未知的筛选值"),
        ({"question": "金川区", "filters": {"colour": "red"}}, "不认识的字段"),
        ({}, "缺少必填字段"),
    ],
)
def test_bad_input_gets_422_in_chinese_and_english(client, payload, needle):
    response = client.post("/api/ask", json=payload)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert needle in error["message_zh"] and error["message_en"]


def test_malformed_and_huge_bodies_are_refused(client):
    response = client.post("/api/ask", content='{"question": "金川'.encode(), headers={"content-type": "application/json"})
    assert response.status_code == 422 and "JSON" in response.json()["error"]["message_zh"]
    huge = json.dumps({"question": "金" * 100_000})
    response = client.post("/api/ask", content=huge.encode(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["error"]["message_en"]
    assert client.get("/api/ask").status_code == 405
    assert client.post("/api/search", json={"query": ""}).status_code == 422


def test_openapi_docs_are_served(client):
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert {"/api/ask", "/api/search", "/api/health", "/api/sections/{record_id}"} <= set(spec["paths"])


@pytest.mark.slow
def test_qa_serve_process_answers_over_http(index_settings, built_index):
    server = QaServe(index_settings).start()
    try:
        url = server.wait().url
        response = httpx.post(f"{url}/api/ask", json={"question": "区委书记是谁？"}, timeout=30)
        assert response.status_code == 200 and response.json()["citations"]
        bad = httpx.post(f"{url}/api/ask", json={"question": ""}, timeout=30)
        assert bad.status_code == 422
    finally:
        server.stop()


def test_readme_documents_every_setting():
    from qa.config import Settings

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [name for name in Settings.model_fields if f"QA_{name.upper()}" not in readme] == []


@pytest.mark.parametrize("body", [b"null", b"[]", b'"x"', b'{"question": null}', b'{"question": "a", "top_k": true}',
                                  b'{"question": "a", "filters": null}', b"\xff\xfe\x00", b"[" * 5000 + b"]" * 5000])
def test_hostile_bodies_get_a_4xx_with_both_languages(client, body):
    response = client.post("/api/ask", content=body, headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["message_zh"] and response.json()["error"]["message_en"]


@pytest.mark.parametrize("question", ["？？？", "a", "<script>alert(1)</script>", "\u0000\u0001", "😀😀😀", "的了吗"])
def test_odd_questions_are_refused_plainly(client, question):
    body = client.post("/api/ask", json={"question": question}).json()
    assert body["answerable"] is False and body["answer"].startswith("年鉴中未找到")
