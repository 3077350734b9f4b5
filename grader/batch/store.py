"""Results written as each submission finishes, so a killed batch loses nothing.

An SQLite file in the output folder holds one committed row per graded submission,
keyed by the submission's content hash, the spec's hash, the grader's version and the language:
running the same command again skips what is already there and regrades nothing.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path

from grader import __version__, strict_json
from grader.results import SubmissionResult

SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    key TEXT PRIMARY KEY,
    student TEXT NOT NULL,
    path TEXT NOT NULL,
    result TEXT NOT NULL,
    graded_at REAL NOT NULL
)
"""


def content_key(path: Path, spec_digest: str, lang: str = "en") -> str:
    """What a result depends on: the file's bytes, the spec, the grader's version and the feedback's language."""
    digest = hashlib.sha256()
    try:
        digest.update(path.read_bytes())
    except OSError as error:
        digest.update(f"unreadable:{path}:{error.errno}".encode())
    digest.update(spec_digest.encode())
    digest.update(__version__.encode())
    digest.update(f"lang:{lang}".encode())
    return digest.hexdigest()


class ResultStore:
    """Append-only store of finished results; every row is committed on its own."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(SCHEMA)
        self._db.commit()

    def get(self, key: str) -> SubmissionResult | None:
        row = self._db.execute("SELECT result FROM results WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            return SubmissionResult.from_json(json.loads(row[0]))
        except (ValueError, KeyError, TypeError):
            return None  # a row this version cannot read is graded again

    def put(self, key: str, student: str, path: Path, result: SubmissionResult) -> None:
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?)",
                             (key, student, str(path), strict_json.dumps(result.to_json(), ensure_ascii=False),
                              time.time()))

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM results").fetchone()[0])

    def close(self) -> None:
        self._db.close()
