"""grades.csv: the class's grades in one spreadsheet, one row per student, for the teacher's own records.

Columns are fixed by the assignment's parts, not by which rows happened to succeed, so that files from
different runs line up and a row with an error still has every column (blank where nothing is known).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from grader.atomic import atomic_write_text
from grader.batch.rows import Row, format_score, part_names
from grader.report.text import csv_cell, csv_text

FIXED_COLUMNS = ("student_key", "display_name", "user_id", "score", "max_score")


def grades_header(parts: Sequence[str]) -> list[str]:
    """The header: fixed columns, one per part (renamed `part:<name>` only if it clashes), then `error`."""
    reserved = {*FIXED_COLUMNS, "error"}
    return [*FIXED_COLUMNS, *(f"part:{p}" if p in reserved else p for p in parts), "error"]


def write_grades_csv(rows: Sequence[Row], path: Path, *, parts: Sequence[str] | None = None) -> None:
    """Write grades.csv. Pass the spec's `parts` to fix the columns even if every submission failed.

    A row the grader could not grade has blank scores (not 0) and its error; free text is made safe for
    spreadsheets.
    """
    names = list(parts) if parts is not None else part_names(rows)
    body = []
    for row in rows:
        identity = row.identity
        cells = [csv_cell(row.key), csv_cell(row.display_name or ""), (identity.user_id or "") if identity else ""]
        if row.result is not None:
            by_name = {p.name: p.score for p in row.result.parts}
            cells += [format_score(row.result.score), format_score(row.result.max_score)]
            cells += [format_score(by_name.get(name)) for name in names]
        else:
            cells += ["", ""] + [""] * len(names)
        cells.append(csv_cell(" ".join((row.problem or "").split())))
        body.append(cells)
    atomic_write_text(path, csv_text(grades_header(names), body))
