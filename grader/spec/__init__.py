"""An exercise's spec.toml -> a frozen AssignmentSpec: parts, points, check kinds, mistakes, words.

Everything about one exercise lives in its folder as data (the spec, the stubs, the build); the
engine reads it through this module only. Every problem with a spec is a SpecError that names the
file, the line and the key (exit 2), never a traceback.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import SpecError
from grader.messages import DEFAULT, LANGUAGES, current
from grader.spec.expressions import compile_expression, resolve
from grader.spec.inputs import Draw, parse_draws
from grader.spec.kinds import KIND_NAMES, KindConfig, parse_kind
from grader.spec.reader import Source, Table, Where, count, integer, name, number, one_of, positive, string, type_name

BUILD_FORMAT = 1  # bumped when what `grade build` writes changes meaning
MISTAKE_CODE_KEYS = ("expr", "replace", "code", "values")
TOP_LEVEL_MODES = ("run", "salvage")  # how a submission's top-level code is run (see docs/authoring.md 3.2)


@dataclass(frozen=True)
class Text:
    """Words an author wrote, in one or more languages; English (else any) when one is missing."""

    texts: tuple[tuple[str, str], ...]

    def get(self, lang: str | None = None) -> str:
        by_lang = dict(self.texts)
        return by_lang.get(lang or current()) or by_lang.get(DEFAULT) or self.texts[0][1]

    def __str__(self) -> str:
        return self.get()


def text(value: Any, where: Where) -> Text:
    """A string (English) or a table of languages: `title.en = "..."`, `title.ko = "..."`."""
    if isinstance(value, str):
        return Text(((DEFAULT, value),))
    table = Table(value, where)
    texts = []
    for lang in LANGUAGES:
        if lang in table:
            texts.append((lang, table.get(lang, string)))
    table.done()
    if not texts:
        raise where.error(f"needs the text in at least one language ({', '.join(LANGUAGES)})")
    return Text(tuple(texts))


@dataclass(frozen=True)
class Limits:
    """Per-submission resource limits; every one has a sane default."""

    load_seconds: float = 10.0
    check_seconds: float = 10.0
    memory_mb: int = 512
    cpu_seconds: int = 60
    file_mb: int = 8
    scratch_mb: int = 16
    processes: int = 32
    output_kb: int = 64

    def for_sandbox(self) -> dict[str, int]:
        return {"memory_mb": self.memory_mb, "cpu_seconds": self.cpu_seconds, "file_mb": self.file_mb,
                "scratch_mb": self.scratch_mb, "processes": self.processes}


@dataclass(frozen=True)
class Variant:
    """One way of writing a mistake: an expression of the arguments, edits of the reference
    function's source (old text -> new text), or a whole function."""

    expr: str | None = None
    replace: tuple[tuple[str, str], ...] = ()
    code: str | None = None


@dataclass(frozen=True)
class MistakeSpec:
    """A typical wrong answer of a part: its words, and the code that computes it (official only)."""

    id: str
    name: Text
    hint: Text | None
    variants: tuple[Variant, ...]


@dataclass(frozen=True)
class EquivalentMutant:
    """A change `grade mutants` makes to the reference's part that computes the same thing (the
    author says why): a survivor it explains is no hole in the checks. `before` and `after` are
    the changed statement as `ast.unparse` writes it, "" after for a deleted one."""

    before: str
    after: str
    reason: str


@dataclass(frozen=True)
class CheckSpec:
    id: str
    kind: str
    points: float
    title: Text
    function: str
    seconds: float | None
    config: KindConfig


@dataclass(frozen=True)
class PartSpec:
    """One TODO: its name in reports, the function it concerns, its checks and typical mistakes."""

    name: str
    function: str
    title: Text
    hint: Text | None
    checks: tuple[CheckSpec, ...]
    mistakes: tuple[MistakeSpec, ...] = ()
    equivalent_mutants: tuple[EquivalentMutant, ...] = ()  # official only: they hold the reference's code

    @property
    def max_score(self) -> float:
        return sum(check.points for check in self.checks)


@dataclass(frozen=True)
class AssignmentSpec:
    id: str
    title: Text
    path: Path
    reference: Path | None
    stub: Path
    parts: tuple[PartSpec, ...]
    limits: Limits
    seed: int
    selfcheck_seed: int
    rtol: float
    data: dict[str, Any]
    digest: str  # the spec's content and the reference's: what an official build was made from
    public_digest: str  # the spec without its mistakes' code: what a self-check build was made from
    let: dict[str, Draw] = field(default_factory=dict)  # the draws every check may name
    table: dict[str, Any] = field(repr=False, default_factory=dict)
    top_level: str = "run"  # "run": the submission runs as Python runs it; "salvage": failing statements skipped

    @property
    def directory(self) -> Path:
        return self.path.parent

    @property
    def max_score(self) -> float:
        return sum(part.max_score for part in self.parts)

    def check(self, check_id: str) -> tuple[PartSpec, CheckSpec]:
        for part in self.parts:
            for check in part.checks:
                if check.id == check_id:
                    return part, check
        raise KeyError(check_id)


def selfcheck_seed_of(seed: int) -> int:
    """The self-check's own seed when the spec gives none: another seed, never the official one."""
    return seed ^ 0x5E1FC0DE


def _canonical(table: Any) -> bytes:
    return json.dumps(table, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")


def public_table(table: dict[str, Any]) -> dict[str, Any]:
    """The spec as students may see it: no path to the reference, no mistake's code, and not the
    official grade's seed (the self-check's stays: it names the inputs the student's build holds)."""
    public = {key: value for key, value in table.items()}
    assignment = dict(table.get("assignment", {})) if isinstance(table.get("assignment"), dict) else {}
    if "selfcheck_seed" not in assignment and isinstance(assignment.get("seed", 0), int):
        assignment["selfcheck_seed"] = selfcheck_seed_of(assignment.get("seed", 0))
    public["assignment"] = {k: v for k, v in assignment.items() if k not in ("reference", "seed")}
    parts = []
    for part in table.get("parts", []) if isinstance(table.get("parts"), list) else []:
        if isinstance(part, dict):
            part = dict(part)
            part["mistakes"] = [{k: v for k, v in m.items() if k not in MISTAKE_CODE_KEYS}
                                for m in part.get("mistakes", []) if isinstance(m, dict)]
            if not part["mistakes"]:
                del part["mistakes"]
            part.pop("equivalent_mutants", None)  # the reference's code, for authors only
        parts.append(part)
    public["parts"] = parts
    return public


def _graded(table: dict[str, Any]) -> dict[str, Any]:
    """The spec without what grading never reads (the equivalent mutants): recording one does not
    make the build stale."""
    parts = table.get("parts")
    if not isinstance(parts, list):
        return table
    return {**table, "parts": [{k: v for k, v in part.items() if k != "equivalent_mutants"}
                               if isinstance(part, dict) else part for part in parts]}


def digests(table: dict[str, Any], reference: Path | None) -> tuple[str, str]:
    full = hashlib.sha256(f"format {BUILD_FORMAT}\n".encode() + _canonical(_graded(table)))
    if reference is not None:
        try:
            full.update(reference.read_bytes())
        except OSError:
            pass  # reported where the reference is needed
    public = hashlib.sha256(f"format {BUILD_FORMAT}\n".encode() + _canonical(public_table(table)))
    return full.hexdigest(), public.hexdigest()


def _replace_pairs(value: Any, where: Where) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list) or not value:
        raise where.error('must be a list of [old, new] pairs of text, e.g. [["w - lr", "w + lr"]]')
    pairs = []
    for index, pair in enumerate(value):
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
            raise where.key(index).error("must be a pair of strings [old, new]")
        if not pair[0]:
            raise where.key(index).error("the old text cannot be empty")
        pairs.append((pair[0], pair[1]))
    return tuple(pairs)


def _substitute(template: str, values: dict[str, Any]) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", repr(value) if not isinstance(value, str) else value)
    return template


def _variants(table: Table, public: bool) -> tuple[Variant, ...]:
    present = [key for key in ("expr", "replace", "code") if key in table]
    if not present:
        if public:
            return ()
        raise table.where.error("give the wrong code: expr = \"...\" (the wrong answer as an expression), "
                                "replace = [[old, new], ...] (edits of the reference) or code = \"def ...\"")
    if len(present) > 1:
        raise table.where.error(f"give one of expr, replace and code, not {' and '.join(present)}")
    raw_values = table.raw("values", [{}])
    if not isinstance(raw_values, list) or not raw_values:
        raise table.at("values").error("must be a non-empty list (one alternative each)")
    values = [v if isinstance(v, dict) else {"value": v} for v in raw_values]
    variants: list[Variant] = []
    key = present[0]
    for item in values:
        if key == "expr":
            raw = table.raw("expr")
            exprs = [raw] if isinstance(raw, str) else raw
            if not isinstance(exprs, list) or not all(isinstance(e, str) for e in exprs):
                raise table.at("expr").error("must be an expression, or a list of them (alternatives)")
            for expr in exprs:
                substituted = _substitute(expr, item)
                compile_expression(substituted, table.at("expr"))
                variants.append(Variant(expr=substituted))
        elif key == "replace":
            pairs = _replace_pairs(table.raw("replace"), table.at("replace"))
            variants.append(Variant(replace=tuple((old, _substitute(new, item)) for old, new in pairs)))
        else:
            variants.append(Variant(code=_substitute(table.get("code", string), item)))
    return tuple(variants)


def _mistake(table: Table, public: bool) -> MistakeSpec:
    ident = table.get("id", name)
    mistake = MistakeSpec(id=ident, name=table.get("name", text), hint=table.get("hint", text, None),
                          variants=_variants(table, public))
    table.done()
    return mistake


def _check(table: Table, part_function: str, let: dict[str, Draw], rtol: float) -> CheckSpec:
    kind = table.get("kind", one_of(*KIND_NAMES))
    check = CheckSpec(id=table.get("id", string), kind=kind, points=table.get("points", number),
                      title=table.get("title", text), function=table.get("function", name, part_function),
                      seconds=table.get("seconds", positive, None),
                      config=parse_kind(kind, table, let, rtol))
    if check.points < 0:
        raise table.at("points").error("cannot be negative")
    table.done()
    return check


def _part(table: Table, let: dict[str, Draw], rtol: float, public: bool) -> PartSpec:
    part_name = table.get("name", string)
    default_function = part_name if part_name.isidentifier() else None
    function = table.get("function", name, default_function)
    if function is None:
        raise table.where.error(f"'{part_name}' is not a function's name: give function = \"...\"")
    checks = tuple(_check(item, function, let, rtol) for item in table.tables("checks", label="id"))
    if not checks:
        raise table.at("checks").error("a part needs at least one check ([[parts.checks]])")
    declared = table.get("points", number, None)
    part = PartSpec(name=part_name, function=function, title=table.get("title", text),
                    hint=table.get("hint", text, None), checks=checks,
                    mistakes=tuple(_mistake(item, public) for item in table.tables("mistakes", label="id")),
                    equivalent_mutants=tuple(_equivalent(item) for item in table.tables("equivalent_mutants",
                                                                                        label=None)))
    if declared is not None and abs(declared - part.max_score) > 1e-9:
        raise table.at("points").error(f"the part is worth {declared:g} points but its checks add up to "
                                       f"{part.max_score:g}")
    ids = [m.id for m in part.mistakes]
    if len(set(ids)) != len(ids):
        raise table.at("mistakes").error(f"two mistakes share the id '{_first_repeat(ids)}'")
    table.done()
    return part


def _equivalent(table: Table) -> EquivalentMutant:
    record = EquivalentMutant(before=table.get("before", string), after=table.get("after", string),
                              reason=table.get("reason", string))
    if not record.before.strip():
        raise table.at("before").error("must be the changed statement as `grade mutants` shows it")
    if not record.reason.strip():
        raise table.at("reason").error("must say why the change computes the same thing")
    table.done()
    return record


def _first_repeat(items: list[str]) -> str:
    seen: set[str] = set()
    for item in items:
        if item in seen:
            return item
        seen.add(item)
    return ""


def _limits(table: Table) -> Limits:
    defaults = Limits()
    values: dict[str, Any] = {}
    for key in Limits.__dataclass_fields__:
        default = getattr(defaults, key)
        values[key] = table.get(key, positive if isinstance(default, float) else count, default)
    table.done()
    return Limits(**values)


def _data(table: Table) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key in list(table.keys()):
        if not key.isidentifier():
            raise table.at(key).error(f"'{key}' is not a valid name")
        data[key] = resolve(table.raw(key), data, table.at(key))
    table.done()
    return data


def _answered_by_reference(config: Any) -> list[tuple[str, str]]:
    """The functions a check has the reference answer (`uses`; a driver's replay or reference
    stand-ins), with the key that says so."""
    found = [(function, "uses") for function in getattr(config, "uses", ())]
    for function, stand_in in getattr(config, "stand_ins", {}).items():
        if stand_in.mode in ("replay", "reference"):
            found.append((function, f"stand_ins.{function}"))
    return found


def _validate_uses(parts: tuple[PartSpec, ...], root: Table) -> None:
    """A part may have the reference answer for a function only once that function's own part is
    graded: the reference's answers never reach the student before their own answers to it."""
    functions = {part.function: index for index, part in enumerate(parts)}
    for index, part in enumerate(parts):
        for check_index, check in enumerate(part.checks):
            for used, key in _answered_by_reference(check.config):
                where = root.where.key("parts").key(index, part.name).key("checks").key(check_index, check.id)
                where = where.key(key)
                if used == part.function:
                    raise where.error(f"'{used}' is the function this part checks")
                if functions.get(used, -1) > index:
                    raise where.error(f"'{used}' is checked by a later part; put its part first")


def load_spec(path: Path) -> AssignmentSpec:
    """Parse and validate a spec file (or the spec.toml in a folder)."""
    path = Path(path)
    if path.is_dir():
        path = path / "spec.toml"
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise SpecError(f"{path}: cannot read the spec ({error.strerror})") from None
    try:
        source_text = raw.decode("utf-8")
        table = tomllib.loads(source_text)
    except UnicodeDecodeError:
        raise SpecError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise SpecError(f"{path}: not valid TOML ({error})") from None
    root = Table(table, Where(Source(path, source_text)))
    assignment = root.table("assignment", default_empty=False)
    reference_name = assignment.get("reference", string, None)
    reference = (path.parent / reference_name).resolve() if reference_name else None
    public = reference is None
    tolerance = root.table("tolerance")
    rtol = tolerance.get("rtol", positive, 1e-7)
    tolerance.done()
    limits = _limits(root.table("limits"))
    data = _data(root.table("data"))
    let = parse_draws(root.table("let"))
    seed = assignment.get("seed", integer, 0)
    selfcheck_seed = assignment.get("selfcheck_seed", integer, selfcheck_seed_of(seed))
    parts = tuple(_part(item, let, rtol, public) for item in root.tables("parts"))
    if not parts:
        raise root.at("parts").error("an exercise needs at least one part ([[parts]])")
    names = [part.name for part in parts]
    if len(set(names)) != len(names):
        raise root.at("parts").error(f"two parts share the name '{_first_repeat(names)}'")
    ids = [check.id for part in parts for check in part.checks]
    if len(set(ids)) != len(ids):
        raise root.at("parts").error(f"two checks share the id '{_first_repeat(ids)}'")
    _validate_uses(parts, root)
    total = assignment.get("points", number, None)
    max_score = sum(part.max_score for part in parts)
    if total is not None and abs(total - max_score) > 1e-9:
        raise assignment.at("points").error(f"the exercise is worth {total:g} points but its parts add up to "
                                            f"{max_score:g}")
    if max_score <= 0:
        raise root.at("parts").error("the checks are worth no points at all")
    spec_id = assignment.get("id", string)
    title = assignment.get("title", text)
    stub = path.parent / assignment.get("stub", string)
    top_level = assignment.get("top_level", one_of(*TOP_LEVEL_MODES), "run")
    assignment.done()
    root.done()
    full, public_digest = digests(table, reference)
    return AssignmentSpec(id=spec_id, title=title, path=path, reference=reference, stub=stub, parts=parts,
                          limits=limits, seed=seed, selfcheck_seed=selfcheck_seed, rtol=rtol, data=data,
                          digest=full, public_digest=public_digest, let=let, table=table,
                          top_level=top_level)


__all__ = ["AssignmentSpec", "CheckSpec", "EquivalentMutant", "Limits", "MistakeSpec", "PartSpec", "Text",
           "Variant", "count",
           "load_spec", "public_table", "type_name"]
