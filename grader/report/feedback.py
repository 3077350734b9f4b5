"""Per-student feedback in Markdown (`<student_key>.md`), the file a student actually reads.

It must read well where it lands: rendered by a Markdown viewer, or shown raw in an LMS comment box or an
e-mail. So the words come from grader/report/document.py (the same text every LMS output uses) and only
what Markdown would misread is escaped; everything that is not a number is still treated as hostile
(a student's output, exception messages, counterexample values, titles): no text can inject Markdown or
HTML into the rendered page, and multi-line text goes into fenced blocks that it cannot close.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from grader.atomic import atomic_write_text
from grader.batch.rows import Row
from grader.report.document import feedback_pieces, markdown
from grader.report.words import Glossary
from grader.results import SubmissionResult


def feedback_filename(key: str) -> str:
    """`<key>.md`, with anything that could leave the folder or hide the file replaced."""
    safe = re.sub(r"[^\w.-]+", "_", key).strip("._-")
    return f"{safe or 'student'}.md"


def feedback_filenames(rows: Sequence[Row]) -> list[str]:
    """Each row's file name, unique within the folder, in the rows' order (the summary page links to them)."""
    names: list[str] = []
    taken: set[str] = set()
    for row in rows:
        filename = feedback_filename(row.key)
        stem, n = filename[:-3], 2
        while filename in taken:
            filename, n = f"{stem}-{n}.md", n + 1
        taken.add(filename)
        names.append(filename)
    return names


def feedback_markdown(result: SubmissionResult | None, *, name: str, title: str = "Feedback",
                      glossary: Glossary | None = None) -> str:
    """The Markdown text for one student; `result` is None when the grader could not grade them at all."""
    return markdown(feedback_pieces(result, glossary or Glossary(), title=title, name=name))


def write_feedback(rows: Sequence[Row], directory: Path, *, title: str = "Feedback",
                   glossary: Glossary | None = None) -> dict[str, Path]:
    """Write `<directory>/<student_key>.md` for every row; return the file written for each student key."""
    texts = {directory / filename: feedback_markdown(row.result, name=row.display_name or row.key, title=title,
                                                     glossary=glossary)
             for row, filename in zip(rows, feedback_filenames(rows), strict=True)}
    directory.mkdir(parents=True, exist_ok=True)
    # A class's files are written side by side: each waits for the disk (fsync) on its own.
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(atomic_write_text, texts, texts.values()))
    return {row.key: path for row, path in zip(rows, texts, strict=True)}
