"""A worker process for the feedback store's multi-process test; it imports only the store, so it starts fast."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from qa.feedback import FeedbackStore, NewFeedback


def insert_from_threads(path: Path, worker: int, threads: int, each: int) -> None:
    """One process's share: `threads` threads, each inserting `each` records through its own connections."""
    store = FeedbackStore(path)

    def insert(thread: int) -> None:
        for n in range(each):
            store.add(NewFeedback(question=f"进程{worker}线程{thread}第{n}条", answer="回答", verdict="wrong"))

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(insert, range(threads)))
