"""Start a real `qa serve` process over the test index (see qa.benchmark.qa_serve_process)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
import subprocess
from dataclasses import dataclass
from pathlib import Path

from qa.benchmark import qa_serve_process


@dataclass
class Served:
    url: str
    port: int
    log: Path
    process: subprocess.Popen

    def output(self) -> str:
        """What the process has written so far (stdout and stderr: uvicorn's log and the JSON request lines)."""
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def qa_serve(settings, workers: int = 1, **env: str) -> Iterator[Served]:
    """`python -m qa.cli serve` over `settings`' corpus and index, with extra QA_* variables."""
    environment = {**os.environ, "QA_CORPUS_DIR": str(settings.corpus_dir), "QA_PARSED_DIR": str(settings.parsed_dir),
                   "QA_INDEX_DIR": str(settings.index_dir), "QA_INDEX_NAME": settings.index_name, **env}
    log = Path(tempfile.mkstemp(prefix="qa-serve-", suffix=".log")[1])
    with qa_serve_process(workers, environment, log) as (url, process):
        yield Served(url, int(url.rsplit(":", 1)[1]), log, process)
