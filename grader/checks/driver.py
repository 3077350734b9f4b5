"""Check kind `driver`: a function such as main() run with other functions replaced by stand-ins;
every stand-in call (all its arguments, positional or keyword, by name) and what the driver returns
(and, with `printed = true`, the numbers it prints) are compared with the reference driver's run
under the very same stand-ins.

    stand_ins.gradient = "replay"        the answers the reference gave in its own run, in turn
    stand_ins.gradient = "reference"     each call answered by the reference (computed here)
    stand_ins.loss = { value = 0.0, compare = false }                always this value; calls not compared
    stand_ins.gradient = { script = { list = [1, 3], of = { array = [2], float = [-1, 1] } } }   drawn, per example

A stand-in answers a call with the same arguments as the previous call with the previous answer (a
function of its arguments), so asking twice at one point is one step.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader import hypo
from grader.checks.answers import by_lookup, by_reference, quietly
from grader.checks.calls import compare_calls, compare_printed, fingerprint
from grader.checks.context import CheckContext, PrepareContext, Verdict
from grader.checks.judge import describe_reply, judge, render_value
from grader.checks.mistakes import name_mistake, with_mistake
from grader.messages import t
from grader.plain import encode, normalize, numbers
from grader.reference import Reference
from grader.sandbox.client import Reply, StandIn
from grader.sandbox.inside import standins
from grader.sandbox.records import decode_records
from grader.spec import inputs
from grader.spec.expressions import resolve
from grader.spec.kinds import Driver, StandInSpec

MAX_REMEMBERED_PROBES = 2000  # reference runs kept per check and batch for the counterexample search


def _config(check: Any) -> Driver:
    assert isinstance(check.config, Driver)
    return check.config


@dataclass(frozen=True)
class Setting:
    """One run's stand-ins: per function, its mode and (for a script) its values."""

    modes: dict[str, str]  # "script" | "own" | "ask"
    scripts: dict[str, list[Any]]


@dataclass(frozen=True)
class Run:
    """What a driver did in one run."""

    records: dict[str, Any]  # raw, as a reply carries them
    returned: Any
    printed: str
    asked: dict[str, list[Any]]  # the reference's answers to "ask" calls: (args, answer)


def _drawn(config: Driver) -> list[str]:
    return [name for name, spec in config.stand_ins.items() if spec.draw is not None]


def _strategy(config: Driver, spec_let: Mapping[str, Any]) -> Any:
    """Hypothesis's strategy for the drawn scripts of one run (one list per drawn stand-in)."""
    draws = {name: config.stand_ins[name].draw for name in _drawn(config)}
    return inputs.strategy({**spec_let, **config.let}, {name: draw for name, draw in draws.items() if draw is not None})


def _wire(reference: Reference, name: str, mode: str, values: list[Any], record: bool) -> dict[str, Any]:
    return StandIn(mode, reference.params(name), values=values, defaults=reference.defaults(name),  # type: ignore
                   record=record).to_wire()


def _run(reference: Reference, driver: Callable[..., Any] | None, namespace: dict[str, Any], config: Driver,
         setting: Setting, args: list[Any]) -> Run:
    """The driver (the reference's, or a mistake's) under the setting's stand-ins, in this process."""
    asked: dict[str, list[Any]] = {name: [] for name, mode in setting.modes.items() if mode == "ask"}

    def ask(name: str, bound: tuple[Any, ...]) -> Any:
        answer = quietly(reference.function(name), *bound)
        asked[name].append((tuple(copy.deepcopy(bound)), normalize(answer)))
        return answer

    specs = {name: _wire(reference, name, mode, setting.scripts.get(name, []), config.stand_ins[name].compare)
             for name, mode in setting.modes.items()}
    installed, saved = standins.install(namespace, specs, ask)
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            returned = driver(*copy.deepcopy(args)) if driver is not None else None
    finally:
        standins.restore(namespace, saved)
    records = standins.records_of(installed)
    return Run(records=records, returned=normalize(returned), printed=printed.getvalue()[:64 * 1024], asked=asked)


def _setting(reference: Reference, fn: str, config: Driver, drawn: tuple[Any, ...], args: list[Any],
             data: Mapping[str, Any], where: Any) -> Setting:
    """The stand-ins of one run: drawn scripts in place, replayed answers computed with the reference."""
    modes: dict[str, str] = {}
    scripts: dict[str, list[Any]] = {}
    drawn_by_name = dict(zip(_drawn(config), drawn, strict=True))
    for name, spec in config.stand_ins.items():
        modes[name], scripts[name] = _mode(spec, name, drawn_by_name, data, where)
    for name, spec in config.stand_ins.items():
        if spec.mode == "replay":
            scripts[name] = _replayed(reference, fn, config, Setting(modes, scripts), name, args)
    return Setting(modes, scripts)


def _mode(spec: StandInSpec, name: str, drawn: Mapping[str, Any], data: Mapping[str, Any],
          where: Any) -> tuple[str, list[Any]]:
    if spec.mode == "own":
        return "own", []
    if spec.mode == "reference":
        return "ask", []
    if spec.mode == "replay":
        return "script", []
    if spec.mode == "value":
        return "script", [resolve(spec.value, data, where(name))]
    if spec.draw is not None:
        return "script", list(drawn[name])
    values = resolve(spec.value, data, where(name))
    if not isinstance(values, (list, tuple, np.ndarray)) or not len(values):
        raise where(name).error("a script must give a non-empty list of values")
    return "script", list(values)


def _replayed(reference: Reference, fn: str, config: Driver, setting: Setting, name: str,
              args: list[Any]) -> list[Any]:
    """The answers the reference's `name` gives during the reference driver's own run, in order."""
    namespace = reference.namespace()
    answers: list[Any] = []
    original = reference.rebound(name, namespace)

    def recording(*call_args: Any, **kwargs: Any) -> Any:
        answer = original(*call_args, **kwargs)
        answers.append(copy.deepcopy(answer))
        return answer

    namespace[name] = recording
    modes = {**setting.modes, name: "own"}
    _run(reference, reference.rebound(fn, namespace), namespace, config, Setting(modes, setting.scripts), args)
    if not answers:
        return [None]
    return answers


def _compared(config: Driver) -> list[str]:
    return [name for name, spec in config.stand_ins.items() if spec.compare]


def _wanted(config: Driver, functions: Mapping[str, Any]) -> dict[str, Sequence[str]]:
    """The compared functions and their parameters: the records a run is read for."""
    return {name: tuple(functions[name]["params"]) for name in _compared(config)}


def _decoded_fingerprint(config: Driver, run: Run, functions: Mapping[str, Any]) -> np.ndarray | None:
    return fingerprint(decode_records(run.records, _wanted(config, functions)), _compared(config),
                       numbers(run.returned))


def prepare(ctx: PrepareContext) -> dict[str, Any]:
    config = _config(ctx.check)
    reference, fn, data = ctx.reference, ctx.check.function, ctx.spec.data
    params = reference.params(fn)
    args = [resolve(a, data, ctx.where("args", i)) for i, a in enumerate(config.args)]
    if len(args) != len([p for p in params if p not in reference.defaults(fn)]) and len(args) != len(params):
        raise ctx.where("args").error(f"{fn}({', '.join(params)}) is given {len(args)} arguments")
    for name in config.stand_ins:
        if not reference.has(name):
            raise ctx.where("stand_ins", name).error(f"the reference defines no function '{name}' to stand in for")
        reference.params(name)
    drawn: list[tuple[Any, ...]] = [()]
    if _drawn(config):
        try:
            drawn = [tuple(d) for d in hypo.draw_examples(_strategy(config, ctx.spec.let), ctx.seed, config.examples)]
        except Exception as error:
            raise ctx.where("stand_ins").error(f"Hypothesis cannot draw these scripts ({error})") from None
    settings, runs = [], []
    for example in drawn:
        setting = _setting(reference, fn, config, example, args, data, lambda name: ctx.where("stand_ins", name))
        if ctx.mode == "self-check":
            setting = _without_replay(setting, config, ctx.seed, ctx.check.id)
        namespace = reference.namespace()
        try:
            run = _run(reference, reference.rebound(fn, namespace), namespace, config, setting, args)
        except Exception as error:
            raise ctx.where().error(f"the reference's {fn} fails under these stand-ins "
                                    f"({type(error).__name__}: {error})") from None
        settings.append(setting)
        runs.append(run)
    functions = {name: {"params": list(reference.params(name)), "defaults": reference.defaults(name)}
                 for name in config.stand_ins}
    mistakes: dict[str, list[list[Any]]] = {}
    for index, mistake in enumerate(ctx.part.mistakes):
        variants = []
        for variant in mistake.variants:
            prints = []
            for setting in settings:
                namespace = reference.namespace()
                mutant = reference.mutant(fn, variant, ctx.mistake_where(index), namespace)
                try:
                    prints.append(_decoded_fingerprint(config, _run(reference, mutant, namespace, config, setting,
                                                                    args), functions))
                except Exception:
                    prints.append(None)
            variants.append(prints)
        mistakes[mistake.id] = variants
    stored_settings = []
    for setting, run in zip(settings, runs, strict=True):
        item: dict[str, Any] = {"modes": setting.modes, "scripts": setting.scripts, "records": run.records,
                                "returned": run.returned, "printed": run.printed if config.printed else None,
                                "drawn": [name for name in _drawn(config)],
                                "replayed": [name for name, spec in config.stand_ins.items()
                                             if spec.mode == "replay" and ctx.mode == "official"]}
        if ctx.mode == "self-check" and run.asked:
            item["asked"] = run.asked
        stored_settings.append(item)
    return {"params": list(params), "args": args, "functions": functions, "settings": stored_settings,
            "fingerprints": [_decoded_fingerprint(config, run, functions) for run in runs], "mistakes": mistakes}


REPLAY_STAND_IN_VALUES = 3  # the self-check's script in place of a replay: this many values, in turn


def _without_replay(setting: Setting, config: Driver, seed: int, check_id: str) -> Setting:
    """The self-check ships to students: a replay stand-in's answers there would be the reference's
    own (along a lesson's path, say: a lookup table for another part). In their place it gets a
    few values of the same shape and size, unrelated to the reference's, drawn from its own seed."""
    import hashlib

    scripts = dict(setting.scripts)
    for name, spec in config.stand_ins.items():
        answers = [numbers(a) for a in scripts.get(name, [])] if spec.mode == "replay" else []
        if not answers or any(a is None for a in answers):
            continue
        shape = np.shape(scripts[name][0])
        magnitude = max(float(np.max(np.abs(a))) if a is not None and a.size else 0.0 for a in answers) or 1.0
        digest = hashlib.sha256(f"{seed}:{check_id}:{name}".encode()).digest()
        rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
        values = rng.uniform(-1.0, 1.0, (REPLAY_STAND_IN_VALUES, *shape)) * magnitude
        scripts[name] = [v if shape else float(v) for v in values]
    return Setting(setting.modes, scripts)


# ------------------------------------------------------------------ grading


def _stand_ins(ctx: CheckContext, setting: Mapping[str, Any]) -> dict[str, StandIn]:
    stored = ctx.stored
    config = _config(ctx.check)
    made = {}
    for name, mode in setting["modes"].items():
        info = stored["functions"][name]
        answer = None
        if mode == "ask":
            if ctx.reference is not None:
                answer = by_reference(ctx.reference.function(name))
            else:
                answer = by_lookup(_constant(setting.get("asked", {}).get(name, [])))
        values = setting["scripts"].get(name, [])
        if values and all(isinstance(v, np.ndarray) and v.dtype == np.float64 and v.shape == values[0].shape
                          for v in values):
            values = np.stack(values)
        made[name] = StandIn(mode, tuple(info["params"]), values=values, defaults=info.get("defaults", {}),
                             answer=answer, record=config.stand_ins[name].compare)
    return made


def _constant(calls: Sequence[Any]) -> Callable[[int], Sequence[Any]]:
    def same(index: int) -> Sequence[Any]:
        return calls

    return same


def _problem(ctx: CheckContext, reply: Reply, setting: Mapping[str, Any],
             expected: Mapping[str, Any]) -> str | None:
    """How the student's run differs from the reference driver's (None: it does not); `expected`
    holds the reference run's decoded records."""
    config = _config(ctx.check)
    fn = ctx.check.function
    problem = describe_reply(reply)
    if problem is not None:
        return t("driver.problem", driver=fn, problem=problem)
    for name in _compared(config):
        difference = compare_calls(name, fn, reply.records.get(name), expected[name], config.tolerance.rtol,
                                   config.tolerance.atol)
        if difference is not None:
            return difference.text
    returned = setting["returned"]
    if returned is not None:
        wrong = judge(reply, returned, config.returns, config.tolerance)
        if wrong is not None:
            return t("driver.returned", driver=fn, problem=wrong.text)
    if config.printed and setting.get("printed") is not None:
        printed = compare_printed(reply.printed or "", setting["printed"], config.tolerance.rtol)
        if printed is not None:
            line, got, want = printed
            return t("driver.printed", driver=fn, line=line, got=got or "—", expected=want or "—")
    return None


def _described(ctx: CheckContext, setting: Mapping[str, Any]) -> str:
    """The run's stand-ins in words: the counterexample of a driver check."""
    parts = []
    config = _config(ctx.check)
    for name, spec in config.stand_ins.items():
        values = setting["scripts"].get(name, [])
        if spec.draw is not None or (spec.mode in ("script", "replay") and values and
                                     name not in setting.get("replayed", ())):
            shown = ", ".join(render_value(v) for v in values)
            parts.append(t("driver.script_many" if len(values) > 1 else "driver.script_one", function=name,
                           shown=shown))
        elif name in setting.get("replayed", ()):
            parts.append(t("driver.replay", function=name))
        elif spec.mode == "reference":
            parts.append(t("driver.reference", function=name))
    if not parts:
        return f"{ctx.check.function}()"
    return t("driver.setting", driver=ctx.check.function, stand_ins="; ".join(parts))


def run(ctx: CheckContext) -> Verdict:
    stored = ctx.stored
    config = _config(ctx.check)
    fn = ctx.check.function
    settings = stored["settings"]
    variants = ctx.memo("stand-ins", lambda: [_stand_ins(ctx, s) for s in settings])
    session = ctx.session()
    replies = session.run(fn, stored["args"], variants, capture=config.printed)
    wanted = _wanted(config, stored["functions"])
    expected = ctx.memo("records", lambda: [decode_records(s["records"], wanted) for s in settings])
    problems = [_problem(ctx, reply, setting, records)
                for reply, setting, records in zip(replies, settings, expected, strict=True)]
    failing = [i for i, p in enumerate(problems) if p is not None]
    if not failing:
        return Verdict(True, examples=len(settings))
    mistake = _mistake(ctx, replies, failing)
    first = min(failing, key=lambda i: _size(settings[i]))
    setting_text, problem = _described(ctx, settings[first]), problems[first]
    if ctx.reference is not None and _drawn(config):
        found = _shrink(ctx, session)
        if found is not None:
            setting_text, problem = found
    assert problem is not None
    text = t("driver.counterexample", setting=setting_text, problem=problem)
    return Verdict(False, with_mistake(text, mistake, ctx.part), counterexample=setting_text, example=text,
                   examples=len(settings), misconception=mistake, details={"failed_examples": len(failing)})


def _size(setting: Mapping[str, Any]) -> int:
    return sum(len(setting["scripts"].get(name, [])) for name in setting.get("drawn", []))


def _mistake(ctx: CheckContext, replies: list[Reply], failing: list[int]) -> str | None:
    try:
        config = _config(ctx.check)
        stored = ctx.stored
        student = [None if r.kind != "returned" else fingerprint(r.records, _compared(config), _returned(r))
                   for r in replies]
        reference = stored["fingerprints"]
        candidates = stored.get("mistakes", {})
        return name_mistake(ctx.part, student, failing, reference, candidates, config.tolerance.rtol,
                            min_informative=1, memo=ctx.memo)
    except (ArithmeticError, ValueError, TypeError, IndexError, KeyError):
        return None  # naming the mistake only improves the feedback: it never decides the grade


def _returned(reply: Reply) -> np.ndarray | None:
    if reply.value is None:
        return None
    from grader.values import numbers_of

    found = numbers_of(reply.value)
    return None if found is None else np.asarray(found, dtype=np.float64)


def _shrink(ctx: CheckContext, session: Any) -> tuple[str, str] | None:
    """Hypothesis's smallest drawn scripts on which the student's run differs from the reference's
    (both run now: the reference in this process, the student's in theirs)."""
    reference = ctx.reference
    assert reference is not None
    config = _config(ctx.check)
    fn, data, args = ctx.check.function, ctx.spec.data, ctx.stored["args"]
    wanted = _wanted(config, ctx.stored["functions"])
    known: dict[str, Any] = ctx.memo("probes", dict)  # the reference's runs, shared by a class's searches

    def expected_for(example: Any) -> tuple[dict[str, Any], Any] | None:
        key = json.dumps(encode(example))
        if key not in known:
            try:
                setting = _setting(reference, fn, config, tuple(example), args, data, lambda name: ctx.where(name))
                namespace = reference.namespace()
                run = _run(reference, reference.rebound(fn, namespace), namespace, config, setting, args)
            except Exception:
                return None  # the reference cannot run these scripts: they tell nothing
            made = {"modes": setting.modes, "scripts": setting.scripts, "returned": run.returned,
                    "printed": run.printed if config.printed else None, "asked": run.asked}
            if len(known) >= MAX_REMEMBERED_PROBES:
                return made, decode_records(run.records, wanted)
            known[key] = (made, decode_records(run.records, wanted))
        return known[key]  # type: ignore[no-any-return]

    def probe(example: Any) -> str | None:
        found = expected_for(example)
        if found is None:
            return None
        made, records = found
        (reply,) = session.run(fn, args, [_stand_ins(ctx, made)], capture=config.printed)
        return _problem(ctx, reply, made, records)

    found = ctx.shrink(lambda: _strategy(config, ctx.spec.let), config.examples, probe)
    if found is None:
        return None
    example, problem = found
    scripts = dict(zip(_drawn(config), example, strict=True))
    replayed = [name for name, spec in config.stand_ins.items() if spec.mode == "replay"]
    return _described(ctx, {"scripts": scripts, "replayed": replayed}), str(problem)
