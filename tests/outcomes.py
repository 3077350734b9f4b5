"""What a fixture's name promises (see tests/fixtures/README.md), stated once for every exercise:
its outcome, and the mistake its feedback must name."""

from __future__ import annotations

from pathlib import Path

from grader.results import PartResult, SubmissionResult
from grader.spec import AssignmentSpec


def outcome(path: Path | str) -> tuple[str, str | None]:
    """`fail-Loss__half_mse.py` -> ("fail", "Loss"); `pass__x.py` -> ("pass", None)."""
    kind, _, part = Path(path).name.split("__", 1)[0].partition("-")
    return kind, part or None


def summary(result: SubmissionResult) -> str:
    return "\n".join(f"{p.name} {p.score:g}/{p.max_score:g}: {p.feedback}" for p in result.parts)


def part_of(result: SubmissionResult, name: str) -> PartResult:
    return next(p for p in result.parts if p.name == name)


def assert_outcome(path: Path, result: SubmissionResult) -> None:
    """pass: full marks; fail-<part>: that part loses points, every other keeps full marks;
    timeout-<part>: the same with a timed-out check; hardcoded: not full marks in any part;
    broken: score 0 and an error naming the file."""
    kind, part = outcome(path)
    scores = {p.name: (p.score, p.max_score) for p in result.parts}
    text = summary(result)
    if kind == "pass":
        assert result.error is None, result.error
        assert result.score == result.max_score, text
    elif kind in ("fail", "timeout"):
        assert part in scores, f"unknown part {part}"
        assert result.error is None, result.error
        for name, (score, maximum) in scores.items():
            if name == part:
                assert score < maximum, f"{name} should lose points:\n{text}"
            else:
                assert score == maximum, f"{name} should keep full marks:\n{text}"
        if kind == "timeout":
            assert part is not None and "timeout" in {c.status for c in part_of(result, part).checks}, text
    elif kind == "hardcoded":
        assert all(score < maximum for score, maximum in scores.values()), text
    elif kind == "broken":
        assert result.score == 0
        assert result.error, "a broken submission must carry an error message"
        assert path.name in result.error
    else:
        raise AssertionError(f"fixture {path.name} has an unknown outcome '{kind}'")


def assert_named(result: SubmissionResult, part_name: str, ident: str | None, spec: AssignmentSpec,
                 lang: str = "en") -> None:
    """The part's failed checks name the mistake `ident` (its name and hint, never its code), or,
    for a mistake the spec does not know (None), give a counterexample and no name."""
    part = part_of(result, part_name)
    failed = [c for c in part.checks if not c.passed]
    assert failed, summary(result)
    if ident is None:
        assert all(c.misconception is None for c in failed), [(c.id, c.misconception) for c in failed]
        assert all(c.counterexample for c in failed), [c.feedback for c in failed]
        return
    declared = next(p for p in spec.parts if p.name == part_name)
    entry = next((m for m in declared.mistakes if m.id == ident), None)
    assert entry is not None, f"the spec declares no mistake '{ident}' in part {part_name}"
    named = [c for c in failed if c.misconception == ident]
    assert named, [(c.id, c.misconception) for c in failed]
    hint = entry.hint or declared.hint
    for check in named:
        assert entry.name.get(lang) in check.feedback
        assert hint is not None and hint.get(lang) in check.feedback
        for variant in entry.variants:  # the feedback names the mistake; it never prints its code
            assert variant.expr is None or variant.expr not in check.feedback
            assert all(new not in check.feedback for _, new in variant.replace if len(new) > 4)
