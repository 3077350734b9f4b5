"""Check kind `cases`: the function on listed inputs, with expected values from the reference or
written in the spec (a lesson's printed numbers, say).

    cases = "[(w0 + w1 * X, y) for w0, w1 in document_weights]"    an expression over [data]
    cases = [{ z = 0.0 }, { z = [-1.0, 2.0] }]                     or one table per call
    expected = "document_losses"                                   omitted: the reference's answers
"""

from __future__ import annotations

from typing import Any

from grader.checks.answers import grade_answers, mistake_of
from grader.checks.answers import prepare as prepare_answers
from grader.checks.context import CheckContext, PrepareContext, Verdict
from grader.checks.judge import render_call
from grader.checks.mistakes import with_mistake
from grader.messages import t
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
    given = None
    if config.expected is not None:
        value = resolve(config.expected, data, ctx.where("expected"))
        given = list(value) if hasattr(value, "__len__") else [value]
    return prepare_answers(ctx, [tuple(e) for e in examples], given, config.uses)


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
