"""Check kind `cases`: the function on listed inputs, with expected values from the reference or
written in the spec (a lesson's printed numbers, say).

    cases = "[(w0 + w1 * X, y) for w0, w1 in document_weights]"    an expression over [data]
    cases = [{ z = 0.0 }, { z = [-1.0, 2.0] }]                     or one table per call
    expected = "document_losses"                                   omitted: the reference's answers

With `expected` (published numbers), the check also holds three inputs between the published
ones (drawn by `grade build`, answered by the reference): a lookup of the printed numbers fails them.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from grader.checks.answers import grade_answers, mistake_of
from grader.checks.answers import prepare as prepare_answers
from grader.checks.context import CheckContext, PrepareContext, Verdict
from grader.checks.judge import render_call
from grader.checks.mistakes import with_mistake
from grader.messages import t
from grader.plain import normalize
from grader.spec.expressions import literal, resolve
from grader.spec.kinds import Cases


def _config(check: Any) -> Cases:
    assert isinstance(check.config, Cases)
    return check.config


def prepare(ctx: PrepareContext) -> dict[str, Any]:
    config = _config(ctx.check)
    params = ctx.reference.params(ctx.check.function)
    data = ctx.spec.data
    if isinstance(config.cases, str):
        listed = resolve(config.cases, data, ctx.where("cases"))
        if not isinstance(listed, (list, tuple)):
            raise ctx.where("cases").error("must give a list of inputs (one tuple of arguments each)")
        examples = [tuple(literal(list(c)) if isinstance(c, list) else c) if isinstance(c, (tuple, list)) else (c,)
                    for c in listed]
    else:
        examples = []
        for index, case in enumerate(config.cases):
            where = ctx.where("cases", index)
            unknown = [key for key in case if key not in params]
            if unknown:
                raise where.error(f"{ctx.check.function} has no argument '{unknown[0]}' (it takes "
                                  f"{', '.join(params)})")
            defaults = ctx.reference.defaults(ctx.check.function)
            missing = [p for p in params if p not in case and p not in defaults]
            if missing:
                raise where.error(f"the argument '{missing[0]}' is missing")
            examples.append(tuple(resolve(case[p], data, where.key(p)) if p in case else defaults[p]
                                  for p in params))
    examples = [tuple(e) for e in examples]
    if config.expected is None:
        return prepare_answers(ctx, examples, None, config.uses)
    value = resolve(config.expected, data, ctx.where("expected"))
    given = list(value) if hasattr(value, "__len__") else [value]
    if len(given) != len(examples):
        raise ctx.where("expected").error(f"{len(given)} expected values for {len(examples)} inputs")
    # Published numbers can be looked up instead of computed: the same check also asks for inputs
    # between the published ones, with the reference's answers there (drawn and stored here).
    between = _between(examples, random.Random(f"{ctx.seed}:{ctx.check.id}"))
    stored = prepare_answers(ctx, examples + between, None, config.uses)
    stored["expected"] = [normalize(v) for v in given] + stored["expected"][len(examples):]
    if any(v is None for v in stored["expected"]):
        raise ctx.where("expected").error("the expected values must be numbers (or arrays of numbers)")
    return stored


BETWEEN = 3  # inputs added between published ones: one already fails a lookup; each costs a call per grade


def _between(examples: list[tuple[Any, ...]], draw: random.Random) -> list[tuple[Any, ...]]:
    """BETWEEN inputs (fewer with too few pairs), each a mix (1 - t) a + t b of two published inputs, t drawn
    in (0.2, 0.8): floats mixed, arguments that are equal or not numbers kept. A mix of valid inputs
    stays valid (a probability between two probabilities, a prediction of weights between two),
    and its answer is printed nowhere."""
    pairs = [(i, j) for i in range(len(examples)) for j in range(len(examples)) if i < j]
    mixed: list[tuple[Any, ...]] = []
    draw.shuffle(pairs)
    for i, j in pairs:
        if len(mixed) == BETWEEN:
            break
        args = _mix(examples[i], examples[j], draw.uniform(0.2, 0.8))
        if args is not None:
            mixed.append(args)
    return mixed


def _mix(a: tuple[Any, ...], b: tuple[Any, ...], t: float) -> tuple[Any, ...] | None:
    out: list[Any] = []
    changed = False
    for left, right in zip(a, b, strict=True):
        x, y = np.asarray(left), np.asarray(right)
        if x.shape == y.shape and x.dtype.kind == "f" and y.dtype.kind == "f" and not np.array_equal(x, y):
            mix = (1.0 - t) * x + t * y
            out.append(float(mix) if mix.ndim == 0 else mix)
            changed = True
        elif x.shape == y.shape and np.array_equal(x, y):
            out.append(left)
        else:
            return None
    return tuple(out) if changed else None


def run(ctx: CheckContext) -> Verdict:
    config = _config(ctx.check)
    stored = ctx.stored
    judged = grade_answers(ctx, config)
    failing = judged.failing
    examples = stored["examples"]
    if not failing:
        return Verdict(True, examples=len(examples))
    mistake = mistake_of(ctx, judged)
    first = failing[0]
    problem = judged.problems[first]
    assert problem is not None
    call = render_call(ctx.check.function, stored["params"], examples[first])
    text = t("cases.failed", case=first + 1, count=len(examples), call=call, problem=problem.text)
    return Verdict(False, feedback=with_mistake(text, mistake, ctx.part), counterexample=call, example=text,
                   misconception=mistake, examples=len(examples), details={"failed_examples": len(failing)})
