"""The linear-regression exercise's checks: small functions the grading engine runs.

Each TODO is checked in isolation: the Loss checks call only the student's Loss, the
gradient checks only their gradient_descent (the grader does the update), and the
update checks run their main() with gradient_descent, Loss and linear_model replaced
by the grader's stand-ins. So one mistake costs points in one part only.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any

import numpy as np
from grader.checks import CheckContext, Verdict, describe_reply
from grader.properties import Problem, against_reference, render_call
from grader.sandbox.client import Callback, Reply, Script
from grader.values import as_scalar, as_vector, close, format_array, format_number, nan_problem

# ----------------------------------------------------------------- shared data


def _data(ctx: CheckContext) -> tuple[np.ndarray, np.ndarray, float, int, int]:
    data = ctx.data
    X = np.array(data["X"]).reshape((-1, 1))
    y = np.array(data["y"], dtype=np.float64).reshape((-1, 1))
    return X, y, float(data["lr"]), int(data["iterations"]), int(data["print_every"])


def _checkpoints(ctx: CheckContext) -> list[int]:
    _, _, _, iterations, every = _data(ctx)
    return list(range(0, iterations, every))


def reference_path(ctx: CheckContext) -> tuple[np.ndarray, np.ndarray]:
    """The reference main()'s weights before every call of gradient_descent, and the gradients.

    Computed in the grader's process by running the reference's own main() with its
    gradient_descent wrapped to record; memoized for the whole batch.
    """

    def compute() -> tuple[np.ndarray, np.ndarray]:
        reference = ctx.reference
        assert reference is not None, "this check needs the reference solution"
        original = reference.gradient_descent
        weights: list[tuple[float, float]] = []
        gradients: list[np.ndarray] = []

        def recording(w0: Any, w1: Any, X: Any, y: Any) -> Any:
            weights.append((float(w0), float(w1)))
            result = original(w0, w1, X, y)
            gradients.append(np.asarray(result, dtype=np.float64).ravel())
            return result

        reference.gradient_descent = recording
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                final = reference.main()
        finally:
            reference.gradient_descent = original
        weights.append((float(final[0]), float(final[1])))
        return np.array(weights), np.array(gradients)

    result: tuple[np.ndarray, np.ndarray] = ctx.memo("reference-path", compute)
    return result


def _document(ctx: CheckContext) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    data = ctx.data
    return (np.array(data["document_losses"], dtype=np.float64),
            np.array(data["document_weights"], dtype=np.float64),
            np.array(data["final_weights"], dtype=np.float64))


def _table(ctx: CheckContext, student: list[tuple[float, float] | None]) -> dict[str, Any]:
    """Checkpoint rows (iteration, student's w0, w1, document's w0, w1) and the first that diverges."""
    _, weights, _ = _document(ctx)
    rows = []
    first_bad = None
    for index, iteration in enumerate(_checkpoints(ctx)):
        mine = student[index] if index < len(student) else None
        expected = weights[index]
        ok = mine is not None and close(np.array(mine), expected, ctx.rtol)
        if not ok and first_bad is None:
            first_bad = iteration
        rows.append({"iteration": iteration, "student": list(mine) if mine is not None else None,
                     "document": [float(expected[0]), float(expected[1])], "ok": bool(ok)})
    return {"checkpoints": rows, "first_diverging": first_bad}


def _diverging_text(table: dict[str, Any]) -> str:
    first = table["first_diverging"]
    if first is None:
        return ""
    row = next(r for r in table["checkpoints"] if r["iteration"] == first)
    mine = ("not reached" if row["student"] is None
            else f"w0, w1 = {format_number(row['student'][0])}, {format_number(row['student'][1])}")
    return (f"first diverging checkpoint: iteration {first}: {mine}; the document prints "
            f"{format_number(row['document'][0])}, {format_number(row['document'][1])}")


# ------------------------------------------------------------------------ Loss


def _judge_loss(rtol: float) -> Any:
    def judge(reply: Reply, expected: float, example: Any) -> Problem | None:
        problem = describe_reply(reply)
        if problem is not None:
            return Problem(problem)
        assert reply.value is not None
        coerced = as_scalar(reply.value)
        if coerced.values is None:
            return Problem(coerced.problem or "returned something that is not a number",
                           "per_element_array" if reply.value.kind == "array" else None)
        got = coerced.values[:1]
        want = np.array([expected], dtype=np.float64)
        if close(got, want, rtol):
            return None
        special = nan_problem(got, want)
        text = f"returned {format_number(got[0])}; expected {format_number(want[0])}"
        return Problem(f"{text} ({special})" if special else text)

    return judge


def loss_trajectory(ctx: CheckContext) -> Verdict:
    """Loss at the document's ten checkpoints, where the expected values are what the document printed."""
    X, y, *_ = _data(ctx)
    losses, weights, _ = _document(ctx)
    inputs = [((w0 + w1 * X).astype(np.float64), y) for w0, w1 in weights]
    replies = ctx.session().map("Loss", inputs)
    judge = _judge_loss(ctx.rtol)
    for iteration, reply, args, expected in zip(_checkpoints(ctx), replies, inputs, losses):
        problem = judge(reply, float(expected), args)
        if problem is not None:
            call = render_call("Loss", ("f_x", "y"), args)
            return Verdict(False, f"at the document's checkpoint {iteration}, {call} {problem.text}",
                           counterexample=call, examples=len(inputs), misconception=problem.misconception)
    return Verdict(True, examples=len(inputs))


def _loss_inputs() -> Any:
    """(f_x, y): n from 1, shapes (n, 1) and (n,), magnitudes from 1e-3 to 1e7."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    @st.composite
    def inputs(draw: Any) -> tuple[np.ndarray, np.ndarray]:
        n = draw(st.integers(1, 12))
        shape = draw(st.sampled_from([(n, 1), (n,)]))
        scale = draw(st.sampled_from([1.0, 1e-3, 1e3, 1e6]))
        elements = st.floats(-10, 10, allow_nan=False, allow_infinity=False, width=64)
        f_x = draw(hnp.arrays(np.float64, shape, elements=elements)) * scale
        y = draw(hnp.arrays(np.float64, shape, elements=elements)) * scale
        return f_x, y

    return inputs()


def _reference_loss(ctx: CheckContext) -> Any:
    reference = ctx.reference
    assert reference is not None
    return lambda f_x, y: float(np.asarray(reference.Loss(f_x, y), dtype=np.float64).ravel()[0])


def loss_matches_reference(ctx: CheckContext) -> Verdict:
    return against_reference(ctx, function="Loss", names=("f_x", "y"), strategy=_loss_inputs,
                             expected_of=_reference_loss(ctx), judge=_judge_loss(ctx.rtol),
                             max_examples=int(ctx.option("max_examples", 100)))


# -------------------------------------------------------------- gradient_descent


def _gradient_scale(w0: Any, w1: Any, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The magnitude of the summed terms, so that a sum cancelling to ~0 is judged fairly."""
    with np.errstate(all="ignore"):
        residual = np.abs(np.asarray(y, dtype=np.float64) - (w0 + w1 * np.asarray(X, dtype=np.float64)))
        return np.array([2 * np.mean(residual), 2 * np.mean(residual * np.abs(X))])


def _judge_gradient(rtol: float) -> Any:
    def judge(reply: Reply, expected: np.ndarray, example: Any) -> Problem | None:
        problem = describe_reply(reply)
        if problem is not None:
            return Problem(problem)
        assert reply.value is not None
        coerced = as_vector(reply.value, 2)
        if coerced.values is None:
            return Problem(coerced.problem or "did not return two numbers")
        got = coerced.values
        want = np.asarray(expected, dtype=np.float64)
        if close(got, want, rtol, _gradient_scale(*example)):
            return None
        special = nan_problem(got, want)
        text = f"returned {format_array(got)}; expected {format_array(want)}"
        return Problem(f"{text} ({special})" if special else text)

    return judge


def _grad_call(X: np.ndarray, y: np.ndarray, w0: float, w1: float) -> tuple[Any, ...]:
    return (w0, w1, X, y)


def gradient_trajectory(ctx: CheckContext) -> Verdict:
    """The document's 1000 iterations with the student's gradient and the grader doing the update."""
    X, y, lr, iterations, _ = _data(ctx)
    path, gradients = reference_path(ctx)
    judge = _judge_gradient(ctx.rtol)
    session = ctx.session()
    points = [_grad_call(X, y, float(w0), float(w1)) for w0, w1 in path[:-1]]
    replies = session.map("gradient_descent", points)
    bad = next((i for i, r in enumerate(replies) if judge(r, gradients[i], points[i]) is not None), None)
    if bad is None:
        return Verdict(True, examples=len(points))
    problem = judge(replies[bad], gradients[bad], points[bad])
    assert problem is not None
    call = render_call("gradient_descent", ("w0", "w1", "X", "y"), points[bad])
    first = f"at iteration {bad}, {call} {problem.text}"
    # Where the student's own gradient leads: the trajectory they would print.
    w = np.zeros(2)
    student: list[tuple[float, float] | None] = []
    for iteration in range(iterations):
        if ctx.seconds_left() < 0.5:
            break
        reply = session.call("gradient_descent", *_grad_call(X, y, float(w[0]), float(w[1])))
        if reply.kind != "returned" or reply.value is None:
            break
        vector = as_vector(reply.value, 2).values
        if vector is None:
            break
        with np.errstate(all="ignore"):
            w = w - lr * vector
        if iteration % int(ctx.data["print_every"]) == 0:
            student.append((float(w[0]), float(w[1])))
    table = _table(ctx, student)
    diverging = _diverging_text(table)
    return Verdict(False, f"{first}; {diverging}" if diverging else first, counterexample=call,
                   examples=len(points), misconception=problem.misconception, details=table)


def _gradient_inputs() -> Any:
    """(w0, w1, X, y): n from 1, shapes (n, 1) and (n,), magnitudes from 1e-3 to 1e4."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    @st.composite
    def inputs(draw: Any) -> tuple[Any, ...]:
        n = draw(st.integers(1, 12))
        shape = draw(st.sampled_from([(n, 1), (n,)]))
        scale = draw(st.sampled_from([1.0, 1e-3, 1e3]))
        elements = st.floats(-10, 10, allow_nan=False, allow_infinity=False, width=64)
        X = draw(hnp.arrays(np.float64, shape, elements=elements)) * scale
        y = draw(hnp.arrays(np.float64, shape, elements=elements)) * scale
        w0 = draw(st.floats(-10, 10, allow_nan=False, allow_infinity=False))
        w1 = draw(st.floats(-10, 10, allow_nan=False, allow_infinity=False))
        return (w0, w1, X, y)

    return inputs()


def _reference_gradient(ctx: CheckContext) -> Any:
    reference = ctx.reference
    assert reference is not None
    return lambda w0, w1, X, y: np.asarray(reference.gradient_descent(w0, w1, X, y), dtype=np.float64).ravel()


def gradient_matches_reference(ctx: CheckContext) -> Verdict:
    return against_reference(ctx, function="gradient_descent", names=("w0", "w1", "X", "y"),
                             strategy=_gradient_inputs, expected_of=_reference_gradient(ctx),
                             judge=_judge_gradient(ctx.rtol), max_examples=int(ctx.option("max_examples", 100)))


# ------------------------------------------------------------------- the update


def _stand_ins(gradients: Script | Callback, X: np.ndarray) -> dict[str, Script | Callback]:
    """main() runs with these in place of the student's other two TODOs (and linear_model)."""
    return {"gradient_descent": gradients, "Loss": Script([0.0]),
            "linear_model": Script([np.zeros(X.shape)])}


def _judge_steps(ctx: CheckContext, reply: Reply, gradients: np.ndarray) -> str | None:
    """Every step w_{k+1} = w_k - lr * g_k, once per iteration, from (0, 0), and main returns the last w."""
    _, _, lr, iterations, _ = _data(ctx)
    problem = describe_reply(reply)
    if problem is not None:
        return f"main() {problem}"
    calls = reply.records.get("gradient_descent", np.zeros((0, 2)))
    if reply.non_scalar.get("gradient_descent"):
        return ("w0 and w1 became arrays instead of numbers: update each weight with its own entry of gd "
                "(gd[0] for w0, gd[1] for w1)")
    if len(calls) != iterations:
        return (f"main() called gradient_descent {len(calls)} times; expected exactly once per iteration "
                f"({iterations} times), and both weights updated from that one gradient")
    assert reply.value is not None
    returned = as_vector(reply.value, 2)
    if returned.values is None:
        return f"main() {returned.problem}"
    g = np.array([gradients[k % len(gradients)] for k in range(iterations)])
    with np.errstate(all="ignore"):
        expected_next = calls - lr * g
    after = np.vstack([calls[1:], returned.values[None, :]])
    if not close(calls[0], np.zeros(2), ctx.rtol):
        return f"the weights start at {format_array(calls[0])}; expected [0, 0]"
    scale = np.abs(calls) + lr * np.abs(g)
    with np.errstate(all="ignore"):
        ok = np.abs(after - expected_next) <= ctx.rtol * (np.abs(expected_next) + scale)
    wrong = np.flatnonzero(~ok.all(axis=1))
    if wrong.size:
        k = int(wrong[0])
        return (f"with gd = {format_array(g[k])}, update {k + 1} took (w0, w1) from {format_array(calls[k])} "
                f"to {format_array(after[k])}; expected {format_array(expected_next[k])} "
                f"(w ← w − lr·gd with lr = {lr:g})")
    return None


def update_trajectory(ctx: CheckContext) -> Verdict:
    """The student's main() with the reference's gradients: the document's trajectory, step by step."""
    X, y, lr, iterations, every = _data(ctx)
    path, gradients = reference_path(ctx)
    session = ctx.session()
    scripted = Script([g for g in gradients], record=(0, 1))
    (reply,) = session.run("main", [], [_stand_ins(scripted, X)])
    problem = _judge_steps(ctx, reply, gradients)
    if problem is None:
        return Verdict(True, examples=1)
    # Where the student's update leads with true gradients: the trajectory they would print.
    reference = ctx.reference
    assert reference is not None
    X_float = X.astype(np.float64)
    live = Callback(lambda w0, w1, *_: np.asarray(reference.gradient_descent(w0, w1, X_float, y)).ravel(),
                    record=(0, 1))
    student: list[tuple[float, float] | None] = []
    try:
        (true_run,) = session.run("main", [], [_stand_ins(live, X)])
        weights = true_run.records.get("gradient_descent", np.zeros((0, 2)))
        final = as_vector(true_run.value, 2).values if true_run.value is not None else None
        after = list(weights[1:]) + ([final] if final is not None else [])
        student = [(float(after[i][0]), float(after[i][1])) if i < len(after) else None
                   for i in range(0, iterations, every)]
    except Exception:
        student = []
    table = _table(ctx, student)
    diverging = _diverging_text(table)
    return Verdict(False, f"{problem}; {diverging}" if diverging else problem, examples=1, details=table)


def _gradient_scripts() -> Any:
    """What the stand-in gradient_descent returns, in turn: one to three pairs of gradients."""
    from hypothesis import strategies as st

    magnitude = st.one_of(st.just(0.0), st.floats(-1000, 1000, allow_nan=False, allow_infinity=False))
    return st.lists(st.tuples(magnitude, magnitude), min_size=1, max_size=3)


def update_steps(ctx: CheckContext) -> Verdict:
    """main() with gradient_descent replaced by generated gradients: every one of the steps is checked."""
    X, *_ = _data(ctx)
    max_examples = int(ctx.option("max_examples", 30))
    scripts = ctx.examples(_gradient_scripts, max_examples)
    session = ctx.session()

    def variant(script: list[tuple[float, float]]) -> dict[str, Script | Callback]:
        return _stand_ins(Script([np.array(pair, dtype=np.float64) for pair in script], record=(0, 1)), X)

    replies = session.run("main", [], [variant(script) for script in scripts])
    failing = [(i, p) for i, r in enumerate(replies)
               if (p := _judge_steps(ctx, r, np.array(scripts[i], dtype=np.float64))) is not None]
    if not failing:
        return Verdict(True, examples=len(scripts))

    def probe(script: list[tuple[float, float]]) -> str | None:
        (reply,) = session.run("main", [], [variant(script)])
        return _judge_steps(ctx, reply, np.array(script, dtype=np.float64))

    from grader import hypo

    budget = min(3.0, max(0.0, ctx.seconds_left() - 1.0))
    found = hypo.shrink(_gradient_scripts(), ctx.spec.seed, max_examples, probe, budget) if budget > 0.2 else None
    script, problem = found if found is not None else (scripts[failing[0][0]], failing[0][1])
    shown = ", ".join(format_array(np.array(pair)) for pair in script)
    setting = (f"gradient_descent returning {shown} in turn" if len(script) > 1
               else f"gradient_descent always returning {shown}")
    counterexample = f"main() with {setting}"
    return Verdict(False, f"{counterexample}: {problem}", counterexample=counterexample, examples=len(scripts),
                   details={"failed_examples": len(failing)})
