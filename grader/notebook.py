"""`check()` inside a notebook: self-check the functions defined so far, and show the report as HTML.

    from grader.notebook import check
    check()

It reads the source of the functions the notebook defined (and the modules it imported, such
as `np`), writes them to a temporary file, and runs the self-check on that file in the
sandbox: the student's code never runs in the notebook's own process here, and nothing of
the reference is needed. The returned object renders as HTML in Jupyter and as the terminal
report elsewhere.
"""

from __future__ import annotations

import atexit
import html
import inspect
import sys
import tempfile
import types
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.errors import GraderError
from grader.messages import default_language, t, use
from grader.results import CheckResult, SubmissionResult

if TYPE_CHECKING:
    from grader.sandbox.client import Runner


def notebook_namespace() -> dict[str, Any]:
    """The running notebook's variables (IPython), else those of __main__."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None:
        return dict(shell.user_ns)
    return dict(vars(sys.modules["__main__"]))


def source_of(namespace: Mapping[str, Any]) -> str:
    """Imports of the modules in the namespace, then the source of each function it defined."""
    module_name = namespace.get("__name__", "__main__")
    imports: list[str] = []
    functions: list[str] = []
    for name, value in namespace.items():
        if name.startswith("_"):
            continue
        if isinstance(value, types.ModuleType):
            real = value.__name__
            imports.append(f"import {real}" if real == name else f"import {real} as {name}")
        elif isinstance(value, types.FunctionType) and value.__module__ == module_name:
            try:
                functions.append(inspect.getsource(value))
            except (OSError, TypeError):
                continue
    parts = sorted(set(imports)) + [""] + [_dedent(f) for f in functions]
    return "\n".join(parts).strip() + "\n" if functions else ""


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text).rstrip() + "\n"


class NotebookReport:
    """A self-check result that Jupyter shows as HTML (`_repr_html_`) and a terminal as text."""

    def __init__(self, result: SubmissionResult | None, lang: str, message: str | None = None) -> None:
        self.result = result
        self.lang = lang
        self.message = message

    @property
    def score(self) -> float:
        return self.result.score if self.result else 0.0

    @property
    def max_score(self) -> float:
        return self.result.max_score if self.result else 0.0

    def __repr__(self) -> str:
        with use(self.lang):
            if self.result is None:
                return self.message or ""
            from grader.report.terminal import render

            return render(self.result)

    def _repr_html_(self) -> str:
        with use(self.lang):
            if self.result is None:
                return f"<p>{html.escape(self.message or '')}</p>"
            return render_html(self.result)


def render_html(result: SubmissionResult) -> str:
    """Per TODO: verdict, score and feedback; for a failed trajectory, the side-by-side checkpoint table."""
    e = html.escape
    title = f"{e(t('report.score'))}: {result.score:g} / {result.max_score:g}"
    if result.mode == "self-check":
        title += f" ({e(t('report.self_check'))})"
    out = ['<div class="grader-report" style="font-family: sans-serif">', f"<h3>{title}</h3>"]
    if result.error:
        out.append(f'<p style="color:#b00">{e(t("report.error"))}: {e(result.error)}</p>')
    for part in result.parts:
        full = part.score >= part.max_score
        colour = "#060" if full else "#b00"
        verdict = t("report.correct") if full else t("report.not_yet")
        out.append(f'<h4 style="color:{colour}">{"✔" if full else "✘"} {e(part.title)} — '
                   f"{part.score:g} / {part.max_score:g} ({e(verdict)})</h4>")
        if result.error:
            continue
        for check in part.checks:
            if not check.passed:
                out.append(_check_html(check))
    if result.notes:
        out.append("<ul>" + "".join(f"<li>{e(note)}</li>" for note in result.notes) + "</ul>")
    out.append("</div>")
    return "\n".join(out)


def _check_html(check: CheckResult) -> str:
    e = html.escape
    out = [f"<p><b>✘ {e(check.title)}</b></p>",
           f'<pre style="white-space: pre-wrap">{e(check.feedback)}</pre>']
    rows = check.details.get("checkpoints") if isinstance(check.details, dict) else None
    if rows:
        names = ", ".join(check.details.get("names", []))
        other = f"{check.details.get('expected_label', '')} {names}"
        first = check.details.get("first_diverging")
        out.append('<table style="border-collapse: collapse"><tr>'
                   f"<th>{e(t('table.step'))}</th><th>{e(t('table.yours', names=names))}</th><th>{e(other)}</th>"
                   "<th></th></tr>")
        for row in rows:
            marked = row["step"] == first
            style = ' style="background:#fdd"' if marked else ""
            mine = (t("table.not_reached") if row["student"] is None
                    else ", ".join(f"{v:.10g}" for v in row["student"]))
            expected = ", ".join(f"{v:.10g}" for v in row["expected"])
            mark = ("✔" if row["ok"] else "✘") + (f" {t('table.marker')}" if marked else "")
            out.append(f"<tr{style}><td>{row['step']}</td><td>{e(mine)}</td><td>{e(expected)}</td>"
                       f"<td>{e(mark)}</td></tr>")
        out.append("</table>")
    return "\n".join(out)


_warm: list[Runner] = []


def _warm_runner() -> Runner:
    """One runner for every check() of this kernel, kept between calls: the sandbox's worker, or
    the portable runner's next interpreter, is warm when the student checks again. Closed (and its
    processes waited for) when the kernel's Python exits."""
    from grader.sandbox.client import start_runner

    if not _warm:
        runner = start_runner("self-check")
        atexit.register(runner.close)
        _warm.append(runner)
    return _warm[0]


def _drop_runner() -> None:
    if _warm:
        runner = _warm.pop()
        atexit.unregister(runner.close)
        runner.close()


def check(namespace: Mapping[str, Any] | None = None, *, source: str | None = None, lang: str | None = None,
          spec: Path | str | None = None) -> NotebookReport:
    """Self-check the functions defined so far (or `source`), in the sandbox; the report renders as HTML.

    The exercise is `spec` (its folder or spec.toml), else the one found from the notebook's folder
    (Jupyter's working folder) upward, as `grade` finds it."""
    from grader.discover import find_spec
    from grader.selfcheck import grade_selfcheck, load_selfcheck_assignment
    from grader.spec import load_spec

    language = lang or default_language()
    with use(language) as language:
        try:
            exercise = load_spec(find_spec(Path(spec) if spec is not None else None))
            code = source if source is not None else source_of(namespace if namespace is not None
                                                               else notebook_namespace())
            if not code.strip():
                functions = ", ".join(dict.fromkeys(part.function for part in exercise.parts))
                return NotebookReport(None, language, t("notebook.nothing", functions=functions))
            assignment = load_selfcheck_assignment(exercise)
            with tempfile.TemporaryDirectory(prefix="selfcheck-") as folder:
                path = Path(folder) / "notebook.py"
                path.write_text(code, encoding="utf-8")
                runner = _warm_runner()
                try:
                    result = grade_selfcheck(path, assignment, runner)
                except BaseException:
                    _drop_runner()  # whatever broke, the next check() starts a fresh one
                    raise
        except GraderError as problem:  # no exercise found, a stale build: one line, not a traceback
            return NotebookReport(None, language, problem.message)
        return NotebookReport(replace(result, submission="notebook"), language)
