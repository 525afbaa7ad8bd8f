"""Swapping in the index that `qa index build` last completed, without a failed request.

The new pipeline is loaded beside the old one (in a thread, so the worker keeps answering) and
then replaces it in one assignment: a request already running finishes on the pipeline it
started with, the next one gets the new. The old index's memory-mapped files stay valid after the
build has swapped folders (see qa.atomic.building_dir), so nothing breaks in between.

Triggers: SIGHUP to a single-process `qa serve`, and `POST /api/admin/reload`. With several
workers uvicorn's supervisor owns SIGHUP and replaces the workers one by one; the admin route then
reloads its own worker and asks the supervisor to replace the others.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading

from fastapi import FastAPI

from qa.api.observability import record_index
from qa.config import Settings
from qa.pipeline import Pipeline

log = logging.getLogger(__name__)


async def reload_pipeline(app: FastAPI, settings: Settings) -> dict:
    """Load the current index and swap it in; returns its manifest. One reload at a time."""
    async with app.state.reload_lock:
        pipeline = await asyncio.to_thread(Pipeline.load, settings)
        app.state.pipeline = pipeline
        app.openapi_schema = None  # its filter enums name the new index's books and categories
    record_index(pipeline.index.manifest)
    log.info("reloaded index built at %s", pipeline.index.manifest["built_at"])
    return pipeline.index.manifest


def reload_other_workers() -> bool:
    """Under uvicorn's supervisor, ask it (SIGHUP) to replace every worker; False when there is none."""
    if multiprocessing.parent_process() is None:
        return False
    os.kill(os.getppid(), signal.SIGHUP)
    return True


def reload_on_sighup(app: FastAPI, settings: Settings) -> None:
    """In a process that owns its signals (the main thread of a single-process server), SIGHUP reloads."""
    if threading.current_thread() is not threading.main_thread():
        return
    loop = asyncio.get_running_loop()

    def reload_later() -> None:
        task = loop.create_task(reload_pipeline(app, settings))
        task.add_done_callback(lambda done: done.exception() and log.error("reload failed: %s", done.exception()))

    loop.add_signal_handler(signal.SIGHUP, reload_later)
