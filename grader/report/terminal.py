"""The human report for a terminal: per TODO, a verdict, score / max and what was wrong.

A failed trajectory check adds a compact side-by-side table of the student's checkpoints
against the expected ones, with the first diverging row marked. Every
word comes from the message catalogue, in the current language.
"""

from __future__ import annotations

from typing import Any

from grader.messages import t
from grader.results import CheckResult, SubmissionResult

_MARK = {"passed": "✔", "failed": "✘", "error": "✘", "timeout": "⏱"}


def _points(value: float) -> str:
    return f"{value:g}"


def _number(value: float) -> str:
    return f"{value:.10g}"


def _point(values: list[float] | None) -> str:
    return t("table.not_reached") if values is None else ", ".join(_number(v) for v in values)


def checkpoint_table(details: dict[str, Any]) -> list[str]:
    """step | your point | expected point, with a marker on the first diverging row."""
    rows = details.get("checkpoints")
    if not rows:
        return []
    first = details.get("first_diverging")
    names = ", ".join(details.get("names", []))
    cells = [(str(r["step"]), _point(r["student"]), _point(r["expected"]),
              ("✔" if r["ok"] else "✘") + (f" {t('table.marker')}" if r["step"] == first else ""))
             for r in rows]
    header = (t("table.step"), t("table.yours", names=names), f"{details.get('expected_label', '')} {names}", "")
    widths = [max(_width(c[i]) for c in [header, *cells]) for i in range(3)]
    return [" | ".join(_pad(cell, widths[i]) if i < 3 else cell for i, cell in enumerate(line)).rstrip()
            for line in [header, *cells]]


def _width(text: str) -> int:
    """Columns on a terminal: Hangul and other wide characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _check_lines(check: CheckResult) -> list[str]:
    key = "report.input" if check.examples == 1 else "report.inputs"
    inputs = f" [{t(key, count=check.examples)}]" if check.examples else ""
    lines = [f"      {_MARK.get(check.status, '?')} {check.title}{inputs}"]
    lines += [f"          {text}" for text in check.feedback.splitlines()]
    if check.status != "passed" and isinstance(check.details, dict):
        lines += [f"          {row}" for row in checkpoint_table(check.details)]
    return lines


def _repeats_error(check: CheckResult, error: str | None) -> bool:
    """A check that was never graded only repeats the submission's error (which is shown once);
    a check graded after the top-level code stopped has its own feedback, which is shown."""
    feedback = check.feedback.removeprefix("not graded: ")
    return bool(error) and bool(feedback) and feedback in str(error)


def render(result: SubmissionResult, *, verbose: bool = False) -> str:
    selfcheck = result.mode == "self-check"
    lines = [f"{result.submission}: {_points(result.score)} / {_points(result.max_score)}"
             + (f"  ({t('report.self_check')})" if selfcheck else "")]
    if result.error:
        lines.append(f"  {t('report.error')}: {result.error}")
    for part in result.parts:
        full = part.score >= part.max_score
        verdict = t("report.correct") if full else t("report.not_yet")
        lines.append(f"  {'✔' if full else '✘'} {part.title}  {_points(part.score)} / {_points(part.max_score)}"
                     f"  ({verdict})")
        for check in part.checks:
            if (check.passed and not verbose) or _repeats_error(check, result.error):
                continue
            lines += _check_lines(check)
    if result.notes:
        lines.append(f"  {t('report.notes')}:")
        lines += [f"    - {note}" for note in result.notes]
    if result.isolation_note:
        lines.append(f"  {t('report.isolation')}: {result.isolation_note}")
    if result.provenance:
        p = result.provenance
        lines.append("  " + t("report.reproducible", grader=p.grader_version, spec=p.spec_sha256[:12],
                                hypothesis=p.hypothesis_version, seed=p.hypothesis_seed, numpy=p.numpy_version,
                                python=p.python_version, isolation=p.isolation))
    return "\n".join(lines)
