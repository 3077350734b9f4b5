"""`grade mutants EXERCISE`: do the exercise's checks catch small changes to the reference?

Every mutant (grader/authoring/mutation.py) changes the code of one part's solution region once.
Each is graded by the exercise's official checks through the batch machinery (worker processes
with warm sandboxes), and counted per part: caught (the part loses points), named (a failing
check names a mistake of the catalogue), or a survivor (full marks in the part it changed). A
survivor is either a program that computes the same thing, which the author records in the
part's `[[parts.equivalent_mutants]]` with the reason, or a hole in the checks.

    exit 0  every survivor is explained          1  some survivor is not          2  could not run
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.arguments import Parser, add_assignment_option
from grader.authoring.mutation import Mutant, mutants
from grader.errors import EXIT_FULL_MARKS, EXIT_POINTS_MISSING, SpecError
from grader.spec import AssignmentSpec, EquivalentMutant, PartSpec


@dataclass
class PartFigures:
    """What became of one part's mutants."""

    part: str
    generated: int = 0
    caught: int = 0
    named: Counter[str] = field(default_factory=Counter)  # mistake id -> mutants it named
    named_mutants: list[tuple[Mutant, str]] = field(default_factory=list)  # to read each naming by hand
    explained: list[tuple[Mutant, str]] = field(default_factory=list)  # survivor, the recorded reason
    unexplained: list[Mutant] = field(default_factory=list)
    unused: list[EquivalentMutant] = field(default_factory=list)  # records no mutant matched

    def to_json(self) -> dict[str, Any]:
        return {"part": self.part, "generated": self.generated, "caught": self.caught,
                "named": sum(self.named.values()), "named_by": dict(self.named),
                "named_mutants": [{"before": m.before, "after": m.after, "named": n} for m, n in self.named_mutants],
                "survivors_explained": [{"before": m.before, "after": m.after, "reason": r} for m, r in self.explained],
                "survivors_unexplained": [{"operator": m.operator, "before": m.before, "after": m.after}
                                          for m in self.unexplained],
                "unused_records": [{"before": e.before, "after": e.after} for e in self.unused]}


@dataclass
class MutantsReport:
    exercise: str
    parts: list[PartFigures]
    seconds: float
    workers: int
    sampled: int | None  # at most this many mutants per part (None: all of them)

    @property
    def unexplained(self) -> int:
        return sum(len(p.unexplained) for p in self.parts)


def _key(text: str) -> str:
    return " ".join(text.split())


def _explained(part: PartSpec, mutant: Mutant) -> str | None:
    for record in part.equivalent_mutants:
        if _key(record.before) == _key(mutant.before) and _key(record.after) == _key(mutant.after):
            return record.reason
    return None


def part_mutants(spec: AssignmentSpec) -> dict[str, list[Mutant]]:
    """The mutants of each part (by its name), in a fixed order."""
    from grader.authoring.assign import parse_source, solution_code

    if spec.reference is None:
        raise SpecError(f"{spec.path}: mutants are made from the reference solution (the spec names none)")
    code, lines = solution_code(parse_source(spec.reference))
    by_function: dict[str, PartSpec] = {}
    for part in spec.parts:
        by_function.setdefault(part.function, part)
    found: dict[str, list[Mutant]] = {part.name: [] for part in spec.parts}
    for mutant in mutants(code, lines, frozenset(by_function)):
        found[by_function[mutant.function].name].append(mutant)
    return found


def sample(items: list[Mutant], size: int | None) -> list[Mutant]:
    """At most `size` of them, the same ones on every run (ordered by a digest of their change)."""
    if size is None or len(items) <= size:
        return items
    ranked = sorted(items, key=lambda m: hashlib.sha256(f"{m.operator}\n{m.before}\n{m.after}".encode()).digest())
    chosen = set(map(id, ranked[:size]))
    return [m for m in items if id(m) in chosen]


def _grade_all(spec: AssignmentSpec, chosen: list[tuple[str, Mutant]], workers: int) -> list[dict[str, Any]]:
    """Each mutant's result (SubmissionResult JSON), in order, graded by a local pool of workers."""
    from grader.batch.identity import Identity
    from grader.batch.runner import Job, LocalPool

    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="grade-mutants-") as folder:
        jobs = []
        for index, (_, mutant) in enumerate(chosen):
            path = Path(folder) / f"mutant_{index:04d}.py"
            path.write_text(mutant.source, encoding="utf-8")
            identity = Identity(student_key=path.stem, display_name=None, lms="plain", user_id=None,
                                submission_id=None, late=False, original_name=path.name, path=path)
            jobs.append(Job(identity, path.stem))
        pool = LocalPool(workers)
        try:
            for job, data in pool.run(str(spec.path), jobs):
                results[job.key] = data
        finally:
            pool.close()
    return [results.get(f"mutant_{index:04d}", {"crashed": "no result"}) for index in range(len(chosen))]


def _fate(data: dict[str, Any], part: str) -> tuple[bool, str | None]:
    """(whether the part lost points, the mistake a failing check of it named)."""
    if "crashed" in data:
        return True, None
    for graded in data.get("parts", []):
        if graded.get("name") == part:
            named = next((c.get("misconception") for c in graded.get("checks", [])
                          if c.get("misconception") and c.get("status") != "passed"), None)
            return float(graded.get("score", 0)) < float(graded.get("max_score", 0)), named
    return True, None


def run_mutants(spec: AssignmentSpec, workers: int, per_part: int | None = None) -> MutantsReport:
    started = time.monotonic()
    found = part_mutants(spec)
    chosen = [(name, mutant) for name, items in found.items() for mutant in sample(items, per_part)]
    results = _grade_all(spec, chosen, workers)
    figures = {part.name: PartFigures(part.name) for part in spec.parts}
    parts = {part.name: part for part in spec.parts}
    matched: set[tuple[str, str, str]] = set()
    for (name, mutant), data in zip(chosen, results, strict=True):
        figure = figures[name]
        figure.generated += 1
        caught, named = _fate(data, name)
        if caught:
            figure.caught += 1
            if named:
                figure.named[named] += 1
                figure.named_mutants.append((mutant, named))
            continue
        reason = _explained(parts[name], mutant)
        if reason is None:
            figure.unexplained.append(mutant)
        else:
            figure.explained.append((mutant, reason))
            matched.add((name, _key(mutant.before), _key(mutant.after)))
    if per_part is None:  # with every mutant graded, a record that matched none is out of date
        for part in spec.parts:
            figures[part.name].unused = [e for e in part.equivalent_mutants
                                         if (part.name, _key(e.before), _key(e.after)) not in matched]
    return MutantsReport(spec.id, list(figures.values()), time.monotonic() - started, workers, per_part)


def _toml(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a TOML basic string is a JSON string


def render(report: MutantsReport, verbose: bool = False) -> str:
    sampled = f", at most {report.sampled} per part" if report.sampled is not None else ""
    lines = [f"{report.exercise}: {sum(p.generated for p in report.parts)} mutants of the reference{sampled}, "
             f"graded in {report.seconds:.1f} s ({report.workers} worker(s))", "",
             f"{'part':<20} {'generated':>9} {'caught':>7} {'named':>6} {'equivalent':>10} {'unexplained':>11}"]
    for p in report.parts:
        lines.append(f"{p.part:<20} {p.generated:>9} {p.caught:>7} {sum(p.named.values()):>6} "
                     f"{len(p.explained):>10} {len(p.unexplained):>11}")
    for p in report.parts:
        if p.named:
            lines.append(f"  {p.part} named: " + ", ".join(f"{k} {v}" for k, v in p.named.most_common()))
    for p in report.parts:
        for mutant, named in p.named_mutants if verbose else ():
            lines.append(f"  named in {p.part}: {mutant.before!r} -> {mutant.after!r}: {named}")
        for mutant, reason in p.explained:
            lines.append(f"  equivalent in {p.part}: {mutant.before!r} -> {mutant.after!r} ({reason})")
        for record in p.unused:
            lines.append(f"  note: {p.part}'s equivalent_mutants record {record.before!r} -> {record.after!r} "
                         "matches no mutant any more")
    unexplained = [(p.part, m) for p in report.parts for m in p.unexplained]
    if unexplained:
        lines += ["", f"{len(unexplained)} survivor(s) with full marks in the part they change, not recorded as "
                  "equivalent: a hole in the checks, or a program that computes the same thing. For the "
                  "latter, add to the part in spec.toml:"]
        for part, mutant in unexplained:
            lines += ["", f"  # part {part} ({mutant.operator})", "  [[parts.equivalent_mutants]]",
                      f"  before = {_toml(mutant.before)}", f"  after = {_toml(mutant.after)}",
                      '  reason = "..."']
    else:
        lines += ["", "every survivor is recorded as equivalent, with its reason"]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = Parser(prog="grade mutants", description="Grade small changes of the reference (its solution "
                    "regions only) with the exercise's official checks; list the survivors.")
    parser.add_argument("assignment", type=Path, nargs="?", default=None,
                        help="the exercise's folder, or its spec.toml (or --assignment; default: found from here up)")
    add_assignment_option(parser)
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per CPU)")
    parser.add_argument("--sample", type=int, default=None, metavar="N",
                        help="grade at most N mutants per part, the same ones on every run (default: all)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--verbose", action="store_true", help="also list each named mutant and its mistake")
    return parser


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv)[1:])
    from grader.batch.runner import default_jobs
    from grader.discover import find_spec, named_spec
    from grader.spec import load_spec

    spec = load_spec(named_spec(find_spec(args.assignment or args.spec)))
    report = run_mutants(spec, args.jobs or default_jobs(), args.sample)
    if args.json:
        print(json.dumps({"exercise": report.exercise, "seconds": round(report.seconds, 2),
                          "workers": report.workers, "sampled": report.sampled,
                          "parts": [p.to_json() for p in report.parts]}, ensure_ascii=False))
    else:
        print(render(report, args.verbose))
    return EXIT_POINTS_MISSING if report.unexplained else EXIT_FULL_MARKS
