"""Check kind `against_reference`: the function on drawn inputs, against the reference's answers.

The inputs are drawn by Hypothesis from the spec's declarations when the exercise is built (and
stored, so the grade never depends on the installed Hypothesis); fixed examples come first. On a
failure, official grading asks Hypothesis for the smallest failing input (the reference answers
each probe here, in the grader); the self-check, which has no reference, shows the smallest of its
stored failing inputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader import hypo
from grader.checks.answers import grade_answers, mistake_of, quietly, stand_ins
from grader.checks.answers import prepare as prepare_answers
from grader.checks.context import CheckContext, PrepareContext, Verdict
from grader.checks.judge import Problem, judge, render_call, scale_of
from grader.checks.mistakes import with_mistake
from grader.errors import SpecError
from grader.plain import normalize
from grader.spec import inputs
from grader.spec.kinds import AgainstReference


def _config(check: Any) -> AgainstReference:
    assert isinstance(check.config, AgainstReference)
    return check.config


def strategy(ctx: CheckContext | PrepareContext) -> Any:
    config = _config(ctx.check)
    spec_let = {key: value for key, value in ctx.spec.let.items() if key not in config.args}
    return inputs.strategy({**spec_let, **config.let}, config.args)


def prepare(ctx: PrepareContext) -> dict[str, Any]:
    config = _config(ctx.check)
    params = ctx.reference.params(ctx.check.function)
    required = {p for p in params if p not in ctx.reference.defaults(ctx.check.function)}
    declared = list(config.args)
    if not required <= set(declared) or not set(declared) <= set(params):
        raise ctx.where("args").error(f"declares {', '.join(declared)}; the reference's {ctx.check.function} takes "
                                      f"{', '.join(params)}")
    if declared != [p for p in params if p in declared]:
        raise ctx.where("args").error(f"declare the arguments in the order {ctx.check.function} takes them: "
                                      f"{', '.join(p for p in params if p in declared)}")
    try:
        drawn = hypo.draw_examples(strategy(ctx), ctx.seed, config.examples)
    except SpecError:
        raise
    except Exception as error:
        raise ctx.where("args").error(f"Hypothesis cannot draw these inputs ({type(error).__name__}: "
                                      f"{str(error)[:300]})") from None
    examples = [tuple(example) for example in config.fixed] + [tuple(example) for example in drawn]
    stored = prepare_answers(ctx, examples, None, config.uses)
    stored["params"] = declared
    return stored


def _size(example: Any) -> tuple[int, int]:
    """How simple an input is to read: its number of values, then the length of their digits
    (0.5 reads better than 1.380953e-297)."""
    flat = [np.ravel(np.asarray(v, dtype=np.float64)) for v in example if isinstance(v, (int, float, np.ndarray))]
    values = [float(v) for a in flat for v in a.tolist()]
    return len(values), sum(len(repr(v)) for v in values)


def run(ctx: CheckContext) -> Verdict:
    config = _config(ctx.check)
    stored = ctx.stored
    judged = grade_answers(ctx, config)
    failing = judged.failing
    examples = stored["examples"]
    if not failing:
        return Verdict(True, examples=len(examples))
    mistake = mistake_of(ctx, judged)
    names, fn = stored["params"], ctx.check.function
    first = min(failing, key=lambda i: _size(examples[i]))
    example, problem = examples[first], judged.problems[first]
    if ctx.reference is not None:
        found = _shrink(ctx, config, names)
        if found is not None:
            example, problem = found
    assert problem is not None
    call = render_call(fn, names, example)
    text = f"{call} {problem.text}"
    return Verdict(False, feedback=with_mistake(text, mistake, ctx.part), counterexample=call, example=text,
                   misconception=mistake, examples=len(examples), details={"failed_examples": len(failing)})


def _shrink(ctx: CheckContext, config: AgainstReference, names: list[str]) -> tuple[Any, Problem] | None:
    """Hypothesis's smallest failing input; the reference answers each probe here."""
    reference = ctx.reference
    assert reference is not None
    fn = ctx.check.function
    function = reference.function(fn)
    uses = stand_ins(ctx, config.uses)
    session = ctx.session()

    def probe(example: Any) -> Problem | None:
        try:
            expected = normalize(quietly(function, *example))
        except Exception:
            return None  # the reference cannot answer this input: it tells nothing
        if expected is None:
            return None
        try:
            scale = scale_of(config.tolerance, names, example, ctx.spec.data, ctx.where("scale"))
        except SpecError:
            scale = 0.0
        return judge(session.call(fn, *example, stand_ins=uses), expected, config.returns, config.tolerance, scale)

    return ctx.shrink(lambda: strategy(ctx), config.examples, probe)
