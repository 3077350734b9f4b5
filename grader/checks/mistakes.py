"""Naming a mistake: one mechanism for every part and every check kind.

Each mistake of a part is a variant of the reference (grader/reference.py); a check knows its
answers on the check's inputs, unit by unit (one answer per input, or one run of a driver), as
flat numbers. A student's answers show a mistake when the mistake explains every answer of
theirs that is wrong, and agrees with (nearly) all of their answers wherever the mistake differs
from the right answer. Naming only improves the feedback: it never decides a grade.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from grader.messages import t
from grader.spec import PartSpec
from grader.values import close

Answers = Sequence[np.ndarray | None]

SHARE = 0.9  # of the inputs where a mistake shows, the share the student must agree on


def match_tolerance(rtol: float) -> float:
    """Looser than the grade's: two ways of writing a mistake round differently too."""
    return max(10 * rtol, 1e-6)


def _near(a: np.ndarray | None, b: np.ndarray | None, rtol: float, scale: Any) -> bool:
    if a is None or b is None or a.shape != b.shape:
        return False
    return close(a, b, rtol, scale)


def informative(reference: Answers, wrong: Answers, rtol: float, scales: Sequence[Any]) -> list[int]:
    """The units where this mistake's answer differs from the right one: only there can a student's
    answers show it. (It depends on the inputs alone: a batch computes it once.)"""
    return [i for i, (right, bad) in enumerate(zip(reference, wrong, strict=False))
            if bad is not None and not _near(bad, right, rtol, scales[i])]


def explains(student: Answers, wrong: Answers, failing: Sequence[int], where: Sequence[int], rtol: float,
             scales: Sequence[Any], min_informative: int) -> bool:
    if len(where) < min_informative:
        return False
    if any(not _near(student[i], wrong[i], rtol, scales[i]) for i in failing):
        return False  # a wrong answer of the student's that this mistake does not give
    allowed = len(where) - math.ceil(SHARE * len(where) - 1e-9)
    missed = 0
    for i in where:
        if not _near(student[i], wrong[i], rtol, scales[i]):
            missed += 1
            if missed > allowed:
                return False
    return True


def name_mistake(part: PartSpec, student: Answers, failing: Sequence[int], reference: Answers,
                 candidates: Mapping[str, Sequence[Answers]], rtol: float, scales: Sequence[Any] | None = None,
                 min_informative: int = 2,
                 memo: Callable[[str, Callable[[], Any]], Any] | None = None) -> str | None:
    """The first of the part's mistakes (in the spec's order) that explains the student's answers."""
    if not failing:
        return None
    tolerance = match_tolerance(rtol)
    scales = scales if scales is not None else [0.0] * len(reference)
    for mistake in part.mistakes:
        for index, wrong in enumerate(candidates.get(mistake.id, ())):
            def where_shown(wrong: Answers = wrong) -> list[int]:
                return informative(reference, wrong, tolerance, scales)

            where = memo(f"shown:{mistake.id}:{index}", where_shown) if memo else where_shown()
            if explains(student, wrong, failing, where, tolerance, scales, min_informative):
                return mistake.id
    return None


def with_mistake(text: str, mistake_id: str | None, part: PartSpec) -> str:
    """Feedback that names a recognised mistake first (and keeps the example), or just the example."""
    mistake = next((m for m in part.mistakes if m.id == mistake_id), None)
    if mistake is None:
        return text
    hint = mistake.hint or part.hint
    named = (t("misconception.named", name=mistake.name.get(), formula=hint.get()) if hint
             else t("misconception.named_no_hint", name=mistake.name.get()))
    return f"{named}\n{t('misconception.example', example=text)}"
