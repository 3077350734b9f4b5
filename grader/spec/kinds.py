"""The settings of each built-in check kind, as a spec declares them (see docs/authoring.md).

    against_reference   the function on drawn inputs, against the reference's answers
    cases               the function on listed inputs; expected values from the reference or the spec
    trajectory          x <- x - rate * f(*x, *args) from a start point, checkpoints against expected ones
    driver              a function such as main() run with others replaced by stand-ins; every stand-in
                        call (all its arguments) and what it returns compared with the reference driver's

Only what the spec says is parsed here; what it means at grading time lives in grader/checks/.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from grader.spec.expressions import compile_expression
from grader.spec.inputs import Draw, ListDraw, convert_fixed, parse_draw, parse_draws
from grader.spec.reader import Table, Where, boolean, count, integer, names, number, one_of, positive, type_name

Returns = Literal["like", "numbers"]
KIND_NAMES = ("against_reference", "cases", "trajectory", "driver")


@dataclass(frozen=True)
class Tolerance:
    """|got - expected| <= rtol * (|expected| + scale) + atol, elementwise."""

    rtol: float
    atol: float = 0.0
    scale: str | None = None  # an expression over the call's arguments: the magnitude of summed terms


@dataclass(frozen=True)
class AgainstReference:
    examples: int
    args: dict[str, Draw]
    let: dict[str, Draw]
    fixed: tuple[tuple[Any, ...], ...]
    uses: tuple[str, ...]
    returns: Returns
    tolerance: Tolerance


@dataclass(frozen=True)
class Cases:
    cases: str | tuple[dict[str, Any], ...]  # an expression giving a list of argument tuples, or tables
    expected: Any  # None: the reference's answers; else an expression or a literal list
    uses: tuple[str, ...]
    returns: Returns
    tolerance: Tolerance


@dataclass(frozen=True)
class Trajectory:
    start: Any
    rate: Any
    steps: Any
    args: tuple[Any, ...]
    every: int
    expected: Any  # None: the reference's checkpoints
    final: Any  # None: the reference's last point
    expected_label: Any  # Text or None
    uses: tuple[str, ...]
    tolerance: Tolerance


StandInMode = Literal["replay", "reference", "own", "value", "script"]


@dataclass(frozen=True)
class StandInSpec:
    """How one function is answered while a driver runs."""

    mode: StandInMode
    value: Any = None  # value: the constant; script: a literal list or an expression
    draw: ListDraw | None = None  # script: drawn by Hypothesis, one list per example
    compare: bool = True  # compare this function's calls with the reference driver's


@dataclass(frozen=True)
class Driver:
    examples: int
    args: tuple[Any, ...]
    stand_ins: dict[str, StandInSpec]
    returns: Returns
    tolerance: Tolerance
    printed: bool = False
    let: dict[str, Draw] = field(default_factory=dict)


KindConfig = AgainstReference | Cases | Trajectory | Driver


def _tolerance(table: Table, rtol: float, scale: bool = True) -> Tolerance:
    """rtol > 0, atol >= 0, and (where the kind uses one) the scale expression."""
    expression = table.get("scale", lambda v, w: _expression(v, w), None) if scale else None
    atol = table.get("atol", number, 0.0)
    if atol < 0:
        raise table.at("atol").error("cannot be negative")
    return Tolerance(rtol=table.get("rtol", positive, rtol), atol=atol, scale=expression)


def _expression(value: Any, where: Where) -> str:
    if not isinstance(value, str):
        raise where.error(f"must be an expression (a string), not {type_name(value)}")
    compile_expression(value, where)
    return value


def _expression_or_literal(value: Any, where: Where) -> Any:
    return _expression(value, where) if isinstance(value, str) else value


def _returns(table: Table) -> Returns:
    return "numbers" if table.get("returns", one_of("like", "numbers"), "like") == "numbers" else "like"


def _against_reference(table: Table, let: dict[str, Draw], rtol: float) -> AgainstReference:
    own_let = parse_draws(table.table("let"), let)
    everything = {**let, **own_let}
    args_table = table.table("args", default_empty=False)
    args = parse_draws(args_table, everything)
    if not args:
        raise table.at("args").error("declare how to draw each argument of the function")
    fixed = []
    for index, item in enumerate(table.raw("fixed", [])):
        where = table.at("fixed").key(index)
        example = Table(item, where)
        values = tuple(convert_fixed(example.raw(key), args[key], example.at(key)) for key in args)
        example.done()
        fixed.append(values)
    return AgainstReference(examples=table.get("examples", count, 100), args=args, let=own_let, fixed=tuple(fixed),
                            uses=table.get("uses", names, ()), returns=_returns(table),
                            tolerance=_tolerance(table, rtol))


def _cases(table: Table, rtol: float) -> Cases:
    raw = table.raw("cases")
    where = table.at("cases")
    cases: str | tuple[dict[str, Any], ...]
    if isinstance(raw, str):
        cases = _expression(raw, where)
    elif isinstance(raw, list) and raw:
        items = []
        for index, item in enumerate(raw):
            case = Table(item, where.key(index))
            items.append({key: _expression_or_literal(case.raw(key), case.at(key)) for key in list(case.keys())})
            case.done()
        cases = tuple(items)
    else:
        raise where.error("must be an expression giving a list of argument tuples, or a list of tables")
    expected = table.get("expected", _expression_or_literal, None)
    if expected == "reference":
        expected = None
    return Cases(cases=cases, expected=expected, uses=table.get("uses", names, ()), returns=_returns(table),
                 tolerance=_tolerance(table, rtol))


def _trajectory(table: Table, rtol: float) -> Trajectory:
    from grader.spec import text

    def value(key: str) -> Any:
        return _expression_or_literal(table.raw(key), table.at(key))

    args = table.raw("args", [])
    if not isinstance(args, list):
        raise table.at("args").error("must be a list of expressions (the arguments after the point)")
    expected = table.get("expected", _expression_or_literal, None)
    final = table.get("final", _expression_or_literal, None)
    return Trajectory(start=value("start"), rate=value("rate"), steps=value("steps"),
                      args=tuple(_expression_or_literal(a, table.at("args").key(i)) for i, a in enumerate(args)),
                      every=table.get("every", count, 1), expected=None if expected == "reference" else expected,
                      final=None if final == "reference" else final,
                      expected_label=table.get("expected_label", text, None), uses=table.get("uses", names, ()),
                      tolerance=_tolerance(table, rtol))


_MODES = ("replay", "reference", "own")


def _stand_in(value: Any, where: Where, known: dict[str, Draw]) -> StandInSpec:
    if isinstance(value, str):
        return StandInSpec(one_of(*_MODES)(value, where))  # type: ignore[arg-type]
    table = Table(value, where)
    compare = table.get("compare", boolean, True)
    present = [key for key in ("mode", "value", "script") if key in table]
    if len(present) != 1:
        raise where.error("give one of: mode = \"replay\" | \"reference\" | \"own\", value = ..., script = ...")
    if "mode" in table:
        spec = StandInSpec(table.get("mode", one_of(*_MODES)), compare=compare)  # type: ignore[arg-type]
    elif "value" in table:
        spec = StandInSpec("value", value=_expression_or_literal(table.raw("value"), table.at("value")),
                           compare=compare)
    else:
        raw = table.raw("script")
        if isinstance(raw, dict):
            draw = parse_draw(raw, table.at("script"), known)
            if not isinstance(draw, ListDraw):
                raise table.at("script").error("a drawn script must be a list draw: { list = [1, 3], of = ... }")
            spec = StandInSpec("script", draw=draw, compare=compare)
        elif isinstance(raw, (str, list)):
            spec = StandInSpec("script", value=_expression_or_literal(raw, table.at("script")), compare=compare)
        else:
            raise table.at("script").error(f"must be a list of values, an expression or a list draw, "
                                           f"not {type_name(raw)}")
    table.done()
    return spec


def _driver(table: Table, let: dict[str, Draw], rtol: float) -> Driver:
    own_let = parse_draws(table.table("let"), let)
    known = {**let, **own_let}
    stand_ins_table = table.table("stand_ins", default_empty=False)
    stand_ins = {key: _stand_in(stand_ins_table.raw(key), stand_ins_table.at(key), known)
                 for key in list(stand_ins_table.keys())}
    if not stand_ins:
        raise table.at("stand_ins").error("name at least one function to stand in for")
    drawn = any(s.draw is not None for s in stand_ins.values())
    examples = table.get("examples", count, 5 if drawn else 1)
    if not drawn and examples != 1:
        raise table.at("examples").error("only a driver with a drawn script runs more than one example")
    args = table.raw("args", [])
    if not isinstance(args, list):
        raise table.at("args").error("must be a list of expressions (the driver's arguments)")
    return Driver(examples=examples,
                  args=tuple(_expression_or_literal(a, table.at("args").key(i)) for i, a in enumerate(args)),
                  stand_ins=stand_ins, returns=_returns(table), tolerance=_tolerance(table, rtol, scale=False),
                  printed=table.get("printed", boolean, False), let=own_let)


def parse_kind(kind: str, table: Table, let: dict[str, Draw], rtol: float) -> KindConfig:
    """The settings of one check, by its kind; the keys every check has are read by the caller."""
    if kind == "against_reference":
        return _against_reference(table, let, rtol)
    if kind == "cases":
        return _cases(table, rtol)
    if kind == "trajectory":
        return _trajectory(table, rtol)
    return _driver(table, let, rtol)


def check_examples(config: KindConfig) -> int:
    """How many inputs a check runs (for the report's provenance)."""
    if isinstance(config, (AgainstReference, Driver)):
        return config.examples
    return 0


__all__ = ["KIND_NAMES", "AgainstReference", "Cases", "Driver", "KindConfig", "StandInSpec", "Tolerance",
           "Trajectory", "integer", "parse_kind"]
