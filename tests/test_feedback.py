"""Citizen feedback over real HTTP against a real `qa serve` process, restarted once; the store alone
from several processes at once, as `qa serve --workers N` will run it.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import sqlite3
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from qa.api.app import create_app
from qa.cli import app as cli_app
from qa.config import get_settings
from qa.evaluation.dataset import DatasetError, EvalRecord, load_dataset
from qa.evaluation.from_feedback import FeedbackEvalRecord
from qa.feedback import FEEDBACK_FILE, SCHEMA_VERSION, FeedbackStore, FeedbackStoreError, NewFeedback

from served import qa_serve
from feedback_writer import insert_from_threads
from fake_llm import running_server

TOKEN = "s3cret-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Server:
    """One `qa serve` process with an admin token over a data folder that outlives it."""

    def __init__(self, settings, data_dir: Path) -> None:
        self.settings, self.data_dir = settings, data_dir
        self.running: ExitStack | None = None
        self.url = ""

    def start(self) -> None:
        self.running = ExitStack()
        self.url = self.running.enter_context(
            qa_serve(self.settings, QA_DATA_DIR=str(self.data_dir), QA_ADMIN_TOKEN=TOKEN,
                     QA_MAX_CONCURRENT_REQUESTS="1000")).url  # 1,000 posts at once: none may meet the 503 cap

    def stop(self) -> None:
        self.running.close()

    def restart(self) -> None:
        self.stop()
        self.start()

    def total(self) -> int:
        response = httpx.get(f"{self.url}/api/admin/feedback", params={"limit": 1}, headers=AUTH, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()["total"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("feedback-data")


@pytest.fixture(scope="module")
def server(index_settings, built_index, data_dir):
    running = Server(index_settings, data_dir)
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def answered(server) -> dict:
    """A real answer from the service, as the page would show it."""
    response = httpx.post(f"{server.url}/api/ask", json={"question": "金川区去年GDP多少？"}, timeout=30)
    assert response.status_code == 200
    return response.json()


@pytest.mark.slow
def test_feedback_is_stored_with_utc_time_and_the_serving_index(server, answered, data_dir):
    chunk_ids = [citation["chunk_id"] for citation in answered["citations"]]
    assert chunk_ids
    posted = {"question": answered["question"], "answer": answered["answer"], "verdict": "wrong",
              "comment": "数字好像不对", "chunk_ids": chunk_ids}
    response = httpx.post(f"{server.url}/api/feedback", json=posted, timeout=30)
    assert response.status_code == 201, response.text
    created = response.json()

    listing = httpx.get(f"{server.url}/api/admin/feedback", headers=AUTH, timeout=30).json()
    stored = next(item for item in listing["items"] if item["id"] == created["id"])
    assert {key: stored[key] for key in posted} == posted
    built_at = httpx.get(f"{server.url}/api/health", timeout=30).json()["index"]["built_at"]
    assert stored["index_built_at"] == built_at
    assert stored["yearbook"] == "jinchuan-2020" and stored["category"] == answered["citations"][0]["section_path"][0]
    moment = datetime.fromisoformat(stored["created_at"])
    assert moment.utcoffset().total_seconds() == 0 and abs((datetime.now(UTC) - moment).total_seconds()) < 600

    with sqlite3.connect(data_dir / FEEDBACK_FILE) as connection:  # the file itself: WAL, versioned, the row
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        row = connection.execute("SELECT question, verdict, chunk_ids FROM feedback WHERE id = ?",
                                 (created["id"],)).fetchone()
    assert row == (answered["question"], "wrong", json.dumps(chunk_ids, ensure_ascii=False))


GOOD = {"question": "区委书记是谁？", "answer": "区委书记是某某。[1]", "verdict": "correct"}


@pytest.mark.slow
@pytest.mark.parametrize(("body", "needle"), [
    (json.dumps({**GOOD, "verdict": "meh"}), "verdict"),
    (json.dumps({**GOOD, "verdict": None}), "verdict"),
    (json.dumps({key: value for key, value in GOOD.items() if key != "verdict"}), "缺少必填字段"),
    (json.dumps({**GOOD, "question": "问" * 501}), "500"),
    (json.dumps({**GOOD, "question": " "}), "不能为空"),
    (json.dumps({**GOOD, "answer": ""}), "answer"),
    (json.dumps({**GOOD, "answer": "答" * 4001}), "4000"),
    (json.dumps({**GOOD, "comment": "评" * 1001}), "1000"),
    (json.dumps({**GOOD, "chunk_ids": ["x"] * 21}), "20"),
    (json.dumps({**GOOD, "chunk_ids": ["x" * 201]}), "200"),
    (json.dumps({**GOOD, "chunk_ids": ["jinchuan-2020:000000000000#1"]}), "没有这些段落"),
    (json.dumps({**GOOD, "chunk_ids": "jinchuan-2020:000000000000#1"}), "类型"),
    (json.dumps({**GOOD, "rating": 5}), "不认识的字段"),
    ('{"question": "\\udc80金川", "answer": "a", "verdict": "wrong"}', "Unicode"),  # a lone surrogate, as JSON escapes it
    ('{"question": "金川", "answer": "a\\ud800", "verdict": "wrong"}', "Unicode"),
    ('{"question": "金川", "answer": "a", "verdict": "wrong", "comment": "\\udfff"}', "Unicode"),
    ('{"question": "金川", "answer": "a", "verdict": "wrong", "chunk_ids": ["\\udc80"]}', "Unicode"),
    ('{"question": "金川", "answer": "a", "verdict": "wr', "JSON"),
])
def test_bad_feedback_gets_a_4xx_in_both_languages_and_stores_nothing(server, body, needle):
    before = server.total()
    response = httpx.post(f"{server.url}/api/feedback", content=body.encode(),
                          headers={"content-type": "application/json"}, timeout=30)
    assert response.status_code == (409 if needle == "没有这些段落" else 422), response.text  # 409: not in this index
    error = response.json()["error"]
    assert needle in error["message_zh"] + error["message_en"] and error["message_zh"] and error["message_en"]
    assert server.total() == before


@pytest.mark.slow
def test_a_huge_body_is_refused_before_it_is_read(server):
    response = httpx.post(f"{server.url}/api/feedback", json={**GOOD, "comment": "评" * 100_000}, timeout=30)
    assert response.status_code == 413


async def _post_all(url: str, count: int) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=300) as client:
        return await asyncio.gather(*[
            client.post(f"{url}/api/feedback",
                        json={"question": f"并发测试问题 {n}", "answer": f"回答 {n}", "verdict": "unclear"})
            for n in range(count)
        ])


@pytest.mark.slow
def test_a_thousand_concurrent_posts_are_all_stored_and_survive_a_restart(server):
    before = server.total()
    responses = asyncio.run(_post_all(server.url, 1000))
    assert [r.status_code for r in responses] == [201] * 1000
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 1000 and server.total() == before + 1000

    server.restart()
    assert server.total() == before + 1000
    url = f"{server.url}/api/admin/feedback"
    newest = httpx.get(url, params={"limit": 500, "verdict": "unclear"}, headers=AUTH, timeout=30).json()["items"]
    assert [item["id"] for item in newest] == sorted(ids, reverse=True)[:500]  # newest first
    rest = httpx.get(url, params={"limit": 500, "offset": 500, "verdict": "unclear"}, headers=AUTH, timeout=30).json()["items"]
    assert {item["id"] for item in newest + rest} == ids
    assert {item["question"] for item in newest + rest} == {f"并发测试问题 {n}" for n in range(1000)}


def test_the_store_keeps_every_write_from_several_processes_and_threads(tmp_path):
    path = tmp_path / FEEDBACK_FILE  # a fresh file: the processes also race to create the schema
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=insert_from_threads, args=(path, worker, 2, 50)) for worker in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert [worker.exitcode for worker in workers] == [0] * 4
    store = FeedbackStore(path)
    questions = [record.question for record in store.newest(1000)]
    assert store.count() == len(set(questions)) == 400


def test_admin_routes_are_404_without_a_configured_token(index_settings, pipeline, tmp_path):
    settings = index_settings.model_copy(update={"data_dir": tmp_path, "admin_token": None})
    with running_server(create_app(settings, pipeline)) as url:
        for headers in ({}, AUTH):
            response = httpx.get(f"{url}/api/admin/feedback", headers=headers, timeout=30)
            assert response.status_code == 404 and response.json()["error"]["message_en"]
    assert not any(tmp_path.iterdir())  # nothing was created


@pytest.mark.slow
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                                     {"Authorization": TOKEN}, {"Authorization": f"Bearer {TOKEN}x"}])
def test_admin_routes_need_the_bearer_token(server, headers):
    response = httpx.get(f"{server.url}/api/admin/feedback", headers=headers, timeout=30)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error"]["message_zh"]


@pytest.mark.slow
def test_admin_listing_pages_and_refuses_bad_paging(server):
    url = f"{server.url}/api/admin/feedback"
    page = httpx.get(url, params={"limit": 2, "offset": 1}, headers=AUTH, timeout=30)
    assert page.status_code == 200
    body = page.json()
    assert body["limit"] == 2 and body["offset"] == 1 and len(body["items"]) == 2
    assert body["items"][0]["id"] > body["items"][1]["id"]
    for params in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"verdict": "meh"}):
        assert httpx.get(url, params=params, headers=AUTH, timeout=30).status_code == 422


@pytest.mark.slow
def test_export_writes_eval_shaped_jsonl_for_an_evaluator_to_fill(server, answered, data_dir, tmp_path, monkeypatch):
    for verdict in ("wrong", "correct"):
        posted = {"question": answered["question"], "answer": answered["answer"], "verdict": verdict,
                  "chunk_ids": [c["chunk_id"] for c in answered["citations"]]}
        assert httpx.post(f"{server.url}/api/feedback", json=posted, timeout=30).status_code == 201
    monkeypatch.setenv("QA_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    out = tmp_path / "wrong.jsonl"
    try:
        result = CliRunner().invoke(cli_app, ["feedback", "export", "--format", "jsonl", "--out", str(out),
                                              "--verdict", "wrong"])
        everything = CliRunner().invoke(cli_app, ["feedback", "export"])
        bad = CliRunner().invoke(cli_app, ["feedback", "export", "--format", "xml"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    store = FeedbackStore(data_dir / FEEDBACK_FILE)
    assert len(rows) == store.count("wrong") >= 2
    assert len(everything.output.splitlines()) == store.count()
    assert bad.exit_code == 2 and "--format" in bad.output
    for row in rows:
        assert set(EvalRecord.model_fields) <= set(row)
        FeedbackEvalRecord.model_validate(row)
        assert row["feedback"]["verdict"] == "wrong" and row["answer"] == "" and row["evidence"] == ""
        assert row["type"] is None and row["answerable"] is None and row["split"] is None
    last = rows[-1]
    assert last["question"] == answered["question"] and last["feedback"]["shown_answer"] == answered["answer"]
    assert last["feedback"]["chunk_ids"] == [c["chunk_id"] for c in answered["citations"]]
    assert last["feedback"]["index_built_at"] and last["feedback"]["created_at"] and last["yearbook"] == "jinchuan-2020"

    with pytest.raises(DatasetError):  # not scorable until an evaluator fills the gold fields
        load_dataset(out)
    filled = tmp_path / "filled.jsonl"
    filled.write_text("".join(json.dumps({**row, "type": "number", "answerable": True, "split": "dev"},
                                         ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    assert [r.question for r in load_dataset(filled, "dev")] == [row["question"] for row in rows]


def test_export_without_any_feedback_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "empty"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli_app, ["feedback", "export"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2 and "no feedback" in result.output
    assert not (tmp_path / "empty").exists()


def test_a_file_from_a_newer_release_is_refused(tmp_path):
    path = tmp_path / FEEDBACK_FILE
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(FeedbackStoreError, match="newer"):
        FeedbackStore(path).add(NewFeedback(question="q", answer="a", verdict="wrong"))
