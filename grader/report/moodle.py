"""Moodle grade import CSV, keyed by an identifier Moodle maps to a user (email address, ID number, username).

Moodle's download names a student only by full name and a per-assignment participant id, neither of which
its grade import accepts, so a roster exported from Moodle (participants list, grades export or the offline
grading worksheet) supplies the identifier. Matching is by participant id when the roster has Moodle's
`Identifier` column (`Participant 123`), else by full name; a name that fits several roster rows is not
guessed. Every student who cannot be written is returned with the reason.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.atomic import atomic_write_text
from grader.batch.rows import Row, format_score
from grader.errors import GraderError
from grader.report.document import feedback_pieces, html
from grader.report.text import csv_cell, csv_text
from grader.report.words import Glossary
from grader.results import SubmissionResult

IDENTIFIER_COLUMNS = ("Email address", "ID number", "Username")
_ALIASES = {"email": "email address", "surname": "last name", "idnumber": "id number", "fullname": "full name"}


@dataclass(frozen=True)
class Roster:
    """A Moodle export reduced to what matching needs; `rows` are dicts keyed by lower-case column name."""

    columns: dict[str, str]  # lower-case name -> name as written in the file
    rows: list[dict[str, str]]


def _column_key(name: str) -> str:
    key = " ".join(name.strip().lower().split())
    return _ALIASES.get(key, key)


def _name_key(name: str) -> str:
    """Names compare on letters and digits only: Moodle's folder names drop or change punctuation."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", name).casefold() if ch.isalnum())


def read_roster(path: Path) -> Roster:
    """Read a Moodle roster CSV (comma, semicolon or tab separated)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise GraderError(f"cannot read the Moodle roster {path}: {err}") from err
    first = text.splitlines()[0] if text else ""
    delimiter = max(",;\t", key=first.count)
    table = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not table:
        raise GraderError(f"the Moodle roster {path} is empty")
    keys = [_column_key(h) for h in table[0]]
    rows = [{k: v.strip() for k, v in zip(keys, line, strict=False)} for line in table[1:] if any(line)]
    return Roster(columns={k: h.strip() for k, h in zip(keys, table[0], strict=True)}, rows=rows)


def _participant(value: str) -> str | None:
    m = re.search(r"(\d+)\s*$", value)
    return m.group(1) if m else None


def _full_names(entry: dict[str, str]) -> set[str]:
    first, last = entry.get("first name", ""), entry.get("last name", "")
    names = {entry.get("full name", ""), f"{first} {last}", f"{last} {first}"}
    return {key for key in map(_name_key, names) if key}


def feedback_comment(result: SubmissionResult, glossary: Glossary | None = None) -> str:
    """The feedback file's text (without its title) as HTML, which is how Moodle shows feedback comments:
    every text escaped, so nothing a student wrote renders."""
    return html(feedback_pieces(result, glossary or Glossary()))


def write_moodle(rows: Sequence[Row], path: Path, *, roster: Path, identifier: str | None = None,
                 glossary: Glossary | None = None) -> list[str]:
    """Write a Moodle grade import CSV (`<identifier>, Grade, Feedback comments`); return who was left out.

    `identifier` names the roster column to key by; by default the first of Email address, ID number and
    Username that the roster has. Rows the grader could not grade are left out (a blank grade could clear one
    entered by hand) and reported.
    """
    table = read_roster(roster)
    wanted = [identifier] if identifier else list(IDENTIFIER_COLUMNS)
    id_key = next((_column_key(c) for c in wanted if _column_key(c) in table.columns), None)
    if id_key is None:
        raise GraderError(f"the Moodle roster {roster} has no {' / '.join(wanted)} column")
    by_participant: dict[str, list[int]] = {}
    by_name: dict[str, list[int]] = {}
    for i, entry in enumerate(table.rows):
        pid = _participant(entry.get("identifier", ""))
        if pid:
            by_participant.setdefault(pid, []).append(i)
        for name in _full_names(entry):
            by_name.setdefault(name, []).append(i)

    left_out: list[str] = []
    used: dict[int, str] = {}
    body: list[list[str]] = []
    for row in rows:
        identity = row.identity
        if row.result is None:
            left_out.append(f"{row.key}: not graded ({row.error})")
            continue
        candidates: list[int] = []
        if identity is not None and identity.lms == "moodle" and identity.user_id:
            candidates = by_participant.get(identity.user_id, [])
        if not candidates and row.display_name:
            candidates = sorted(set(by_name.get(_name_key(row.display_name), [])))
        if not candidates:
            left_out.append(f"{row.key}: not in the roster")
            continue
        if len(candidates) > 1:
            left_out.append(f"{row.key}: matches {len(candidates)} roster rows; not guessing")
            continue
        index = candidates[0]
        value = table.rows[index].get(id_key, "")
        if not value:
            left_out.append(f"{row.key}: roster row has no {table.columns[id_key]}")
            continue
        if index in used:
            left_out.append(f"{row.key}: same roster row as {used[index]}")
            continue
        used[index] = row.key
        body.append([value, format_score(row.result.score), csv_cell(feedback_comment(row.result, glossary))])
    atomic_write_text(path, csv_text([table.columns[id_key], "Grade", "Feedback comments"], body))
    return left_out
