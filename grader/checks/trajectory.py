"""Check kind `trajectory`: x <- x - rate * f(*x, *args) from a start point, for a number of steps,
with the point after every `every`-th step compared with expected checkpoints (a lesson's printed
ones, or the reference's) and the last point with the expected final one.

The loop runs in the student's process on its own answers (one round trip, not one per step) and
sends back every answer; the grader redoes the same double arithmetic, so a process that reports
other answers than it used only misleads its own check. The path never comes from the reference
(along it, (x_k - x_k+1) / rate would be the very answers checked). When the path leaves the
expected one, official grading finds the first wrong answer with the reference, here.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.checks.answers import quiet, quietly, stand_ins
from grader.checks.context import CheckContext, PrepareContext, Verdict
from grader.checks.judge import describe_reply, judge, render_call, scale_of, value_problem
from grader.checks.mistakes import name_mistake, with_mistake
from grader.errors import SpecError
from grader.messages import t
from grader.plain import normalize, numbers
from grader.sandbox.client import Reply, Session
from grader.spec.expressions import resolve
from grader.spec.kinds import Trajectory
from grader.values import Value, as_vector, close, format_number

WINDOW = 20  # answers after the first wrong one, to name the mistake by


def _config(check: Any) -> Trajectory:
    assert isinstance(check.config, Trajectory)
    return check.config


def prepare(ctx: PrepareContext) -> dict[str, Any]:
    config = _config(ctx.check)
    fn, data = ctx.check.function, ctx.spec.data
    params = ctx.reference.params(fn)
    start = numbers(resolve(config.start, data, ctx.where("start")))
    if start is None or start.size == 0:
        raise ctx.where("start").error("must be one or more numbers (the point the descent starts from)")
    args = [resolve(a, data, ctx.where("args", i)) for i, a in enumerate(config.args)]
    if len(params) != start.size + len(args):
        raise ctx.where("args").error(f"{fn}({', '.join(params)}) takes {len(params)} arguments: the point's "
                                      f"{start.size} and {len(params) - start.size} more, not {len(args)}")
    rate = float(resolve(config.rate, data, ctx.where("rate")))
    steps = int(resolve(config.steps, data, ctx.where("steps")))
    if steps < 1:
        raise ctx.where("steps").error("must be at least 1")
    function = ctx.reference.function(fn)
    point = [float(v) for v in start]
    checkpoints = []
    for step in range(steps):
        answer = numbers(normalize(quietly(function, *point, *args)))
        if answer is None or answer.size != start.size:
            raise ctx.where().error(f"the reference's {fn} does not return {start.size} numbers at step {step}")
        point = [p - rate * float(g) for p, g in zip(point, answer, strict=True)]
        if step % config.every == 0:
            checkpoints.append(list(point))
    expected = checkpoints
    if config.expected is not None:
        given = resolve(config.expected, data, ctx.where("expected"))
        expected = np.asarray(given, dtype=np.float64).reshape(-1, start.size).tolist()
        if len(expected) != len(checkpoints):
            raise ctx.where("expected").error(f"{len(expected)} checkpoints given; steps = {steps} and every = "
                                              f"{config.every} make {len(checkpoints)}")
    path = [[float(v) for v in start], *checkpoints]
    between = _between(ctx, function, path, args) if ctx.mode == "self-check" else []
    final = point
    if config.final is not None:
        final = [float(v) for v in np.ravel(np.asarray(resolve(config.final, data, ctx.where("final")), float))]
    scale_of(config.tolerance, params, [*start, *args], data, ctx.where("scale"))
    label = config.expected_label
    return {"params": list(params), "start": [float(v) for v in start], "rate": rate, "steps": steps,
            "every": config.every, "args": args, "expected": expected, "final": final,
            "label": None if label is None else dict(label.texts), "between": between,
            "uses": {name: {"params": list(ctx.reference.params(name)), "defaults": ctx.reference.defaults(name)}
                     for name in config.uses}}


def _between(ctx: PrepareContext, function: Any, path: list[list[float]], args: list[Any]) -> list[dict[str, Any]]:
    """For the self-check, which has no reference to judge the student's path with: one point between
    each two consecutive points of the reference's own path that the build keeps (start, checkpoints),
    at a drawn fraction, with the reference's answer there. Off the path, so its steps stay unknown;
    a function that only steps onto the published checkpoints fails them."""
    draw = random.Random(f"{ctx.seed}:{ctx.check.id}:between")
    probes = []
    for a, b in zip(path, path[1:], strict=False):
        t = draw.uniform(0.2, 0.8)
        point = [(1.0 - t) * x + t * y for x, y in zip(a, b, strict=True)]
        answer = numbers(normalize(quietly(function, *point, *args)))
        if answer is not None:
            probes.append({"point": point, "answer": [float(v) for v in answer]})
    return probes


def _check_between(ctx: CheckContext, session: Session) -> tuple[str, str] | None:
    """The self-check's answers at the stored points between checkpoints: the first wrong one."""
    stored, config = ctx.stored, _config(ctx.check)
    probes = stored.get("between") or []
    if not probes:
        return None
    fn, names, args = ctx.check.function, stored["params"], stored["args"]
    uses = stand_ins(ctx, config.uses)
    replies = session.map(fn, [[*p["point"], *args] for p in probes], independent=True, stand_ins=uses)
    for probe, reply in zip(probes, replies, strict=True):
        try:
            scale = scale_of(config.tolerance, names, [*probe["point"], *args], ctx.spec.data, ctx.where("scale"))
        except SpecError:
            scale = 0.0
        problem = judge(reply, np.asarray(probe["answer"], dtype=np.float64), "numbers", config.tolerance, scale)
        if problem is not None:
            call = render_call(fn, names, [*probe["point"], *args])
            return t("trajectory.between", call=call, problem=problem.text), call
    return None


@dataclass
class Walk:
    """The student's own path: the point before each answer, each answer, the checkpoints, and
    the problem that stopped it early (if one did)."""

    dim: int
    chunks: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)  # (points before, answers)
    checkpoints: list[tuple[float, ...]] = field(default_factory=list)
    final: tuple[float, ...] | None = None
    problem: str | None = None
    stop: Reply | None = None
    stop_point: tuple[float, ...] | None = None  # where the answer that stopped the walk was asked

    @property
    def answers(self) -> np.ndarray:
        return np.vstack([a for _, a in self.chunks]) if self.chunks else np.zeros((0, self.dim))

    @property
    def points(self) -> list[tuple[float, ...]]:
        points = [tuple(row) for p, _ in self.chunks for row in p.tolist()]
        return points + ([self.stop_point] if self.stop_point is not None else [])

    def steps(self) -> int:
        return sum(len(a) for _, a in self.chunks)

    def reply(self, step: int) -> Reply:
        """The answer of one step as the reply it was (only the failure path needs these)."""
        answers = self.answers
        if step == len(answers) and self.stop is not None:
            return self.stop
        data = np.array(answers[step], dtype=np.float64)
        return Reply("returned", value=Value("array", "ndarray", dtype="float64", shape=(self.dim,), data=data))

    def follow(self, answers: np.ndarray, start: Sequence[float], rate: float, every: int) -> list[float]:
        """Take these steps from the last point: the same double arithmetic as the student's side
        (x - rate*g is x + (-(rate*g)) exactly, and add.accumulate adds one step after the other)."""
        point = np.array(self.final if self.final is not None else start, dtype=np.float64)
        steps = np.asarray(answers, dtype=np.float64).reshape(-1, self.dim)
        first = self.steps()
        path = np.add.accumulate(np.vstack([point[None, :], -(rate * steps)]), axis=0)
        self.chunks.append((path[:-1], steps))
        for index in range((-first) % every, len(steps), every):
            self.checkpoints.append(tuple(path[index + 1].tolist()))
        self.final = tuple(path[-1].tolist())
        return list(self.final)


def walk(ctx: CheckContext, session: Session) -> Walk:
    """Where the student's own function leads from the start point."""
    stored = ctx.stored
    dim, rate, steps, every = len(stored["start"]), float(stored["rate"]), int(stored["steps"]), int(stored["every"])
    fn, names = ctx.check.function, stored["params"]
    path = Walk(dim)
    point = list(stored["start"])  # Python floats: the same IEEE double arithmetic on both sides
    kept = session.keep(*stored["args"])
    uses = stand_ins(ctx, _config(ctx.check).uses)
    while path.steps() < steps:
        descent = session.descend(fn, point, rate, steps - path.steps(), *kept, stand_ins=uses)
        point = path.follow(descent.answers, stored["start"], rate, every)
        reply = descent.stopped
        if reply is None:
            continue
        # Not a plain array or list of numbers: accepted here if it still holds `dim` numbers.
        problem = describe_reply(reply)
        vector = as_vector(reply.value, dim) if reply.value is not None else None
        if problem is not None or vector is None or vector.values is None:
            why = problem or value_problem(reply.value, np.zeros(dim))
            call = render_call(fn, names, [*point, *stored["args"]])
            path.problem = t("trajectory.at_step", step=path.steps(), call=call, problem=why)
            path.stop, path.stop_point, path.final = reply, tuple(point), None
            return path
        point = path.follow(np.array([vector.values], dtype=np.float64), stored["start"], rate, every)
    return path


def _table(ctx: CheckContext, path: Walk) -> dict[str, Any]:
    stored = ctx.stored
    rtol = _config(ctx.check).tolerance.rtol
    rows, first = [], None
    for index, expected in enumerate(stored["expected"]):
        step = index * int(stored["every"])
        mine = path.checkpoints[index] if index < len(path.checkpoints) else None
        ok = mine is not None and close(np.array(mine), np.array(expected, dtype=np.float64), rtol)
        if not ok and first is None:
            first = step
        rows.append({"step": step, "student": None if mine is None else list(mine),
                     "expected": [float(v) for v in expected], "ok": bool(ok)})
    label = stored.get("label")
    return {"checkpoints": rows, "first_diverging": first, "names": stored["params"][:path.dim],
            "expected_label": _label(label)}


def _label(label: dict[str, str] | None) -> str:
    from grader.spec import Text

    return Text(tuple(label.items())).get() if label else t("table.expected")


def _diverging(table: dict[str, Any]) -> str:
    first = table["first_diverging"]
    if first is None:
        return ""
    row = next(r for r in table["checkpoints"] if r["step"] == first)
    names = ", ".join(table["names"])
    mine = t("table.not_reached") if row["student"] is None else f"{names} = {_numbers_text(row['student'])}"
    return t("trajectory.first_diverging", step=first, mine=mine, label=table["expected_label"], names=names,
             expected=_numbers_text(row["expected"]))


def _numbers_text(values: Sequence[float]) -> str:
    return ", ".join(format_number(v) for v in values)


def run(ctx: CheckContext) -> Verdict:
    stored = ctx.stored
    path = walk(ctx, ctx.session())
    table = _table(ctx, path)
    rtol = _config(ctx.check).tolerance.rtol
    final_ok = path.final is not None and close(np.asarray(path.final), np.asarray(stored["final"]), rtol)
    landed = path.problem is None and table["first_diverging"] is None and final_ok
    # The checkpoints and the final point may be published numbers: a function that counts its
    # calls can land on them without computing anything. Official grading therefore also judges
    # every answer along the student's own path against the reference's at that very point.
    found = _first_wrong(ctx, path) if ctx.reference is not None else None
    if landed and found is None and ctx.reference is None:
        between = _check_between(ctx, ctx.session())  # the self-check's stand-in for the path check
        if between is not None:
            text, probe_call = between
            return Verdict(False, text, counterexample=probe_call, examples=path.steps() + len(stored["between"]),
                           details=table)
    if landed and found is None:
        return Verdict(True, examples=path.steps())
    first, call, mistake = path.problem, None, None
    if found is not None:
        first, call, mistake = found
    first = first or t("trajectory.left", function=ctx.check.function, names=", ".join(table["names"]))
    diverging = _diverging(table)
    text = f"{first}; {diverging}" if diverging else first
    return Verdict(False, with_mistake(text, mistake, ctx.part), counterexample=call, example=text,
                   examples=path.steps() + (path.stop is not None),
                   misconception=mistake, details=table)


def _first_wrong(ctx: CheckContext, path: Walk) -> tuple[str, str, str | None] | None:
    """The first answer along the student's path that is not the reference's, and the mistake the
    answers from there show (official grading: the reference and the mistakes answer here)."""
    reference = ctx.reference
    assert reference is not None
    stored, config = ctx.stored, _config(ctx.check)
    fn, names, args = ctx.check.function, stored["params"], stored["args"]
    function = reference.function(fn)

    def expected_at(point: Sequence[float]) -> Any:
        return normalize(quietly(function, *point, *args))

    def scale(point: Sequence[float]) -> Any:
        try:
            return scale_of(config.tolerance, names, [*point, *args], ctx.spec.data, ctx.where("scale"))
        except SpecError:
            return 0.0

    points = path.points
    wanted_all = _reference_along(function, points, args, ctx.memo("reference-along", dict))
    accepted = _plainly_right(path.answers, wanted_all, config.tolerance.rtol, config.tolerance.atol)
    for step, point in enumerate(points):
        wanted = wanted_all[step][0]
        if wanted is None:
            return None
        if step < len(accepted) and accepted[step]:
            continue
        problem = judge(path.reply(step), wanted, "numbers", config.tolerance, scale(point))
        if problem is None:
            continue
        call = render_call(fn, names, [*point, *args])
        window = range(step, min(step + WINDOW, len(points)))
        mistake = _mistake(ctx, path, points, window, expected_at, scale)
        return t("trajectory.at_step", step=step, call=call, problem=problem.text), call, mistake
    return None


CACHED_POINTS = 50_000  # reference answers kept per check and process (a class's paths share most points)


def _reference_along(function: Any, points: list[tuple[float, ...]], args: Sequence[Any],
                     cache: dict[tuple[float, ...], Any]) -> list[tuple[Any, np.ndarray | None]]:
    """The reference's answer at each point and its numbers (None where it gives none), under one quiet context.
    Students whose code does the reference's arithmetic walk the very same points: those answers are
    computed once per batch worker, not once per submission."""
    found: list[Any] = []
    with quiet():
        for point in points:
            if point not in cache:
                if len(cache) >= CACHED_POINTS:
                    cache.clear()
                try:
                    answer = normalize(function(*point, *copy.deepcopy(list(args))))
                except Exception:
                    answer = None
                cache[point] = (answer, None if answer is None else numbers(answer))
            found.append(cache[point])
    return found


def _plainly_right(answers: np.ndarray, wanted: list[tuple[Any, np.ndarray | None]], rtol: float,
                   atol: float) -> np.ndarray:
    """Which answers are right even with no `scale` (which only widens the tolerance): all finite and
    |got - expected| <= rtol * |expected| + atol, row by row in one array operation. The others go
    through the full judgement, which decides."""
    count = len(answers)
    rows = [flat for _, flat in wanted[:count]]
    if count == 0 or any(r is None or r.shape != (answers.shape[1],) for r in rows):
        return np.zeros(count, dtype=bool)
    expected = np.vstack([r for r in rows if r is not None])
    with np.errstate(all="ignore"):
        near = np.abs(answers - expected) <= rtol * np.abs(expected) + atol
        ok = np.isfinite(answers) & np.isfinite(expected) & near
    return np.asarray(ok.all(axis=1))


def _mistake(ctx: CheckContext, path: Walk, all_points: list[tuple[float, ...]], window: range, expected_at: Any,
             scale: Any) -> str | None:
    try:
        reference = ctx.reference
        assert reference is not None
        fn, args = ctx.check.function, ctx.stored["args"]
        mutants = ctx.memo("mutants", lambda: {
            m.id: [reference.mutant(fn, v, f"{ctx.spec.path}: mistake {m.id}") for v in m.variants]
            for m in ctx.part.mistakes})
        points = [all_points[k] for k in window]
        right = [numbers(expected_at(p)) for p in points]
        answers = path.answers
        student = [answers[k].astype(np.float64) if k < len(answers) else None for k in window]
        candidates = {ident: [[_answer(w, p, args) for p in points] for w in variants]
                      for ident, variants in mutants.items()}
        scales = [float(np.max(np.abs(scale(p)))) for p in points]
        failing = [i for i, (s, r) in enumerate(zip(student, right, strict=True))
                   if s is None or r is None or not close(s, r, _config(ctx.check).tolerance.rtol, scales[i])]
        return name_mistake(ctx.part, student, failing, right, candidates, _config(ctx.check).tolerance.rtol, scales)
    except (ArithmeticError, ValueError, TypeError, IndexError, KeyError, SpecError):
        return None  # naming the mistake only improves the feedback: it never decides the grade


def _answer(function: Any, point: Sequence[float], args: Sequence[Any]) -> np.ndarray | None:
    try:
        return numbers(normalize(quietly(function, *point, *args)))
    except Exception:
        return None
