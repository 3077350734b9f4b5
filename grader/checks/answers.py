"""What `against_reference` and `cases` share: a function called on a list of inputs, each answer
judged against a stored expected one, a mistake named from all of them.

At build time, in the grader's process: the reference's answers on the inputs, each mistake's
answers, and (for the self-check, which runs without the reference) the reference's answers to the
calls it makes of the functions in `uses`. At grading time: the submission's answers, with the
functions in `uses` answered by the reference (computed here, never in the student's process).
"""

from __future__ import annotations

import contextlib
import copy
import io
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.checks.context import CheckContext, PrepareContext
from grader.checks.judge import Problem, judge, reply_numbers, scale_of
from grader.checks.mistakes import name_mistake
from grader.errors import SpecError
from grader.plain import normalize, numbers
from grader.reference import Reference
from grader.sandbox.client import OWN, Batch, Reply, StandIn
from grader.spec.kinds import AgainstReference, Cases


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """The reference's printing and warnings kept out of the grader's (one context for many calls)."""
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def quietly(function: Callable[..., Any], *args: Any) -> Any:
    """The reference (or a mistake) on one input, its printing and warnings kept out of the grader's."""
    with quiet():
        return function(*copy.deepcopy(args))


def _asked_recorder(reference: Reference, fn: str, uses: Sequence[str]) -> tuple[Callable[..., Any],
                                                                                  dict[str, list[Any]]]:
    """The reference function, with its calls of the `uses` functions recorded (args, answer)."""
    namespace = reference.namespace()
    log: dict[str, list[Any]] = {name: [] for name in uses}
    for name in uses:
        original = reference.rebound(name, namespace)

        def logged(*args: Any, _name: str = name, _original: Callable[..., Any] = original, **kwargs: Any) -> Any:
            answer = _original(*args, **kwargs)
            log[_name].append((tuple(copy.deepcopy(args)), normalize(answer)))
            return answer

        namespace[name] = logged
    return reference.rebound(fn, namespace), log


def prepare(ctx: PrepareContext, examples: list[tuple[Any, ...]], given: list[Any] | None,
            uses: Sequence[str]) -> dict[str, Any]:
    """Everything a values check compares against, for the build."""
    reference = ctx.reference
    fn = ctx.check.function
    params = reference.params(fn)
    for name in uses:
        if not reference.has(name):
            raise ctx.where("uses").error(f"the reference defines no function '{name}'")
    for example in examples:
        if len(example) != len(params):
            raise ctx.where().error(f"an input has {len(example)} arguments; {fn}({', '.join(params)}) "
                                    f"takes {len(params)}")
    recorded, log = _asked_recorder(reference, fn, uses)
    answers, asked = [], []
    for index, example in enumerate(examples):
        for calls in log.values():
            calls.clear()
        try:
            answer = normalize(quietly(recorded, *example))
        except Exception as error:
            raise ctx.where().error(f"the reference's {fn} raised {type(error).__name__}: {error} on input "
                                    f"{index + 1}") from None
        if answer is None:
            raise ctx.where().error(f"the reference's {fn} does not return numbers (a number, an array, or a "
                                    f"tuple of them) on input {index + 1}")
        answers.append(answer)
        asked.append({name: list(calls) for name, calls in log.items()})
    expected = answers if given is None else [normalize(value) for value in given]
    if any(value is None for value in expected):
        raise ctx.where("expected").error("the expected values must be numbers (or arrays of numbers)")
    if len(expected) != len(examples):
        raise ctx.where("expected").error(f"{len(expected)} expected values for {len(examples)} inputs")
    config = ctx.check.config
    assert isinstance(config, (AgainstReference, Cases))
    for example in examples:  # a scale that fails is the author's mistake: found now, not while grading
        scale_of(config.tolerance, params, example, ctx.spec.data, ctx.where("scale"))
    mistakes = {}
    for index, mistake in enumerate(ctx.part.mistakes):
        variants = []
        for variant in mistake.variants:
            wrong = reference.mutant(fn, variant, ctx.mistake_where(index))
            variants.append([_safe(wrong, example) for example in examples])
        mistakes[mistake.id] = variants
    stored: dict[str, Any] = {
        "params": list(params), "examples": examples, "expected": expected, "mistakes": mistakes,
        "uses": {name: {"params": list(reference.params(name)), "defaults": reference.defaults(name)}
                 for name in uses}}
    if ctx.mode == "self-check" and uses:
        stored["asked"] = asked
    return stored


def _safe(function: Callable[..., Any], example: tuple[Any, ...]) -> Any:
    try:
        return normalize(quietly(function, *example))
    except Exception:
        return None  # a mistake that fails on an input shows nothing there


# ------------------------------------------------------------------ grading


Answer = Callable[[int, tuple[Any, ...]], Any]


def by_reference(function: Callable[..., Any]) -> Answer:
    """An "ask" stand-in's answers, computed by the reference function here, call by call."""

    def answer(index: int, args: tuple[Any, ...]) -> Any:
        return quietly(function, *args)

    return answer


def by_lookup(calls: Callable[[int], Sequence[tuple[tuple[Any, ...], Any]]]) -> Answer:
    """An "ask" stand-in's answers, looked up among the reference's own calls (`calls(index)` for
    the call of a batch's `index`-th input); the student's own function where none matches."""

    def answer(index: int, args: tuple[Any, ...]) -> Any:
        return lookup(calls(index), args)

    return answer


def _asked_calls(table: Sequence[dict[str, Any]], name: str) -> Callable[[int], Sequence[Any]]:
    def calls(index: int) -> Sequence[Any]:
        return table[index].get(name, []) if 0 <= index < len(table) else []

    return calls


def stand_ins(ctx: CheckContext, uses: Sequence[str]) -> dict[str, StandIn]:
    """The `uses` functions, answered by the reference: officially computed here, call by call; in the
    self-check looked up among the reference's own calls on that input (else the student's own)."""
    stored_uses = ctx.stored.get("uses", {})
    table = ctx.stored.get("asked", [])
    made = {}
    for name in uses:
        info = stored_uses[name]
        if ctx.reference is not None:
            answer = by_reference(ctx.reference.function(name))
        else:
            answer = by_lookup(_asked_calls(table, name))
        made[name] = StandIn("ask", tuple(info["params"]), defaults=info.get("defaults", {}), answer=answer,
                             record=False)
    return made


def lookup(calls: Sequence[tuple[tuple[Any, ...], Any]], args: tuple[Any, ...]) -> Any:
    """The reference's answer to a call with (nearly) these arguments, else OWN.

    A function of one argument that keeps its shape (an elementwise one, an activation, say) is
    also answered element by element, so that a student who calls it once per sample, where
    the reference called it once on an array, still gets the reference's values."""
    wanted = [numbers(a) for a in args]
    for known, value in calls:
        if len(known) != len(args):
            continue
        if all(_same(numbers(k), w) for k, w in zip(known, wanted, strict=True)):
            return value
    if len(args) == 1 and wanted[0] is not None:
        return _elementwise(calls, args[0], wanted[0])
    return OWN


def _elementwise(calls: Sequence[tuple[tuple[Any, ...], Any]], arg: Any, flat: np.ndarray) -> Any:
    keys, answers = [], []
    for known, value in calls:
        argument, answer = (numbers(known[0]), numbers(value)) if len(known) == 1 else (None, None)
        if argument is None or answer is None or argument.shape != answer.shape or \
                np.shape(known[0]) != np.shape(value):
            return OWN  # not a function that keeps its argument's shape
        keys.append(argument)
        answers.append(answer)
    if not keys:
        return OWN
    key, answer = np.concatenate(keys), np.concatenate(answers)
    order = np.argsort(key, kind="stable")
    key, answer = key[order], answer[order]
    found = np.empty_like(flat)
    for index, value in enumerate(flat.tolist()):
        at = int(np.searchsorted(key, value))
        near = [i for i in (at - 1, at) if 0 <= i < len(key) and _same(key[i:i + 1], np.array([value]))]
        if not near:
            return OWN
        found[index] = answer[near[0]]
    if isinstance(arg, np.ndarray):
        return found.reshape(np.shape(arg))
    return float(found[0]) if flat.size == 1 else found


def _same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None or a.shape != b.shape:
        return False
    with np.errstate(all="ignore"):
        return bool(np.all((a == b) | (np.abs(a - b) <= 1e-9 * np.abs(b))))


@dataclass
class Judged:
    replies: list[Reply]
    problems: list[Problem | None]
    scales: list[Any]

    @property
    def failing(self) -> list[int]:
        return [i for i, p in enumerate(self.problems) if p is not None]


def grade_answers(ctx: CheckContext, config: AgainstReference | Cases) -> Judged:
    """The submission's answer on every stored input, each judged."""
    stored = ctx.stored
    examples, expected = stored["examples"], stored["expected"]
    names = stored["params"]
    uses = stand_ins(ctx, config.uses)
    fn = ctx.check.function
    batch = ctx.memo("batch", lambda: Batch.of(fn, examples, uses))
    replies = ctx.session().map(fn, batch, stand_ins=uses)
    scales = ctx.memo("scales", lambda: [_scale(ctx, config, names, example) for example in examples])
    wanted = ctx.memo("reference-numbers", lambda: [numbers(e) for e in expected])
    problems = [judge(reply, want, config.returns, config.tolerance, scale, flat)
                for reply, want, scale, flat in zip(replies, expected, scales, wanted, strict=True)]
    return Judged(replies, problems, scales)


def _scale(ctx: CheckContext, config: AgainstReference | Cases, names: Sequence[str], example: Any) -> Any:
    try:
        return scale_of(config.tolerance, names, example, ctx.spec.data, ctx.where("scale"))
    except SpecError:
        return 0.0


def mistake_of(ctx: CheckContext, judged: Judged) -> str | None:
    """The part's mistake the answers show (None: none, or naming failed)."""
    try:
        stored = ctx.stored
        reference = ctx.memo("reference-numbers", lambda: [numbers(e) for e in stored["expected"]])
        candidates = ctx.memo("mistake-numbers", lambda: {
            ident: [[None if v is None else numbers(v) for v in variant] for variant in variants]
            for ident, variants in stored.get("mistakes", {}).items()})
        scales = [float(np.max(np.abs(s))) if np.size(s) else 0.0 for s in judged.scales]
        student = [reply_numbers(reply) for reply in judged.replies]
        return name_mistake(ctx.part, student, judged.failing, reference, candidates, ctx.check.config.tolerance.rtol,
                            scales, memo=ctx.memo)
    except (ArithmeticError, ValueError, TypeError, IndexError, KeyError):
        return None  # naming the mistake only improves the feedback: it never decides the grade
