"""Swapping in a rebuilt index while a real `qa serve` answers, with zero failed requests."""

from __future__ import annotations

import json
import shutil
import signal
import threading
import time

import httpx
import pytest

from qa.atomic import building_dir
from served import qa_serve

pytestmark = pytest.mark.slow


def copy_index(settings, tmp_path):
    """The session's index copied into a folder of this test's own, and settings pointing at it."""
    copied = settings.model_copy(update={"index_dir": tmp_path / "index"})
    shutil.copytree(settings.index_path(), copied.index_path())
    return copied


def complete_a_rebuild(settings, built_at: str) -> None:
    """What `qa index build` does at its end: a new folder swapped in by the real swap code."""
    with building_dir(settings.index_path()) as staging:
        shutil.copytree(settings.index_path(), staging, dirs_exist_ok=True)
        manifest = json.loads((staging / "manifest.json").read_text(encoding="utf-8"))
        manifest["built_at"] = built_at
        (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


class Load:
    """Clients asking without pause in threads, counting every answer that is not a 200."""

    def __init__(self, url: str, clients: int = 3) -> None:
        self.url, self.answered, self.failed = url, 0, []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.client) for _ in range(clients)]

    def client(self) -> None:
        with httpx.Client(base_url=self.url, timeout=60) as session:
            while not self.stop.is_set():
                try:
                    response = session.post("/api/ask", json={"question": "2019年粮食总产量是多少？"})
                    self.answered += 1
                    if response.status_code != 200:
                        self.failed.append(response.status_code)
                except httpx.HTTPError as exc:
                    self.failed.append(repr(exc))

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()


def wait_for_built_at(url: str, built_at: str, patience: float = 180) -> None:
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        if httpx.get(f"{url}/api/health", timeout=30).json()["index"]["built_at"] == built_at:
            return
        time.sleep(0.2)
    pytest.fail(f"the service never served the index built at {built_at}")


def test_sighup_swaps_in_the_rebuilt_index_under_load(index_settings, built_index, tmp_path):
    settings = copy_index(index_settings, tmp_path)
    with qa_serve(settings) as server, Load(server.url) as load:
        time.sleep(1)
        complete_a_rebuild(settings, "2030-01-01T00:00:00+00:00")
        server.process.send_signal(signal.SIGHUP)
        wait_for_built_at(server.url, "2030-01-01T00:00:00+00:00")
        time.sleep(1)
    assert load.answered > 0 and load.failed == []


def test_admin_reload_swaps_every_worker_under_load(index_settings, built_index, tmp_path):
    settings = copy_index(index_settings, tmp_path)
    token = {"Authorization": "Bearer reload-token"}
    with qa_serve(settings, workers=2, QA_ADMIN_TOKEN="reload-token") as server, Load(server.url) as load:
        assert httpx.post(f"{server.url}/api/admin/reload", timeout=60).status_code == 401
        complete_a_rebuild(settings, "2031-01-01T00:00:00+00:00")
        answer = httpx.post(f"{server.url}/api/admin/reload", headers=token, timeout=300)
        assert answer.status_code == 200 and answer.json()["index"]["built_at"] == "2031-01-01T00:00:00+00:00"
        deadline = time.monotonic() + 300  # the supervisor replaces the other worker one at a time
        while time.monotonic() < deadline:
            seen = {httpx.get(f"{server.url}/api/health", timeout=30).json()["index"]["built_at"] for _ in range(8)}
            if seen == {"2031-01-01T00:00:00+00:00"}:
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"workers still serve {seen}")
    assert load.answered > 0 and load.failed == []
