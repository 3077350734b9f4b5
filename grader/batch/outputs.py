"""Every output file of a batch, written from the rows (each writer is atomic)."""

from __future__ import annotations

from pathlib import Path

from grader.batch.runner import BatchReport
from grader.report.canvas import write_canvas
from grader.report.feedback import write_feedback
from grader.report.grades_csv import write_grades_csv
from grader.report.junit import write_junit
from grader.report.moodle import write_moodle
from grader.report.summary_html import write_summary_html
from grader.spec import AssignmentSpec


def write_outputs(report: BatchReport, out: Path, spec: AssignmentSpec, *, canvas_gradebook: Path | None,
                  assignment_id: str | None, moodle_roster: Path | None) -> None:
    rows = sorted(report.rows.values(), key=lambda row: row.key)
    parts = [part.name for part in spec.parts]
    write_grades_csv(rows, out / "grades.csv", parts=parts)
    report.outputs.append(out / "grades.csv")
    if canvas_gradebook is not None or any(row.identity and row.identity.lms == "canvas" for row in rows):
        report.unmatched += write_canvas(rows, out / "canvas.csv", assignment_title=spec.title.get(),
                                         assignment_id=assignment_id or spec.id, canvas_gradebook=canvas_gradebook,
                                         points_possible=spec.max_score)
        report.outputs.append(out / "canvas.csv")
    if moodle_roster is not None:
        report.unmatched += write_moodle(rows, out / "moodle.csv", roster=moodle_roster)
        report.outputs.append(out / "moodle.csv")
    write_feedback(rows, out / "feedback", title=spec.title.get())
    report.outputs.append(out / "feedback")
    write_junit(rows, out / "junit.xml", name=spec.id)
    report.outputs.append(out / "junit.xml")
    write_summary_html(rows, out / "summary.html", title=spec.title.get())
    report.outputs.append(out / "summary.html")
