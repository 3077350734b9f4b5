"""The property check every exercise reuses: the student's function against the reference
on Hypothesis-drawn inputs, with the failure shrunk to a minimal counterexample."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from grader.checks import CheckContext, Verdict
from grader.errors import SpecError
from grader.messages import current, t
from grader.sandbox.client import Batch, Reply
from grader.values import Value, numbers_of


@dataclass(frozen=True)
class Problem:
    """Why one reply is wrong, in words a student can act on."""

    text: str
    misconception: str | None = None


Judge = Callable[[Reply, Any, Sequence[Any]], Problem | None]


def render_value(value: Any) -> str:
    if isinstance(value, np.ndarray):
        body = np.array2string(value, separator=", ", precision=6, threshold=12, max_line_width=200)
        return body.replace("\n", "")
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return repr(value)


def render_call(function: str, names: Sequence[str], args: Sequence[Any]) -> str:
    rendered = ", ".join(f"{name}={render_value(arg)}" for name, arg in zip(names, args, strict=False))
    return f"{function}({rendered})"


Classify = Callable[[list[Reply], list[Any], list[Any]], str | None]


def against_reference(ctx: CheckContext, *, function: str, names: Sequence[str],
                      strategy: Callable[[], Any], expected_of: Callable[..., Any], judge: Judge,
                      max_examples: int, classify: Classify | None = None,
                      explain: Callable[[str], str | None] | None = None) -> Verdict:
    """Pass when every drawn input gives the reference's answer; otherwise explain the smallest failure."""
    examples = ctx.examples(strategy, max_examples)
    expected = ctx.memo(f"expected:{max_examples}", lambda: [expected_of(*example) for example in examples])
    session = ctx.session()
    batch = ctx.memo(f"batch:{max_examples}", lambda: Batch.of(function, examples))
    replies = session.map(function, batch)
    failures = [(index, problem) for index, reply in enumerate(replies)
                if (problem := judge(reply, expected[index], examples[index])) is not None]
    if not failures:
        return Verdict(True, examples=len(examples))
    misconception = classify(replies, examples, expected) if classify else None
    first_index, first_problem = failures[0]

    def probe(example: Any) -> Problem | None:
        return judge(session.call(function, *example), expected_of(*example), example)

    found = ctx.shrink(strategy, max_examples, probe)
    example, problem = found if found is not None else (examples[first_index], first_problem)
    call = render_call(function, names, example)
    misconception = misconception or problem.misconception
    return Verdict(False, feedback=with_misconception(f"{call} {problem.text}", misconception, explain),
                   counterexample=call, misconception=misconception, examples=len(examples),
                   details={"failed_examples": len(failures)})


def with_misconception(text: str, misconception: str | None,
                       explain: Callable[[str], str | None] | None) -> str:
    """Feedback that names a recognised mistake first (and keeps the example), or just the example."""
    named = explain(misconception) if misconception and explain else None
    return f"{named}\n{t('misconception.example', example=text)}" if named else text


# ------------------------------------------------------------- misconceptions


@dataclass(frozen=True)
class Misconception:
    """One typical wrong answer of a TODO: its names, where the document fixes it, how to recognise it."""

    id: str
    part: str
    names: dict[str, str]
    formulas: dict[str, str]
    exprs: tuple[str, ...] = ()  # official grading only: numpy expressions of the wrong answer
    rule: dict[str, Any] = field(default_factory=dict)  # behaviours (the update): calls, matrix, rate, every

    def name(self, lang: str | None = None) -> str:
        lang = lang or current()
        return self.names.get(lang) or self.names["en"]

    def formula(self, lang: str | None = None) -> str:
        lang = lang or current()
        return self.formulas.get(lang) or self.formulas["en"]

    def explain(self, lang: str | None = None) -> str:
        return t("misconception.named", lang, name=self.name(lang), formula=self.formula(lang))


@dataclass(frozen=True)
class Catalogue:
    """All parts' typical wrong answers, read from an exercise's misconceptions.toml."""

    parts: dict[str, tuple[Misconception, ...]]

    def of(self, part: str) -> tuple[Misconception, ...]:
        return self.parts.get(part, ())

    def find(self, part: str, ident: str) -> Misconception | None:
        return next((m for m in self.of(part) if m.id == ident), None)

    def explainer(self, part: str) -> Callable[[str], str | None]:
        def explain(ident: str) -> str | None:
            found = self.find(part, ident)
            return found.explain() if found else None

        return explain


_RULE_KEYS = ("calls", "matrix", "rate", "every")


def load_catalogue(path: Path) -> Catalogue:
    """Parse misconceptions.toml; a missing file is an empty catalogue (feedback falls back to examples)."""
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Catalogue({})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SpecError(f"{path}: {error}") from None
    parts: dict[str, tuple[Misconception, ...]] = {}
    for part, section in table.items():
        entries = []
        for index, entry in enumerate(section.get("misconceptions", [])):
            where = f"{path} [{part}] misconception #{index + 1}"
            names, formulas = entry.get("name", {}), entry.get("formula", section.get("formula", {}))
            if "id" not in entry or not all(lang in names and lang in formulas for lang in ("en", "ko")):
                raise SpecError(f"{where}: needs an id, and a name and a formula in en and ko")
            exprs = entry.get("expr", [])
            entries.append(Misconception(id=str(entry["id"]), part=part, names=dict(names), formulas=dict(formulas),
                                         exprs=tuple([exprs] if isinstance(exprs, str) else exprs),
                                         rule={k: entry[k] for k in _RULE_KEYS if k in entry}))
        parts[part] = tuple(entries)
    return Catalogue(parts)


def catalogue_path(ctx_spec_directory: Path, selfcheck: Mapping[str, Any] | None) -> Path:
    name = (selfcheck or {}).get("misconceptions", "misconceptions.toml")
    return ctx_spec_directory / str(name)


def evaluate(expr: str, names: Sequence[str], args: Sequence[Any]) -> np.ndarray | None:
    """A catalogue expression on one input, in the grader's process: numpy only, no builtins."""
    scope = {name: np.asarray(arg, dtype=np.float64) if isinstance(arg, np.ndarray) else float(arg)
             for name, arg in zip(names, args, strict=True)}
    try:
        with np.errstate(all="ignore"):
            value = eval(expr, {"__builtins__": {}, "np": np}, scope)  # noqa: S307 - the exercise's own data
        return np.asarray(value, dtype=np.float64).ravel()
    except (ArithmeticError, ValueError, TypeError):
        return None


def reply_numbers(reply: Reply) -> np.ndarray | None:
    """Every number a reply returned, flattened (None when it raised or returned something else)."""
    if reply.kind != "returned" or reply.value is None:
        return None
    numbers = numbers_of(reply.value)
    return None if numbers is None else np.asarray(numbers, dtype=np.float64).ravel()


def _near(a: np.ndarray, b: np.ndarray, rtol: float, scale: float) -> bool:
    if a.shape != b.shape:
        return False
    with np.errstate(all="ignore"):
        return bool(np.all(np.abs(a - b) <= rtol * (np.abs(b) + scale)))


def informative(correct: Sequence[Any], wrong: Sequence[np.ndarray | None], rtol: float,
                scales: Sequence[float]) -> list[int]:
    """The inputs where this wrong answer differs from the right one: only there can a student's
    answers show the mistake. (It depends on the inputs alone: a batch computes it once.)"""
    indices = []
    for index, (right, bad, scale) in enumerate(zip(correct, wrong, scales, strict=False)):
        if bad is None or not np.isfinite(bad).all():
            continue
        if not _near(bad, np.asarray(right, dtype=np.float64).ravel(), rtol, scale):
            indices.append(index)
    return indices


def agrees_with(student: Sequence[np.ndarray | None], wrong: Sequence[np.ndarray | None], where: Sequence[int],
                rtol: float, scales: Sequence[float], share: float = 0.9) -> bool:
    """The student's answers are this wrong answer: they agree with it on (nearly) all of the inputs
    `where` the right answer differs from it (and there are at least two such inputs)."""
    if len(where) < 2:
        return False
    allowed = len(where) - math.ceil(share * len(where) - 1e-9)  # disagreements that still match
    missed = 0
    for index in where:
        mine = student[index] if index < len(student) else None
        if mine is None or not _near(mine, wrong[index], rtol, scales[index]):  # type: ignore[arg-type]
            missed += 1
            if missed > allowed:
                return False
    return True


def classify_values(student: Sequence[np.ndarray | None], correct: Sequence[Any],
                    candidates: Mapping[str, Sequence[Sequence[np.ndarray | None]]], rtol: float,
                    scales: Sequence[float],
                    where: Mapping[str, Sequence[Sequence[int]]] | None = None) -> str | None:
    """The first catalogue entry (any of its alternatives) the student's answers agree with;
    `where` (from `informative`, per entry and alternative) when a batch has it already."""
    for ident, alternatives in candidates.items():
        places = where[ident] if where is not None else [informative(correct, wrong, rtol, scales)
                                                           for wrong in alternatives]
        if any(agrees_with(student, wrong, at, rtol, scales) for wrong, at in zip(alternatives, places, strict=True)):
            return ident
    return None


# ------------------------------------------------------- values, in the current language


def value_problem(value: Value | None, size: int | None) -> str:
    """Why a returned value is not `size` numbers (None: not a single number), in the current language;
    the same cases as grader.values.as_scalar / as_vector."""
    if value is None:
        return t("value.not_a_number") if size is None else t("value.not_two_numbers")
    if value.kind == "none":
        return t("value.none_number" if size is None else "value.none_array")
    if size is None:
        if value.kind == "array":
            return t("value.array_not_number", shape=value.shape)
        if value.kind == "seq":
            return t("value.seq_not_number", type=value.type_name, count=len(value.items))
        return t("value.other_not_number", value=value.describe())
    numbers = numbers_of(value)
    if numbers is None:
        return t("value.not_numbers", value=value.describe(), size=size)
    return t("value.wrong_count", count=numbers.size, size=size)


def special_problem(got: np.ndarray, expected: np.ndarray) -> str | None:
    """NaN or infinity where the expected answer is finite, in the current language."""
    if np.isnan(got).any() and not np.isnan(expected).any():
        return t("value.nan")
    if np.isinf(got).any() and not np.isinf(expected).any():
        return t("value.inf")
    return None
