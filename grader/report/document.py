"""What a student reads about their submission, built once and written in each format it lands in.

The feedback file (Markdown), an LMS comment (plain text for Canvas, HTML for Moodle), Gradescope's
output (Markdown) and JUnit messages (plain text) say the same thing: the score, then per part its
score and, per failed check, one explanation and one counterexample. Pieces hold unescaped text; each
renderer escapes only what its format needs, so the text reads well raw too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Literal

from grader.batch.rows import format_score
from grader.messages import t
from grader.report.text import md_block, md_inline, truncate
from grader.report.words import Glossary
from grader.results import CheckResult, SubmissionResult

TEXT_LIMIT = 4000

Kind = Literal["title", "heading", "para", "item", "detail"]


@dataclass(frozen=True)
class Piece:
    """One block of text; `detail` belongs to the item before it. Multi-line text is kept verbatim."""

    kind: Kind
    text: str
    label: str = ""  # words of ours shown before verbatim text (its own line)
    verbatim: bool = False  # as it is, in a code block: a traceback, a student's output


def points(score: float, max_score: float) -> tuple[str, str]:
    return format_score(score) or "0", format_score(max_score) or "?"


def _status(check: CheckResult) -> str:
    key = f"status.{check.status}"
    return t(key) if check.status in ("passed", "failed", "error", "timeout") else check.status


def check_pieces(check: CheckResult, part: str, glossary: Glossary) -> list[Piece]:
    """A failed check in words: one explanation, then one counterexample (or what happened)."""
    if check.passed:
        return []
    example = check.example.strip()
    pieces: list[Piece] = []
    # Without the failure on its own (a result from an older grader), the feedback already names the mistake.
    explanation = glossary.explanation(part, check.misconception if example else None, has_example=bool(example))
    if explanation:
        pieces.append(Piece("detail", explanation))
    shown = truncate(example or check.feedback.strip(), TEXT_LIMIT)
    if not shown:
        return pieces
    if example and check.counterexample:
        if "\n" in shown:
            pieces.append(Piece("detail", shown, label=t("feedback.counterexample_block")))
        else:
            pieces.append(Piece("detail", t("feedback.counterexample", example=shown)))
    else:
        pieces.append(Piece("detail", shown))
    return pieces


def feedback_pieces(result: SubmissionResult | None, glossary: Glossary, *, title: str | None = None,
                    name: str | None = None) -> list[Piece]:
    """The whole feedback; `title` and `name` head a file (an LMS comment already sits under both)."""
    pieces: list[Piece] = []
    if title:
        pieces.append(Piece("title", title))
    if name:
        pieces.append(Piece("para", t("feedback.student", name=name)))
    if result is None:  # the grader's own error is for the teacher (in the summary), not the student
        return [*pieces, Piece("para", t("feedback.not_graded"))]
    score, top = points(result.score, result.max_score)
    pieces.append(Piece("para", t("feedback.score", score=score, max=top)))
    if result.error is not None:
        pieces.append(Piece("para", truncate(result.error, TEXT_LIMIT), label=t("feedback.not_run"), verbatim=True))
    for part in result.parts:
        score, top = points(part.score, part.max_score)
        pieces.append(Piece("heading", t("feedback.part", title=part.title or part.name, score=score, max=top)))
        if all(check.passed for check in part.checks):
            pieces.append(Piece("para", t("report.all_passed")))
            continue
        for check in part.checks:
            score, top = points(check.score, check.max_score)
            pieces.append(Piece("item", t("feedback.check", title=check.title or check.id, status=_status(check),
                                          score=score, max=top)))
            pieces += check_pieces(check, part.name, glossary)
    if result.notes:
        pieces.append(Piece("heading", t("feedback.notes")))
        pieces += [Piece("item", truncate(note, TEXT_LIMIT)) for note in result.notes]
    return pieces


def top_level(pieces: Sequence[Piece]) -> list[Piece]:
    """A check's details on their own (Gradescope's output of a test, a JUnit failure): not under an item."""
    return [Piece("para", p.text, p.label, p.verbatim) for p in pieces]


def _verbatim(piece: Piece) -> bool:
    return piece.verbatim or bool(piece.label) or "\n" in piece.text.strip()


def markdown(pieces: Sequence[Piece]) -> str:
    """CommonMark that reads well raw: escapes only where Markdown would read the text otherwise."""
    lines: list[str] = []
    for piece in pieces:
        indent = "  " if piece.kind == "detail" else ""
        if piece.kind in ("title", "heading"):
            lines += [("# " if piece.kind == "title" else "## ") + md_inline(piece.text, at_line_start=False), ""]
        elif piece.kind == "item":
            lines += ["- " + md_inline(piece.text, at_line_start=False), ""]
        elif _verbatim(piece):
            if piece.label:
                lines += [indent + md_inline(piece.label), ""]
            lines += [indent + line if line else "" for line in md_block(piece.text).splitlines()] + [""]
        else:
            lines += [indent + md_inline(piece.text), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def plain(pieces: Sequence[Piece]) -> str:
    """Plain text (an LMS comment box, a JUnit message): the same lines, nothing escaped."""
    lines: list[str] = []
    for piece in pieces:
        if piece.kind in ("title", "heading") and lines:
            lines.append("")
        if piece.kind == "item":
            lines.append(f"- {' '.join(piece.text.split())}")
            continue
        indent = "  " if piece.kind == "detail" else ""
        if piece.label:
            lines.append(indent + piece.label)
        body = piece.text.strip().splitlines() if _verbatim(piece) else [" ".join(piece.text.split())]
        extra = "    " if _verbatim(piece) else ""
        lines += [indent + extra + line for line in body]
    return "\n".join(lines).strip("\n") + "\n"


def html(pieces: Sequence[Piece]) -> str:
    """HTML for an LMS that shows comments as HTML (Moodle): every text escaped, structure as tags."""
    out: list[str] = []
    depth = 0  # 0: outside a list; 1: in a list; 2: in a list item (whose details follow it)
    for piece in pieces:
        if piece.kind != "detail" and depth:
            out.append("</li>" if depth == 2 else "")
            depth = 1
            if piece.kind != "item":
                out.append("</ul>")
                depth = 0
        text = escape(piece.text.strip(), quote=False)
        if piece.kind == "title":
            out.append(f"<h3>{text}</h3>")
        elif piece.kind == "heading":
            out.append(f"<h4>{text}</h4>")
        elif piece.kind == "item":
            out.append(("<ul>" if depth == 0 else "") + f"<li>{text}")
            depth = 2
        elif _verbatim(piece):
            label = f"<p>{escape(piece.label, quote=False)}</p>" if piece.label else ""
            out.append(f"{label}<pre>{text}</pre>")
        else:
            out.append(f"<p>{text}</p>")
    if depth:
        out.append(("</li>" if depth == 2 else "") + "</ul>")
    return "".join(out)
