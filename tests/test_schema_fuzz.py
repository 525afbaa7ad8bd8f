"""schemathesis over /openapi.json against a real `qa serve`: no 5xx, and every response as published.

Bounded (a fixed seed and example count) so that it fits the suite; run it longer by hand with
`schemathesis run http://127.0.0.1:8000/openapi.json --max-examples 500`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from served import qa_serve

pytestmark = pytest.mark.slow


def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(index_settings, built_index, tmp_path):
    executable = shutil.which("schemathesis") or str(Path(sys.executable).with_name("schemathesis"))
    with qa_serve(index_settings, QA_RATE_LIMIT="") as server:
        run = subprocess.run(
            [executable, "run", f"{server.url}/openapi.json", "--checks", "all", "--max-examples", "25",
             "--seed", "20261202", "--generation-deterministic", "--request-timeout", "30",
             "--suppress-health-check", "all", "--report-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
