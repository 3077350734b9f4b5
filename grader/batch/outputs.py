"""Every output file of a batch, written from the rows (each writer is atomic), in the batch's language."""

from __future__ import annotations

from pathlib import Path

from grader.batch.runner import BatchReport
from grader.messages import use
from grader.report.canvas import write_canvas, write_canvas_comments
from grader.report.feedback import feedback_filenames, write_feedback
from grader.report.grades_csv import write_grades_csv
from grader.report.junit import write_junit
from grader.report.moodle import write_moodle
from grader.report.summary_html import write_summary_html
from grader.report.words import Glossary
from grader.spec import AssignmentSpec


def write_outputs(report: BatchReport, out: Path, spec: AssignmentSpec, *, canvas_gradebook: Path | None,
                  assignment_id: str | None, moodle_roster: Path | None, lang: str = "en") -> None:
    with use(lang) as chosen:
        _write(report, out, spec, canvas_gradebook, assignment_id, moodle_roster, Glossary.of(spec, chosen))


def _write(report: BatchReport, out: Path, spec: AssignmentSpec, canvas_gradebook: Path | None,
           assignment_id: str | None, moodle_roster: Path | None, glossary: Glossary) -> None:
    rows = sorted(report.rows.values(), key=lambda row: row.key)
    parts = [part.name for part in spec.parts]
    title = spec.title.get(glossary.lang)
    write_grades_csv(rows, out / "grades.csv", parts=parts)
    report.outputs.append(out / "grades.csv")
    if canvas_gradebook is not None or any(row.identity and row.identity.lms == "canvas" for row in rows):
        report.unmatched += write_canvas(rows, out / "canvas.csv", assignment_title=title,
                                         assignment_id=assignment_id or spec.id, canvas_gradebook=canvas_gradebook,
                                         points_possible=spec.max_score)
        write_canvas_comments(rows, out / "canvas-comments.csv", glossary=glossary)
        report.outputs += [out / "canvas.csv", out / "canvas-comments.csv"]
    if moodle_roster is not None:
        report.unmatched += write_moodle(rows, out / "moodle.csv", roster=moodle_roster, glossary=glossary)
        report.outputs.append(out / "moodle.csv")
    write_feedback(rows, out / "feedback", title=title, glossary=glossary)
    report.outputs.append(out / "feedback")
    write_junit(rows, out / "junit.xml", name=spec.id, glossary=glossary)
    report.outputs.append(out / "junit.xml")
    links = [f"feedback/{name}" for name in feedback_filenames(rows)]
    write_summary_html(rows, out / "summary.html", title=title, glossary=glossary, feedback=links)
    report.outputs.append(out / "summary.html")
