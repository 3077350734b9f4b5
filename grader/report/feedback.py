"""Per-student feedback in Markdown (`<student_key>.md`), the file a student actually reads.

Everything that is not a number is treated as hostile: a student's output, exception messages and the values
in counterexamples, but also titles, so that no text can inject Markdown or HTML into the rendered page.
Single lines are escaped; multi-line text goes into fenced code blocks that it cannot close.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from grader.atomic import atomic_write_text
from grader.batch.rows import Row, format_score
from grader.report.text import md_block, md_inline, truncate
from grader.results import CheckResult, SubmissionResult

TEXT_LIMIT = 4000


def feedback_filename(key: str) -> str:
    """`<key>.md`, with anything that could leave the folder or hide the file replaced."""
    safe = re.sub(r"[^\w.-]+", "_", key).strip("._-")
    return f"{safe or 'student'}.md"


def _score(score: float, max_score: float) -> str:
    return f"{format_score(score) or '0'} / {format_score(max_score) or '?'}"


def _check_lines(check: CheckResult) -> list[str]:
    mark = {"passed": "passed", "failed": "failed", "error": "error", "timeout": "timed out"}.get(
        check.status, md_inline(check.status))
    lines = [f"- **{md_inline(check.title or check.id)}**: {mark} ({_score(check.score, check.max_score)})"]
    if check.passed:
        return lines
    lines.append("")
    if check.feedback.strip():
        if "\n" in check.feedback.strip():
            lines += [md_block(truncate(check.feedback, TEXT_LIMIT)), ""]
        else:
            lines += [md_inline(truncate(check.feedback, TEXT_LIMIT)), ""]
    if check.counterexample:
        lines += ["Counterexample:", "", md_block(truncate(check.counterexample, TEXT_LIMIT)), ""]
    if check.misconception:
        lines += [f"Possible misconception: {md_inline(check.misconception)}", ""]
    return lines


def feedback_markdown(result: SubmissionResult | None, *, name: str, title: str = "Feedback") -> str:
    """The Markdown text for one student; `result` is None when the grader could not grade them at all
    (the grader's own error is for the teacher, in the summary, not for the student)."""
    lines = [f"# {md_inline(title)}", "", f"**Student:** {md_inline(name)}", ""]
    if result is None:
        lines += ["Your submission could not be graded automatically. Your teacher will look at it."]
        return "\n".join(lines) + "\n"
    lines += [f"**Score:** {_score(result.score, result.max_score)}", ""]
    if result.error is not None:
        lines += ["Your submission could not be run:", "", md_block(truncate(result.error, TEXT_LIMIT)), ""]
    for part in result.parts:
        lines += [f"## {md_inline(part.title or part.name)}: {_score(part.score, part.max_score)}", ""]
        for check in part.checks:
            lines += _check_lines(check)
        if lines[-1]:
            lines.append("")
    if result.notes:
        lines += ["## Notes", ""]
        lines += [f"- {md_inline(truncate(note, TEXT_LIMIT))}" for note in result.notes]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def write_feedback(rows: Sequence[Row], directory: Path, *, title: str = "Feedback") -> dict[str, Path]:
    """Write `<directory>/<student_key>.md` for every row; return the file written for each student key."""
    written: dict[str, Path] = {}
    texts: dict[Path, str] = {}
    taken: set[str] = set()
    for row in rows:
        filename = feedback_filename(row.key)
        stem, n = filename[:-3], 2
        while filename in taken:
            filename, n = f"{stem}-{n}.md", n + 1
        taken.add(filename)
        name = row.display_name or row.key
        path = directory / filename
        texts[path] = feedback_markdown(row.result, name=name, title=title)
        written[row.key] = path
    directory.mkdir(parents=True, exist_ok=True)
    # A class's files are written side by side: each waits for the disk (fsync) on its own.
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(atomic_write_text, texts, texts.values()))
    return written
