"""Canvas gradebook import CSV, so grades go back into Canvas in one upload instead of by hand.

Canvas matches imported rows by its user ID (the `ID` column), which is the number in the bulk-download file
names. Students absent from the file keep whatever grade Canvas has, so only graded submissions are written:
a student without a submission, or whose submission the grader could not grade, is left out (and the latter
reported) rather than given a blank that could clear a grade entered by hand.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.atomic import atomic_write_text
from grader.batch.rows import Row, format_score, max_score
from grader.errors import GraderError
from grader.report.document import feedback_pieces, plain
from grader.report.text import csv_cell, csv_text
from grader.report.words import Glossary

IDENTITY_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
POINTS_POSSIBLE = "Points Possible"


@dataclass(frozen=True)
class CanvasStudent:
    """A student's identity columns as Canvas exports them."""

    student: str
    id: str
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""


@dataclass(frozen=True)
class CanvasGradebook:
    """The parts of an exported gradebook needed to import into it."""

    students: dict[str, CanvasStudent]
    assignment_columns: tuple[str, ...]


def read_canvas_gradebook(path: Path) -> CanvasGradebook:
    """Students (by Canvas user ID) and assignment column titles of an exported Canvas gradebook.

    Rows that are not students are skipped: `Points Possible`, the muted/manual-posting marker row (blank
    Student), a repeated header, and anything without a numeric ID.
    """
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            table = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise GraderError(f"cannot read the Canvas gradebook {path}: {err}") from err
    if not table:
        raise GraderError(f"the Canvas gradebook {path} is empty")
    header = [cell.strip() for cell in table[0]]
    missing = [c for c in ("Student", "ID") if c not in header]
    if missing:
        raise GraderError(f"the Canvas gradebook {path} has no {' or '.join(missing)} column")
    index = {name: header.index(name) for name in IDENTITY_COLUMNS if name in header}

    def cell(row: list[str], name: str) -> str:
        i = index.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    students: dict[str, CanvasStudent] = {}
    for row in table[1:]:
        student, user_id = cell(row, "Student"), cell(row, "ID")
        if student in ("", POINTS_POSSIBLE, "Student") or not user_id.isdigit():
            continue
        students[user_id] = CanvasStudent(student=student, id=user_id, sis_user_id=cell(row, "SIS User ID"),
                                          sis_login_id=cell(row, "SIS Login ID"), section=cell(row, "Section"))
    extra = {"Integration ID", "Root Account"}
    columns = tuple(h for h in header if h and h not in IDENTITY_COLUMNS and h not in extra)
    return CanvasGradebook(students=students, assignment_columns=columns)


def assignment_column(title: str, assignment_id: str | int | None, gradebook: CanvasGradebook | None) -> str:
    """`Title (id)`, the header Canvas needs to update an existing assignment; the id is found in the
    gradebook when not given. With no id at all, Canvas would create a new assignment named `title`."""
    if assignment_id is not None:
        return f"{title} ({assignment_id})"
    if gradebook is not None:
        pattern = re.compile(re.escape(title.strip()) + r" \((\d+)\)")
        for column in gradebook.assignment_columns:
            if pattern.fullmatch(column):
                return column
    return title


def write_canvas(rows: Sequence[Row], path: Path, *, assignment_title: str,
                 assignment_id: str | int | None = None, canvas_gradebook: Path | None = None,
                 points_possible: float | None = None) -> list[str]:
    """Write a Canvas gradebook import CSV; return what was left out and why (one message each).

    With `canvas_gradebook` (the class's export) students are matched by Canvas user ID and their identity
    columns copied from it; submissions whose user is not in it are left out and reported. Without it, the
    Student column is the name from the download and the SIS columns are empty.
    """
    gradebook = read_canvas_gradebook(canvas_gradebook) if canvas_gradebook is not None else None
    column = assignment_column(assignment_title, assignment_id, gradebook)
    left_out: list[str] = []
    if gradebook is not None and assignment_id is None and column == assignment_title:
        left_out.append(f"assignment {assignment_title!r} is not in the gradebook; Canvas will create it")
    points = points_possible if points_possible is not None else max_score(rows)
    body: list[list[str]] = [[POINTS_POSSIBLE, "", "", "", "", format_score(points)]]
    seen: dict[str, str] = {}
    for row in rows:
        identity = row.identity
        if row.result is None:
            left_out.append(f"{row.key}: not graded ({row.error})")
            continue
        if identity is None or identity.lms != "canvas" or not identity.user_id:
            left_out.append(f"{row.key}: no Canvas user ID in the file name")
            continue
        if gradebook is None:
            student = CanvasStudent(student=identity.display_name or identity.student_key, id=identity.user_id)
        elif identity.user_id in gradebook.students:
            student = gradebook.students[identity.user_id]
        else:
            left_out.append(f"{row.key}: Canvas user {identity.user_id} is not in the gradebook")
            continue
        if student.id in seen:
            left_out.append(f"{row.key}: Canvas user {student.id} already graded as {seen[student.id]}")
            continue
        seen[student.id] = row.key
        body.append([csv_cell(student.student), student.id, student.sis_user_id, student.sis_login_id,
                     student.section, format_score(row.result.score)])
    atomic_write_text(path, csv_text([*IDENTITY_COLUMNS, column], body))
    return left_out


COMMENT_COLUMNS = ("Student", "ID", "Comment")


def write_canvas_comments(rows: Sequence[Row], path: Path, *, glossary: Glossary | None = None) -> None:
    """Each graded Canvas student's feedback as a plain-text submission comment, one row each.

    Canvas's gradebook import ignores comments (an extra column there would become a new assignment), so
    they go in a file of their own, keyed by Canvas user ID, for the submissions API
    (`comment[text_comment]`) or to paste; the text is the feedback file's, without its title.
    """
    body: list[list[str]] = []
    for row in rows:
        identity = row.identity
        if row.result is None or identity is None or identity.lms != "canvas" or not identity.user_id:
            continue
        text = plain(feedback_pieces(row.result, glossary or Glossary()))
        body.append([csv_cell(identity.display_name or identity.student_key), identity.user_id, csv_cell(text)])
    atomic_write_text(path, csv_text(COMMENT_COLUMNS, body))
