"""The human report for a terminal: per TODO, score / max and what was wrong."""

from __future__ import annotations

from grader.results import SubmissionResult

_MARK = {"passed": "✔", "failed": "✘", "error": "✘", "timeout": "⏱"}


def _points(value: float) -> str:
    return f"{value:g}"


def render(result: SubmissionResult, *, verbose: bool = False) -> str:
    lines = [f"{result.submission}: {_points(result.score)} / {_points(result.max_score)}"
             + ("  (self-check)" if result.mode == "self-check" else "")]
    if result.error:
        lines.append(f"  error: {result.error}")
    for part in result.parts:
        mark = "✔" if part.score >= part.max_score else "✘"
        lines.append(f"  {mark} {part.title}  {_points(part.score)} / {_points(part.max_score)}")
        if result.error:
            continue
        for check in part.checks:
            if check.passed and not verbose:
                continue
            lines.append(f"      {_MARK.get(check.status, '?')} {check.title}"
                         + (f" [{check.examples} inputs]" if check.examples else ""))
            for text in check.feedback.splitlines():
                lines.append(f"          {text}")
    if result.notes:
        lines.append("  notes:")
        lines += [f"    - {note}" for note in result.notes]
    if result.isolation_note:
        lines.append(f"  isolation: {result.isolation_note}")
    if result.provenance:
        p = result.provenance
        lines.append(f"  reproducible with: grader {p.grader_version}, spec sha256 {p.spec_sha256[:12]}, "
                     f"Hypothesis {p.hypothesis_version} (seed {p.hypothesis_seed}), numpy {p.numpy_version}, "
                     f"Python {p.python_version}, isolation {p.isolation}")
    return "\n".join(lines)
