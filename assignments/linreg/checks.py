"""The linear-regression exercise's checks: small functions the grading engine runs.

Each TODO is checked in isolation: the Loss checks call only the student's Loss, the
gradient checks only their gradient_descent (the grader does the update), and the
update checks run their main() with gradient_descent, Loss and linear_model replaced
by the grader's stand-ins. So one mistake costs points in one part only.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.checks import CheckContext, Verdict, describe_reply
from grader.messages import t
from grader.properties import (
    Catalogue,
    Problem,
    against_reference,
    catalogue_path,
    classify_values,
    evaluate,
    informative,
    load_catalogue,
    render_call,
    reply_numbers,
    special_problem,
    value_problem,
    with_misconception,
)
from grader.sandbox.client import Callback, Reply, Script, Spy, StandIn
from grader.values import Value, as_scalar, as_vector, close, format_array, format_number

LOSS_NAMES = ("f_x", "y")
GRADIENT_NAMES = ("w0", "w1", "X", "y")

# ----------------------------------------------------------------- shared data


def _data(ctx: CheckContext) -> tuple[np.ndarray, np.ndarray, float, int, int]:
    data = ctx.data
    X = np.array(data["X"]).reshape((-1, 1))
    y = np.array(data["y"], dtype=np.float64).reshape((-1, 1))
    return X, y, float(data["lr"]), int(data["iterations"]), int(data["print_every"])


def _catalogue(ctx: CheckContext) -> Catalogue:
    """The exercise's typical wrong answers (misconceptions.toml), read once per batch."""
    selfcheck = ctx.spec.data.get("selfcheck", {})
    result: Catalogue = ctx.shared.get((ctx.spec.digest, "misconceptions"),
                                       lambda: load_catalogue(catalogue_path(ctx.spec.directory, selfcheck)))
    return result


def _official(ctx: CheckContext) -> bool:
    """Official grading has the reference; the self-check has only the document and stored numbers."""
    return ctx.reference is not None


def _stored(ctx: CheckContext) -> dict[str, Any]:
    """The self-check's numbers (fixed inputs, expected values, each mistake's values), read once per batch."""
    from grader.selfcheck import load_data

    result: dict[str, Any] = ctx.shared.get((ctx.spec.digest, "selfcheck-data"), lambda: load_data(ctx.spec))
    return result


def _loss_scale(f_x: Any, y: Any) -> float:
    """A bound on the magnitude of the terms a loss sums ((|f_x| + |y|)² for each sample)."""
    with np.errstate(all="ignore"):
        bound = np.abs(np.asarray(y, dtype=np.float64)) + np.abs(np.asarray(f_x, dtype=np.float64))
        return float(np.mean(bound * bound)) if bound.size else 0.0


def _candidates(ctx: CheckContext, part: str, names: tuple[str, ...], inputs: list[Any],
                key: str | None) -> dict[str, list[list[np.ndarray | None]]]:
    """Each mistake's answers on these inputs: computed from the catalogue's expressions when grading
    officially; read from the stored self-check data (computed ahead, numbers only) otherwise."""
    if _official(ctx):
        entries = [m for m in _catalogue(ctx).of(part) if m.exprs]

        def compute() -> dict[str, list[list[np.ndarray | None]]]:
            return {m.id: [[evaluate(expr, names, args) for args in inputs] for expr in m.exprs] for m in entries}

        if key is None:  # inputs of this submission's own (e.g. its own trajectory): nothing to share
            return compute()
        result: dict[str, list[list[np.ndarray | None]]] = ctx.memo(f"wrong:{key}:{len(inputs)}", compute)
        return result
    stored = _stored(ctx).get(part, {}).get(key, {}).get("misconceptions", {})
    return {ident: [[None if v is None else np.asarray(v, dtype=np.float64).ravel() for v in alternative]
                    for alternative in alternatives] for ident, alternatives in stored.items()}


def _classify(ctx: CheckContext, part: str, names: tuple[str, ...], key: str | None, replies: list[Reply],
              inputs: list[Any], expected: list[Any], scale_of: Any) -> str | None:
    try:
        candidates = _candidates(ctx, part, names, inputs, key)
        if not candidates:
            return None
        student = [reply_numbers(reply) for reply in replies]
        rtol = max(10 * ctx.rtol, 1e-6)

        def shared() -> tuple[list[float], dict[str, list[list[int]]]]:
            scales = [scale_of(*args) for args in inputs]
            return scales, {ident: [informative(expected, wrong, rtol, scales) for wrong in alternatives]
                            for ident, alternatives in candidates.items()}

        # the same drawn inputs for every submission of a batch: where each mistake shows, once
        scales, where = shared() if key is None else ctx.memo(f"informative:{part}:{key}:{len(inputs)}", shared)
        return classify_values(student, expected, candidates, rtol, scales, where)
    except (ArithmeticError, ValueError, TypeError, IndexError, KeyError):
        return None  # naming the mistake only improves the feedback: it never decides the grade


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


def _table(ctx: CheckContext, student: list[tuple[float, float] | None],
           expected_weights: np.ndarray | None = None) -> dict[str, Any]:
    """Checkpoint rows (iteration, student's w0, w1, document's w0, w1) and the first that diverges.

    With `expected_weights`, the rows compare against those instead of the document's (`against`)."""
    weights = _document(ctx)[1] if expected_weights is None else expected_weights
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
    return {"checkpoints": rows, "first_diverging": first_bad,
            "against": "document" if expected_weights is None else "expected"}


def _diverging_text(table: dict[str, Any]) -> str:
    first = table["first_diverging"]
    if first is None:
        return ""
    row = next(r for r in table["checkpoints"] if r["iteration"] == first)
    mine = (t("table.not_reached") if row["student"] is None
            else t("table.weights", w0=format_number(row["student"][0]), w1=format_number(row["student"][1])))
    against = table.get("against", "document")
    key = "table.first_diverging" if against == "document" else "table.first_diverging_expected"
    return t(key, iteration=first, mine=mine, w0=format_number(row["document"][0]),
             w1=format_number(row["document"][1]))


# ------------------------------------------------------------------------ Loss


def _judge_loss(rtol: float) -> Any:
    def judge(reply: Reply, expected: float, example: Any) -> Problem | None:
        problem = describe_reply(reply)
        if problem is not None:
            return Problem(problem)
        assert reply.value is not None
        coerced = as_scalar(reply.value)
        if coerced.values is None:
            return Problem(value_problem(reply.value, None),
                           "per_element_array" if reply.value.kind == "array" else None)
        got = coerced.values[:1]
        want = np.array([expected], dtype=np.float64)
        if close(got, want, rtol):
            return None
        special = special_problem(got, want)
        text = t("value.returned_expected", got=format_number(got[0]), expected=format_number(want[0]))
        return Problem(f"{text} ({special})" if special else text)

    return judge


def loss_trajectory_inputs(data: dict[str, Any]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(f_x, y) at the document's ten printed weights: the inputs whose losses the document prints."""
    X = np.array(data["X"]).reshape((-1, 1))
    y = np.array(data["y"], dtype=np.float64).reshape((-1, 1))
    return [((w0 + w1 * X).astype(np.float64), y) for w0, w1 in data["document_weights"]]


def loss_trajectory(ctx: CheckContext) -> Verdict:
    """Loss at the document's ten checkpoints, where the expected values are what the document printed."""
    losses, _, _ = _document(ctx)
    inputs = loss_trajectory_inputs(ctx.data)
    replies = ctx.session().map("Loss", inputs, independent=True)  # the document prints their answers
    judge = _judge_loss(ctx.rtol)
    for iteration, reply, args, expected in zip(_checkpoints(ctx), replies, inputs, losses, strict=False):
        problem = judge(reply, float(expected), args)
        if problem is not None:
            call = render_call("Loss", LOSS_NAMES, args)
            misconception = _classify(ctx, "Loss", LOSS_NAMES, "trajectory", replies, inputs,
                                      [float(v) for v in losses], _loss_scale) or problem.misconception
            text = t("loss.at_checkpoint", iteration=iteration, call=call, problem=problem.text)
            return Verdict(False, with_misconception(text, misconception, _catalogue(ctx).explainer("Loss")),
                           counterexample=call, examples=len(inputs), misconception=misconception)
    return Verdict(True, examples=len(inputs))


def _column(draw: Any, n: int, shape: tuple[int, ...], scale: float) -> np.ndarray:
    """n floats in [-10, 10] times scale, as an array of `shape` (lists draw and shrink far faster
    than hypothesis.extra.numpy.arrays, which is most of a shrink's time)."""
    from hypothesis import strategies as st

    values = draw(st.lists(st.floats(-10, 10, allow_nan=False, allow_infinity=False), min_size=n, max_size=n))
    return np.array(values, dtype=np.float64).reshape(shape) * scale


def _loss_inputs() -> Any:
    """(f_x, y): n from 1, shapes (n, 1) and (n,), magnitudes from 1e-3 to 1e7."""
    from hypothesis import strategies as st

    @st.composite
    def inputs(draw: Any) -> tuple[np.ndarray, np.ndarray]:
        n = draw(st.integers(1, 12))
        shape = draw(st.sampled_from([(n, 1), (n,)]))
        scale = draw(st.sampled_from([1.0, 1e-3, 1e3, 1e6]))
        return _column(draw, n, shape, scale), _column(draw, n, shape, scale)

    return inputs()


def _reference_loss(ctx: CheckContext) -> Any:
    reference = ctx.reference
    assert reference is not None
    return lambda f_x, y: float(np.asarray(reference.Loss(f_x, y), dtype=np.float64).ravel()[0])


def loss_matches_reference(ctx: CheckContext) -> Verdict:
    def classify(replies: list[Reply], examples: list[Any], expected: list[Any]) -> str | None:
        return _classify(ctx, "Loss", LOSS_NAMES, "examples", replies, examples, expected, _loss_scale)

    return against_reference(ctx, function="Loss", names=LOSS_NAMES, strategy=_loss_inputs,
                             expected_of=_reference_loss(ctx), judge=_judge_loss(ctx.rtol),
                             max_examples=int(ctx.option("max_examples", 100)), classify=classify,
                             explain=_catalogue(ctx).explainer("Loss"))


# -------------------------------------------------------------- gradient_descent


def _gradient_scale(w0: Any, w1: Any, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A bound on the magnitude of the summed terms, so that a sum cancelling to ~0 is judged fairly
    (|y| + |w0| + |w1·X| bounds each term from above, by the triangle inequality)."""
    with np.errstate(all="ignore"):
        X = np.asarray(X, dtype=np.float64)
        bound = np.abs(np.asarray(y, dtype=np.float64)) + abs(float(w0)) + np.abs(float(w1) * X)
        return np.array([2 * np.mean(bound), 2 * np.mean(bound * np.abs(X))])


def _judge_gradient(rtol: float) -> Any:
    def judge(reply: Reply, expected: np.ndarray, example: Any) -> Problem | None:
        problem = describe_reply(reply)
        if problem is not None:
            return Problem(problem)
        assert reply.value is not None
        coerced = as_vector(reply.value, 2)
        if coerced.values is None:
            return Problem(value_problem(reply.value, 2))
        got = coerced.values
        want = np.asarray(expected, dtype=np.float64)
        # the scale only widens the bound: needed only when the plain comparison fails
        if close(got, want, rtol) or close(got, want, rtol, _gradient_scale(*example)):
            return None
        special = special_problem(got, want)
        text = t("value.returned_expected", got=format_array(got), expected=format_array(want))
        return Problem(f"{text} ({special})" if special else text)

    return judge


def _grad_call(X: np.ndarray, y: np.ndarray, w0: float, w1: float) -> tuple[Any, ...]:
    return (w0, w1, X, y)


def gradient_trajectory(ctx: CheckContext) -> Verdict:
    """The document's 1000 iterations with the student's gradient and the grader doing the update.

    The loop follows the student's own gradients, so the student's process only ever sees
    points its own answers produced: nothing about the reference's path (whose steps
    (w_k - w_k+1) / lr are the very gradients checked) reaches it."""
    X, y, _, _, _ = _data(ctx)
    walk = _walk_student_gradient(ctx, ctx.session())
    table = _table(ctx, walk.checkpoints)
    _, _, final = _document(ctx)
    final_ok = walk.final is not None and close(np.asarray(walk.final), final, ctx.rtol)
    if walk.problem is None and table["first_diverging"] is None and final_ok:
        return Verdict(True, examples=len(walk.weights))
    reference = _reference_gradient(ctx)
    judge = _judge_gradient(ctx.rtol)
    bad, problem = None, None
    for k, (w0, w1) in enumerate(walk.weights):  # the first wrong answer, usually at iteration 0
        problem = judge(walk.reply(k), reference(w0, w1, X, y), _grad_call(X, y, w0, w1))
        if problem is not None:
            bad = k
            break
    misconception = None
    if bad is not None and problem is not None:
        window = range(bad, min(bad + 20, len(walk.weights)))
        points = [_grad_call(X, y, *walk.weights[k]) for k in window]
        call = render_call("gradient_descent", GRADIENT_NAMES, points[0])
        first = t("grad.at_iteration", iteration=bad, call=call, problem=problem.text)
        misconception = _classify(ctx, "gradient_descent", GRADIENT_NAMES, None, [walk.reply(k) for k in window],
                                  points, [reference(*point) for point in points],
                                  _gradient_scale_max) or problem.misconception
    else:
        call = None
        first = walk.problem or t("grad.document_path")
    diverging = _diverging_text(table)
    text = f"{first}; {diverging}" if diverging else first
    return Verdict(False, with_misconception(text, misconception, _catalogue(ctx).explainer("gradient_descent")),
                   counterexample=call, examples=len(walk.weights), misconception=misconception, details=table)


def _gradient_scale_max(*example: Any) -> float:
    return float(np.max(_gradient_scale(*example)))


@dataclass
class GradientWalk:
    """The student's own trajectory: the weights before each call, each answer (two numbers),
    the printed checkpoints, and the problem that stopped it early (if one did)."""

    weights: list[tuple[float, float]] = field(default_factory=list)  # one more than answers after a stop
    answers: list[tuple[float, float]] = field(default_factory=list)
    checkpoints: list[tuple[float, float] | None] = field(default_factory=list)
    final: tuple[float, float] | None = None
    problem: str | None = None
    stop: Reply | None = None  # the reply that ended the walk early (raised, missing, not two numbers)

    def reply(self, step: int) -> Reply:
        """The answer of one step as the reply it was (only the failure path needs these)."""
        if step == len(self.answers) and self.stop is not None:
            return self.stop
        return Reply("returned", value=Value("array", "ndarray", dtype="float64", shape=(2,),
                                             data=np.array(self.answers[step], dtype=np.float64)))

    def follow(self, answers: list[list[float]], lr: float, every: int) -> tuple[float, float]:
        """Take these steps from the last point (the same double arithmetic as the student's side)."""
        w0, w1 = self.final if self.final is not None else (0.0, 0.0)
        weights, checkpoints = self.weights, self.checkpoints
        iteration = len(self.answers)
        for g0, g1 in answers:
            weights.append((w0, w1))
            w0, w1 = w0 - lr * g0, w1 - lr * g1
            if iteration % every == 0:
                checkpoints.append((w0, w1))
            iteration += 1
        self.answers.extend((g0, g1) for g0, g1 in answers)
        self.final = (w0, w1)
        return w0, w1


def _walk_student_gradient(ctx: CheckContext, session: Any) -> GradientWalk:
    """Where the student's own gradient leads with the update w <- w - lr*gd.

    The student's process runs the loop on its own answers (one round trip, not one per
    iteration) and sends back each answer; the weights are recomputed here, so a process
    that reports other answers than it used only misleads its own check. The path never
    comes from the reference: (w_k - w_k+1) / lr along it is the very gradient checked."""
    X, y, lr, iterations, every = _data(ctx)
    walk = GradientWalk()
    point = (0.0, 0.0)  # Python floats: the same IEEE double arithmetic on both sides
    kept_X, kept_y = session.keep(X, y)
    while len(walk.answers) < iterations:
        descent = session.descend("gradient_descent", point, lr, iterations - len(walk.answers), kept_X, kept_y)
        point = walk.follow(descent.answers.tolist(), lr, every)
        reply = descent.stopped
        if reply is None:
            continue
        # Not a plain array or list of two numbers: accepted here if it still holds two numbers.
        problem = describe_reply(reply)
        vector = as_vector(reply.value, 2) if reply.value is not None else None
        if problem is not None or vector is None or vector.values is None:
            why = problem or value_problem(reply.value, 2)
            call = render_call("gradient_descent", GRADIENT_NAMES, _grad_call(X, y, *point))
            walk.problem = t("grad.at_iteration", iteration=len(walk.answers), call=call, problem=why)
            walk.weights.append(point)
            walk.stop, walk.final = reply, None
            return walk
        point = walk.follow([[float(vector.values[0]), float(vector.values[1])]], lr, every)
    return walk


def _student_gradient_path(ctx: CheckContext,
                           session: Any) -> tuple[list[tuple[float, float] | None], str | None]:
    """The checkpoints the student would print, and the problem that stopped the run (if one did)."""
    walk = _walk_student_gradient(ctx, session)
    return walk.checkpoints, walk.problem


def _gradient_inputs() -> Any:
    """(w0, w1, X, y): n from 1, shapes (n, 1) and (n,), magnitudes from 1e-3 to 1e4."""
    from hypothesis import strategies as st

    @st.composite
    def inputs(draw: Any) -> tuple[Any, ...]:
        n = draw(st.integers(1, 12))
        shape = draw(st.sampled_from([(n, 1), (n,)]))
        scale = draw(st.sampled_from([1.0, 1e-3, 1e3]))
        X = _column(draw, n, shape, scale)
        y = _column(draw, n, shape, scale)
        w0 = draw(st.floats(-10, 10, allow_nan=False, allow_infinity=False))
        w1 = draw(st.floats(-10, 10, allow_nan=False, allow_infinity=False))
        return (w0, w1, X, y)

    return inputs()


def _reference_gradient(ctx: CheckContext) -> Any:
    reference = ctx.reference
    assert reference is not None
    return lambda w0, w1, X, y: np.asarray(reference.gradient_descent(w0, w1, X, y), dtype=np.float64).ravel()


def gradient_matches_reference(ctx: CheckContext) -> Verdict:
    def classify(replies: list[Reply], examples: list[Any], expected: list[Any]) -> str | None:
        return _classify(ctx, "gradient_descent", GRADIENT_NAMES, "examples", replies, examples, expected,
                         _gradient_scale_max)

    return against_reference(ctx, function="gradient_descent", names=GRADIENT_NAMES,
                             strategy=_gradient_inputs, expected_of=_reference_gradient(ctx),
                             judge=_judge_gradient(ctx.rtol), max_examples=int(ctx.option("max_examples", 100)),
                             classify=classify, explain=_catalogue(ctx).explainer("gradient_descent"))


# ------------------------------------------------------------------- the update


def _stand_ins(gradients: StandIn, X: np.ndarray) -> dict[str, StandIn]:
    """main() runs with these in place of the student's other two TODOs (and linear_model)."""
    return {"gradient_descent": gradients, "Loss": Script([0.0]),
            "linear_model": Script([np.zeros(X.shape)])}


def gradient_calls(reply: Reply) -> np.ndarray:
    """The points main() asked gradient_descent about, one row per call."""
    return reply.records.get("gradient_descent", np.zeros((0, 2)))


def answered(calls: np.ndarray, script: np.ndarray) -> np.ndarray:
    """The gradient the scripted stand-in gave each call: the next scripted value for a new
    point, the same value again when asked twice in a row at one point (see the harness)."""
    if len(calls) == 0:
        return np.zeros((0, 2))
    fresh = np.ones(len(calls), dtype=bool)
    fresh[1:] = np.any(calls[1:] != calls[:-1], axis=1) | np.isnan(calls[1:]).any(axis=1)
    index = np.cumsum(fresh) - 1
    return np.asarray(script, dtype=np.float64).reshape((-1, 2))[index % len(script)]


def _judge_steps(ctx: CheckContext, reply: Reply, gradients: np.ndarray) -> str | None:
    """Every step w_{k+1} = w_k - lr * g_k, once per iteration, from (0, 0), and main returns the last w."""
    _, _, lr, iterations, _ = _data(ctx)
    problem = describe_reply(reply)
    if problem is not None:
        return t("update.main_problem", problem=problem)
    calls = gradient_calls(reply)
    if calls.ndim != 2 or calls.shape[1] != 2:
        return t("lost.unreadable", kind="records")
    if reply.non_scalar.get("gradient_descent"):
        return t("update.non_scalar")
    g = answered(calls, gradients)
    if len(calls) != iterations and len(calls) > 1:
        # gd0 and gd1 from two calls at the same point is one iteration: judge one row per point
        fresh = np.ones(len(calls), dtype=bool)
        fresh[1:] = np.any(calls[1:] != calls[:-1], axis=1)
        if int(fresh.sum()) == iterations:
            calls, g = calls[fresh], g[fresh]
    if len(calls) != iterations:
        return t("update.calls", calls=len(calls), iterations=iterations)
    assert reply.value is not None
    returned = as_vector(reply.value, 2)
    if returned.values is None:
        return t("update.main_problem", problem=value_problem(reply.value, 2))
    with np.errstate(all="ignore"):
        expected_next = calls - lr * g
    after = np.vstack([calls[1:], returned.values[None, :]])
    if not close(calls[0], np.zeros(2), ctx.rtol):
        return t("update.start", start=format_array(calls[0]))
    scale = np.abs(calls) + lr * np.abs(g)
    with np.errstate(all="ignore"):
        ok = np.abs(after - expected_next) <= ctx.rtol * (np.abs(expected_next) + scale)
    wrong = np.flatnonzero(~ok.all(axis=1))
    if wrong.size:
        k = int(wrong[0])
        return t("update.step", gd=format_array(g[k]), step=k + 1, before=format_array(calls[k]),
                 after=format_array(after[k]), expected=format_array(expected_next[k]), lr=f"{lr:g}")
    return None


def update_trajectory(ctx: CheckContext) -> Verdict:
    """The student's main() with the reference's gradients: the document's trajectory, step by step."""
    X, y, lr, iterations, every = _data(ctx)
    path, gradients = reference_path(ctx)
    session = ctx.session()
    scripted = Script(gradients, record=(0, 1))  # one row per iteration
    (reply,) = session.run("main", [], [_stand_ins(scripted, X)])
    problem = _judge_steps(ctx, reply, gradients)
    if problem is None:
        return Verdict(True, examples=1)
    misconception = _classify_update(ctx, [(reply, gradients)])
    student: list[tuple[float, float] | None] = []
    try:
        (true_run,) = session.run("main", [], [_stand_ins(_true_gradients(ctx, X, y), X)])
        weights = gradient_calls(true_run)
        final = as_vector(true_run.value, 2).values if true_run.value is not None else None
        after = list(weights[1:]) + ([final] if final is not None else [])
        student = [(float(after[i][0]), float(after[i][1])) if i < len(after) else None
                   for i in range(0, iterations, every)]
    except Exception:
        student = []
    table = _table(ctx, student)
    diverging = _diverging_text(table)
    text = f"{problem}; {diverging}" if diverging else problem
    return Verdict(False, with_misconception(text, misconception, _catalogue(ctx).explainer("update")),
                   examples=1, misconception=misconception, details=table)


def _true_gradients(ctx: CheckContext, X: np.ndarray, y: np.ndarray) -> Spy | Callback:
    """True gradients for main(), to show where the student's update leads (the trajectory they
    would print): their own gradient_descent when that part is right (one run, no round trips),
    else the reference's, asked call by call (it never enters their process)."""
    if "gradient_descent" in ctx.passed_parts:
        return Spy(record=(0, 1))
    reference = ctx.reference
    assert reference is not None
    X_float = X.astype(np.float64)

    def true_gradient(w0: Any, w1: Any, *_: Any) -> np.ndarray:
        # Only two numbers ever reach the reference: whatever shapes the student's code passes
        # (a (7000, 1, 1) "w0", say) must not make the grader's own process compute for long.
        point = [float(np.ravel(w)[0]) if np.size(w) == 1 else np.nan for w in (w0, w1)]
        return np.asarray(reference.gradient_descent(point[0], point[1], X_float, y), dtype=np.float64).ravel()

    return Callback(true_gradient, record=(0, 1), send=(0, 1))  # X and y are the document's: not sent back


def _gradient_scripts() -> Any:
    """What the stand-in gradient_descent returns, in turn: one to three pairs of gradients."""
    from hypothesis import strategies as st

    magnitude = st.one_of(st.just(0.0), st.floats(1e-3, 1000), st.floats(-1000, -1e-3))
    # Every step must move w (two calls at one point count as one iteration): no (0, 0), and no
    # gradient so small that lr·gd vanishes next to w in float64.
    pair = st.tuples(magnitude, magnitude).filter(lambda p: p != (0.0, 0.0))
    return st.lists(pair, min_size=1, max_size=3)


def update_steps(ctx: CheckContext) -> Verdict:
    """main() with gradient_descent replaced by generated gradients: every one of the steps is checked."""
    X, *_ = _data(ctx)
    max_examples = int(ctx.option("max_examples", 30))
    scripts = ctx.examples(_gradient_scripts, max_examples)
    session = ctx.session()

    def variant(script: list[tuple[float, float]]) -> dict[str, StandIn]:
        return _stand_ins(Script([np.array(pair, dtype=np.float64) for pair in script], record=(0, 1)), X)

    replies = session.run("main", [], [variant(script) for script in scripts])
    failing = [(i, p) for i, r in enumerate(replies)
               if (p := _judge_steps(ctx, r, np.array(scripts[i], dtype=np.float64))) is not None]
    if not failing:
        return Verdict(True, examples=len(scripts))
    misconception = _classify_update(ctx, [(reply, np.array(script, dtype=np.float64))
                                           for reply, script in zip(replies, scripts, strict=True)])

    def probe(script: list[tuple[float, float]]) -> str | None:
        (reply,) = session.run("main", [], [variant(script)])
        return _judge_steps(ctx, reply, np.array(script, dtype=np.float64))

    found = ctx.shrink(_gradient_scripts, max_examples, probe)
    script, problem = found if found is not None else (scripts[failing[0][0]], failing[0][1])
    shown = ", ".join(format_array(np.array(pair)) for pair in script)
    counterexample = t("update.script_many" if len(script) > 1 else "update.script_one", shown=shown)
    text = t("update.counterexample", setting=counterexample, problem=problem)
    return Verdict(False, with_misconception(text, misconception, _catalogue(ctx).explainer("update")),
                   counterexample=counterexample, examples=len(scripts), misconception=misconception,
                   details={"failed_examples": len(failing)})


# ------------------------------------------------------- the update's mistakes

def _calls_kind(count: int, iterations: int) -> str:
    if count == iterations:
        return "iterations"
    if count == 2 * iterations:
        return "twice"
    if count == 1:
        return "once"
    return "other"


def _step_models(rule: dict[str, Any], calls: np.ndarray, g: np.ndarray, after: np.ndarray, lr: float,
                 every: int) -> list[np.ndarray]:
    """What each step would give under this rule: w_next = w - rate * (M @ gd), maybe only every `every`."""
    matrices = np.array(rule.get("matrix", [[1, 0], [0, 1]]), dtype=np.float64)
    if matrices.ndim == 2:
        matrices = matrices[None, :, :]
    predictions = []
    for matrix in matrices:
        moved = g @ matrix.T
        rate = rule.get("rate", "lr")
        if rate == "one":
            step = moved
        elif rate == "other":
            with np.errstate(all="ignore"):
                denominator = float(np.sum(moved * moved))
                if denominator == 0.0:
                    continue
                fitted = float(np.sum((calls - after) * moved)) / denominator
            if not np.isfinite(fitted) or fitted <= 0 or abs(fitted - lr) <= 1e-3 * lr:
                continue
            step = fitted * moved
        else:
            step = lr * moved
        if rule.get("every"):
            step = np.where((np.arange(len(calls)) % every == 0)[:, None], step, 0.0)
        with np.errstate(all="ignore"):
            predictions.append(calls - step)
    return predictions


def _classify_update(ctx: CheckContext, runs: list[tuple[Reply, np.ndarray]]) -> str | None:
    try:
        return _update_mistake(ctx, runs)
    except (ArithmeticError, ValueError, TypeError, IndexError, KeyError):
        return None  # naming the mistake only improves the feedback: it never decides the grade


def _update_mistake(ctx: CheckContext, runs: list[tuple[Reply, np.ndarray]]) -> str | None:
    """The catalogue's update mistake that the recorded runs of main() show, read from the steps:
    how often gradient_descent was called, and how each step moved the weights."""
    _, _, lr, iterations, every = _data(ctx)
    tolerance = max(10 * ctx.rtol, 1e-6)
    usable = []
    for reply, script in runs:
        calls = reply.records.get("gradient_descent")
        if (reply.kind != "returned" or reply.value is None or calls is None or len(calls) == 0
                or reply.non_scalar.get("gradient_descent")):
            continue
        final = as_vector(reply.value, 2).values
        if final is None:
            continue
        script = np.asarray(script, dtype=np.float64).reshape((-1, 2))
        g = answered(calls, script)
        usable.append((calls, g, np.vstack([calls[1:], final[None, :]])))

    def near(a: np.ndarray, b: np.ndarray, calls: np.ndarray, g: np.ndarray) -> bool:
        with np.errstate(all="ignore"):
            bound = tolerance * (np.abs(b) + np.abs(calls) + lr * np.abs(g))
            return bool(np.all(np.abs(a - b) <= bound))

    for misconception in _catalogue(ctx).of("update"):
        rule = misconception.rule
        wanted = rule.get("calls", "iterations")
        informative = matched = 0
        for calls, g, after in usable:
            kind = _calls_kind(len(calls), iterations)
            if wanted in ("twice", "once"):
                informative += 1
                matched += kind == wanted
                continue
            right = calls - lr * g
            models = _step_models(rule, calls, g, after, lr, every)
            if wanted == "iterations" and all(near(model, right, calls, g) for model in models):
                continue  # on these gradients the mistake changes nothing: it tells nothing
            informative += 1
            matched += kind == wanted and any(near(after, model, calls, g) for model in models)
        if informative and matched >= 0.9 * informative:
            return misconception.id
    return None


# --------------------------------------------------------------- the self-check
#
# The same parts and points, checked without the reference: against what the document
# prints, against numbers stored for fixed inputs (selfcheck_data.json: no code), and with
# properties that pin the answer down without computing it.


def _stored_part(ctx: CheckContext, part: str) -> dict[str, Any]:
    section: dict[str, Any] = _stored(ctx).get(part, {}).get("values", {})
    if not section:
        from grader.errors import SpecError

        raise SpecError(f"the self-check data has no fixed inputs for {part}; rebuild it "
                        "(python -m grader.selfcheck build)")
    return section


def _arrays(args: list[Any]) -> tuple[Any, ...]:
    return tuple(np.array(a, dtype=np.float64) if isinstance(a, list) else float(a) for a in args)


def selfcheck_loss_values(ctx: CheckContext) -> Verdict:
    """Loss on stored fixed inputs, then: ≥ 0; 0 when f_x == y; c² when every prediction is off by c;
    the loss of two sets together is the size-weighted mean of their losses."""
    stored = _stored_part(ctx, "Loss")
    inputs = [_arrays(args) for args in stored["inputs"]]
    expected = [float(v) for v in stored["expected"]]
    zero = [(y.copy(), y) for _, y in inputs[:6]]
    shifts = [(y + c, y) for (_, y), c in zip(inputs[:6], (0.5, -3.0, 7.25, -0.125, 2.0, -11.5), strict=False)]
    pairs = [(i, i + 2) for i in range(min(len(inputs), 14) - 2) if inputs[i][0].ndim == inputs[i + 2][0].ndim]
    joined = [(np.concatenate([inputs[i][0], inputs[j][0]]), np.concatenate([inputs[i][1], inputs[j][1]]))
              for i, j in pairs]
    replies = ctx.session().map("Loss", inputs + zero + shifts + joined, independent=True)
    judge = _judge_loss(ctx.rtol)
    count = len(replies)
    fixed = replies[:len(inputs)]
    failures = [(i, p) for i, r in enumerate(fixed) if (p := judge(r, expected[i], inputs[i])) is not None]
    if failures:
        index, problem = failures[0]
        misconception = _classify(ctx, "Loss", LOSS_NAMES, "values", fixed, inputs, expected,
                                  _loss_scale) or problem.misconception
        call = render_call("Loss", LOSS_NAMES, inputs[index])
        text = t("loss.fixed_inputs", call=call, problem=problem.text)
        return Verdict(False, with_misconception(text, misconception, _catalogue(ctx).explainer("Loss")),
                       counterexample=call, misconception=misconception, examples=count,
                       details={"failed_examples": len(failures)})
    values = [as_scalar(r.value).values if r.kind == "returned" and r.value is not None else None for r in replies]
    offset = len(inputs)
    for args, value in zip(inputs + zero + shifts + joined, values, strict=True):
        if value is not None and value[0] < 0:
            call = render_call("Loss", LOSS_NAMES, args)
            return Verdict(False, t("loss.prop.negative", call=call, got=format_number(value[0])),
                           counterexample=call, examples=count)
    for k, (args, reply) in enumerate(zip(zero, replies[offset:offset + len(zero)], strict=True)):
        problem = judge(reply, 0.0, args)
        if problem is not None:
            call = render_call("Loss", LOSS_NAMES, args)
            got = values[offset + k]
            return Verdict(False, t("loss.prop.zero", call=call, got=problem.text if got is None else
                                    format_number(got[0])), counterexample=call, examples=count)
    offset += len(zero)
    for k, ((f_x, y), c) in enumerate(zip(shifts, (0.5, -3.0, 7.25, -0.125, 2.0, -11.5), strict=False)):
        got = values[offset + k]
        # c², up to the rounding of y + c: each shift is c + δ with |δ| <= eps·(|y| + |c|).
        slack = ctx.rtol * c * c + 4 * abs(c) * np.finfo(np.float64).eps * (float(np.max(np.abs(y))) + abs(c))
        if got is None or not abs(float(got[0]) - c * c) <= slack:
            call = render_call("Loss", LOSS_NAMES, (f_x, y))
            return Verdict(False, t("loss.prop.shift", call=call, c=c, expected=format_number(c * c),
                                    got="?" if got is None else format_number(got[0])),
                           counterexample=call, examples=count)
    offset += len(shifts)
    for k, (i, j) in enumerate(pairs):
        n1, n2 = inputs[i][1].size, inputs[j][1].size
        want = (n1 * expected[i] + n2 * expected[j]) / (n1 + n2)
        if judge(replies[offset + k], want, joined[k]) is not None:
            got = values[offset + k]
            return Verdict(False, t("loss.prop.concat", n1=n1, n2=n2, l1=format_number(expected[i]),
                                    l2=format_number(expected[j]), expected=format_number(want),
                                    got="?" if got is None else format_number(got[0])),
                           counterexample=render_call("Loss", LOSS_NAMES, joined[k]), examples=count)
    return Verdict(True, examples=count)


def selfcheck_gradient_values(ctx: CheckContext) -> Verdict:
    """gradient_descent on stored fixed inputs; then, when the student's own Loss is right on its
    fixed inputs, against a central finite difference of that Loss."""
    stored = _stored_part(ctx, "gradient_descent")
    inputs = [_arrays(args) for args in stored["inputs"]]
    expected = [np.array(v, dtype=np.float64) for v in stored["expected"]]
    session = ctx.session()
    replies = session.map("gradient_descent", inputs, independent=True)
    judge = _judge_gradient(ctx.rtol)
    failures = [(i, p) for i, r in enumerate(replies) if (p := judge(r, expected[i], inputs[i])) is not None]
    if failures:
        index, problem = failures[0]
        misconception = _classify(ctx, "gradient_descent", GRADIENT_NAMES, "values", replies, inputs, expected,
                                  _gradient_scale_max) or problem.misconception
        call = render_call("gradient_descent", GRADIENT_NAMES, inputs[index])
        text = f"{call} {problem.text}"
        return Verdict(False, with_misconception(text, misconception,
                                                 _catalogue(ctx).explainer("gradient_descent")),
                       counterexample=call, misconception=misconception, examples=len(inputs),
                       details={"failed_examples": len(failures)})
    # The slope of the student's own Loss, once that Loss is right on its fixed inputs.
    loss = _stored(ctx).get("Loss", {}).get("values", {})
    loss_inputs = [_arrays(args) for args in loss.get("inputs", [])]
    loss_replies = session.map("Loss", loss_inputs, independent=True) if loss_inputs else []
    judge_loss = _judge_loss(ctx.rtol)
    if not loss_inputs or any(judge_loss(r, float(v), a) is not None
                              for r, v, a in zip(loss_replies, loss["expected"], loss_inputs, strict=True)):
        return Verdict(True, examples=len(inputs), details={"finite_difference": "skipped"})
    small = [i for i, (_, _, X, y) in enumerate(inputs) if np.max(np.abs(X)) <= 10 and np.max(np.abs(y)) <= 10][:6]
    argsets = []
    steps = []
    for i in small:
        w0, w1, X, y = inputs[i]
        h0, h1 = 1e-3 * (1 + abs(w0)), 1e-3 * (1 + abs(w1))
        steps.append((h0, h1))
        argsets += [(w0 + h0 + w1 * X, y), (w0 - h0 + w1 * X, y), (w0 + (w1 + h1) * X, y), (w0 + (w1 - h1) * X, y)]
    values = session.map("Loss", argsets, independent=True)
    for k, i in enumerate(small):
        got = [as_scalar(r.value).values if r.kind == "returned" and r.value is not None else None
               for r in values[4 * k:4 * k + 4]]
        if any(v is None for v in got):
            continue
        a, b, c, d = (float(v[0]) for v in got if v is not None)
        h0, h1 = steps[k]
        slope = np.array([(a - b) / (2 * h0), (c - d) / (2 * h1)])
        mine = reply_numbers(replies[i])
        assert mine is not None
        scale = _gradient_scale(*inputs[i]) + 1e-6 * (abs(a) + abs(c)) / np.array([h0, h1])
        if not close(mine, slope, 1e-6, scale):
            call = render_call("gradient_descent", GRADIENT_NAMES, inputs[i])
            return Verdict(False, t("grad.prop.finite_difference", call=call, got=format_array(mine),
                                    expected=format_array(slope)), counterexample=call, examples=len(inputs))
    return Verdict(True, examples=len(inputs) + len(argsets))


def selfcheck_gradient_trajectory(ctx: CheckContext) -> Verdict:
    """The student's gradient with the update done here, 1000 iterations: the document's printed weights."""
    session = ctx.session()
    student, problem = _student_gradient_path(ctx, session)
    table = _table(ctx, student)
    if problem is None and table["first_diverging"] is None:
        return Verdict(True, examples=len(student))
    first = problem or t("grad.document_path")
    diverging = _diverging_text(table)
    return Verdict(False, f"{first}; {diverging}" if diverging else first, examples=len(student), details=table)


def selfcheck_update_run(ctx: CheckContext) -> Verdict:
    """main() over all its iterations with gradient_descent returning fixed gradients in turn: every step,
    and the checkpoints against w ← w − lr·gd applied to those gradients."""
    X, _, lr, iterations, every = _data(ctx)
    gradients = np.array(ctx.spec.data.get("selfcheck", {}).get("update_gradients", [[1.0, -2.0]]), dtype=np.float64)
    session = ctx.session()
    (reply,) = session.run("main", [], [_stand_ins(Script(list(gradients), record=(0, 1)), X)])
    problem = _judge_steps(ctx, reply, gradients)
    if problem is None:
        return Verdict(True, examples=1)
    misconception = _classify_update(ctx, [(reply, gradients)])
    g = gradients[np.arange(iterations) % len(gradients)]
    expected = -lr * np.cumsum(g, axis=0)
    calls = gradient_calls(reply)
    final = as_vector(reply.value, 2).values if reply.kind == "returned" and reply.value is not None else None
    after = list(calls[1:]) + ([final] if final is not None else [])
    student = [(float(after[i][0]), float(after[i][1])) if i < len(after) else None
               for i in range(0, iterations, every)]
    table = _table(ctx, student, expected[::every])
    diverging = _diverging_text(table)
    text = f"{problem}; {diverging}" if diverging else problem
    return Verdict(False, with_misconception(text, misconception, _catalogue(ctx).explainer("update")),
                   examples=1, misconception=misconception, details=table)


# ----------------------------------------------------- building the self-check data

def _fixed_inputs(rng: np.random.Generator, count: int, gradient: bool) -> list[tuple[Any, ...]]:
    """Inputs for the self-check: n from 1 to 8, shapes (n, 1) and (n,), magnitudes 1e-3 to 1e3,
    rounded so that the stored file stays short and readable. Not the official grade's inputs."""
    inputs: list[tuple[Any, ...]] = []
    for k in range(count):
        n = 1 + k % 8
        shape = (n, 1) if k % 2 == 0 else (n,)
        scale = (1.0, 1.0, 1e-3, 1e3)[k % 4] if k >= 8 else 1.0
        a = np.round(rng.uniform(-10, 10, shape), 3) * scale
        b = np.round(rng.uniform(-10, 10, shape), 3) * scale
        if gradient:
            w0, w1 = (float(v) for v in np.round(rng.uniform(-5, 5, 2), 3))
            inputs.append((w0, w1, a, b))
        else:
            inputs.append((a, b))
    return inputs


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value] if value.ndim else _plain(value.item())
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    return value


def build_selfcheck_data(spec_data: dict[str, Any], reference: Any, catalogue: Catalogue) -> dict[str, Any]:
    """The numbers the self-check needs (run only where the reference is: the build step, never students)."""
    options = spec_data.get("selfcheck", {})
    rng = np.random.default_rng(int(options.get("seed", 1)))
    count = int(options.get("fixed_inputs", 40))
    loss_inputs = _fixed_inputs(rng, count, gradient=False)
    gradient_inputs = _fixed_inputs(rng, count, gradient=True)

    def wrong(part: str, names: tuple[str, ...], inputs: list[Any]) -> dict[str, Any]:
        return {m.id: [[_plain(evaluate(expr, names, args)) for args in inputs] for expr in m.exprs]
                for m in catalogue.of(part) if m.exprs}

    with contextlib.redirect_stdout(io.StringIO()), np.errstate(all="ignore"):
        loss_expected = [float(np.asarray(reference.Loss(*args), dtype=np.float64).ravel()[0]) for args in loss_inputs]
        gradient_expected = [np.asarray(reference.gradient_descent(*args), dtype=np.float64).ravel()
                             for args in gradient_inputs]
    trajectory = loss_trajectory_inputs(spec_data["data"])
    return {
        "format": 1,
        "about": "Fixed inputs, their expected values and the values of typical mistakes, for the self-check.",
        "Loss": {
            "values": {"inputs": _plain(loss_inputs), "expected": _plain(loss_expected),
                       "misconceptions": wrong("Loss", LOSS_NAMES, loss_inputs)},
            "trajectory": {"misconceptions": wrong("Loss", LOSS_NAMES, trajectory)},
        },
        "gradient_descent": {
            "values": {"inputs": _plain(gradient_inputs), "expected": _plain(gradient_expected),
                       "misconceptions": wrong("gradient_descent", GRADIENT_NAMES, gradient_inputs)},
        },
    }
