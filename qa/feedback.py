"""Citizen feedback on answers: a SQLite store that owns its schema, its inserts and its reads.

Why SQLite in WAL mode, one connection per call: the API runs sync endpoints in a thread pool and
may run as several worker processes over one file. WAL lets readers work while one writer commits;
`busy_timeout` makes a writer wait for the lock instead of failing, so concurrent posts queue
rather than get lost. A connection is never shared between threads, and opening one costs far
less than the request around it. `synchronous=FULL` makes each acknowledged insert durable.
Each insert is one transaction, so a record is stored whole or not at all.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

FEEDBACK_FILE = "feedback.sqlite3"
Verdict = Literal["correct", "wrong", "unclear"]
BUSY_TIMEOUT_S = 30.0

# Schema version n is reached by running the statements of MIGRATIONS[n - 1]; `PRAGMA user_version`
# records the version a file is at, so a newer release only appends here and older files are brought forward.
MIGRATIONS: list[tuple[str, ...]] = [
    (
        """CREATE TABLE feedback (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at TEXT NOT NULL,
        question TEXT NOT NULL,
        answer TEXT NOT NULL,
        verdict TEXT NOT NULL CHECK (verdict IN ('correct', 'wrong', 'unclear')),
        comment TEXT NOT NULL DEFAULT '',
        chunk_ids TEXT NOT NULL DEFAULT '[]',
        yearbook TEXT,
        category TEXT,
        index_built_at TEXT
        )""",
        "CREATE INDEX feedback_verdict ON feedback (verdict, id)",
    ),
]
SCHEMA_VERSION = len(MIGRATIONS)


class FeedbackStoreError(Exception):
    """The feedback file is missing or from a newer release; the message says which."""


class NewFeedback(BaseModel):
    """What a citizen sent, plus what the service knew when it was sent."""

    question: str
    answer: str
    verdict: Verdict
    comment: str = ""
    chunk_ids: list[str] = []
    yearbook: str | None = None  # of the first cited passage: a hint for whoever turns this into an eval question
    category: str | None = None
    index_built_at: str | None = None  # which index gave the answer


class FeedbackRecord(NewFeedback):
    """One stored piece of feedback."""

    id: int
    created_at: str  # UTC, ISO 8601


_COLUMNS = ("id", "created_at", "question", "answer", "verdict", "comment", "chunk_ids", "yearbook", "category",
            "index_built_at")


class FeedbackStore:
    """The feedback file at `path`; safe to share between threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """A fresh connection in autocommit mode (each statement its own transaction), closed afterwards."""
        self._ensure_schema()
        with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)) as connection:
            connection.execute("PRAGMA synchronous=FULL")
            yield connection

    def _ensure_schema(self) -> None:
        """Create the file, switch it to WAL and migrate it to SCHEMA_VERSION, once per process."""
        with self._schema_lock:
            if self._schema_ready:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)) as connection:
                connection.execute("PRAGMA journal_mode=WAL")  # persistent: stored in the file
                connection.execute("BEGIN IMMEDIATE")  # another process migrating waits here, then sees its work
                try:
                    version = connection.execute("PRAGMA user_version").fetchone()[0]
                    if version > SCHEMA_VERSION:
                        raise FeedbackStoreError(
                            f"{self.path}: schema version {version} is newer than this release's {SCHEMA_VERSION}")
                    for statements in MIGRATIONS[version:]:
                        for statement in statements:
                            connection.execute(statement)
                    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                    connection.execute("COMMIT")
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
            self._schema_ready = True

    def add(self, feedback: NewFeedback) -> FeedbackRecord:
        """Store one piece of feedback in its own transaction; returns it with its id and UTC time."""
        created_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        with self._connection() as connection:
            cursor = connection.execute(
                "INSERT INTO feedback (created_at, question, answer, verdict, comment, chunk_ids, yearbook, category,"
                " index_built_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (created_at, feedback.question, feedback.answer, feedback.verdict, feedback.comment,
                 json.dumps(feedback.chunk_ids, ensure_ascii=False), feedback.yearbook, feedback.category,
                 feedback.index_built_at),
            )
            return FeedbackRecord(id=cursor.lastrowid, created_at=created_at, **feedback.model_dump())

    def count(self, verdict: Verdict | None = None) -> int:
        """How many records there are (of one verdict)."""
        with self._connection() as connection:
            where, params = _verdict_filter(verdict)
            return connection.execute(f"SELECT COUNT(*) FROM feedback{where}", params).fetchone()[0]

    def newest(self, limit: int, offset: int = 0, verdict: Verdict | None = None) -> list[FeedbackRecord]:
        """One page of records, newest first."""
        with self._connection() as connection:
            where, params = _verdict_filter(verdict)
            rows = connection.execute(f"SELECT {', '.join(_COLUMNS)} FROM feedback{where} ORDER BY id DESC"
                                      " LIMIT ? OFFSET ?", (*params, limit, offset)).fetchall()
        return [_record(row) for row in rows]

    def oldest_first(self, verdict: Verdict | None = None) -> Iterator[FeedbackRecord]:
        """Every record in the order it arrived, for export; a missing file is an error, not created."""
        if not self.path.is_file():
            raise FeedbackStoreError(f"{self.path}: no feedback has been stored yet")
        with self._connection() as connection:
            where, params = _verdict_filter(verdict)
            for row in connection.execute(f"SELECT {', '.join(_COLUMNS)} FROM feedback{where} ORDER BY id", params):
                yield _record(row)


def _verdict_filter(verdict: Verdict | None) -> tuple[str, tuple[str, ...]]:
    return (" WHERE verdict = ?", (verdict,)) if verdict else ("", ())


def _record(row: tuple) -> FeedbackRecord:
    values = dict(zip(_COLUMNS, row))
    values["chunk_ids"] = json.loads(values["chunk_ids"])
    return FeedbackRecord.model_validate(values)
