"""The property check every exercise reuses: the student's function against the reference
on Hypothesis-drawn inputs, with the failure shrunk to a minimal counterexample."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.checks import CheckContext, Verdict
from grader.sandbox.client import Reply


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


def against_reference(ctx: CheckContext, *, function: str, names: Sequence[str],
                      strategy: Callable[[], Any], expected_of: Callable[..., Any], judge: Judge,
                      max_examples: int, classify: Callable[[list[Reply], list[Any]], str | None] | None = None,
                      ) -> Verdict:
    """Pass when every drawn input gives the reference's answer; otherwise explain the smallest failure."""
    examples = ctx.examples(strategy, max_examples)
    expected = ctx.memo(f"expected:{max_examples}", lambda: [expected_of(*example) for example in examples])
    session = ctx.session()
    replies = session.map(function, examples)
    failures = [(index, problem) for index, reply in enumerate(replies)
                if (problem := judge(reply, expected[index], examples[index])) is not None]
    if not failures:
        return Verdict(True, examples=len(examples))
    misconception = classify(replies, examples) if classify else None
    first_index, first_problem = failures[0]

    def probe(example: Any) -> Problem | None:
        return judge(session.call(function, *example), expected_of(*example), example)

    from grader import hypo

    budget = min(3.0, max(0.0, ctx.seconds_left() - 1.0))
    found = hypo.shrink(strategy(), ctx.spec.seed, max_examples, probe, budget) if budget > 0.2 else None
    example, problem = found if found is not None else (examples[first_index], first_problem)
    call = render_call(function, names, example)
    return Verdict(False, feedback=f"{call} {problem.text}", counterexample=call,
                   misconception=misconception or problem.misconception, examples=len(examples),
                   details={"failed_examples": len(failures)})
