"""Every output format, from hand-built results: CSVs parsed back, XML and JSON validated against schemas, and
hostile student text checked to come out inert."""

from __future__ import annotations

import csv
import html
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.batch.identity import Identity
from grader.batch.rows import Row, format_score, max_score, part_names
from grader import atomic
from grader.atomic import atomic_write_text
from grader.messages import use
from grader.report.canvas import read_canvas_gradebook, write_canvas, write_canvas_comments
from grader.report.feedback import feedback_filename, write_feedback
from grader.report.grades_csv import write_grades_csv
from grader.report.gradescope import gradescope_results, write_gradescope
from grader.report.junit import write_junit
from grader.report.moodle import write_moodle
from grader.report.summary_html import histogram, misconception_counts, rounded, summary_html, write_summary_html
from grader.report.text import md_block, md_inline
from grader.report.words import Glossary
from grader.results import CheckResult, PartResult, SubmissionResult

DATA = Path(__file__).parent / "data"
HOSTILE = "<script>alert('x')</script> ``` `code` ~~~ **bold** [link](javascript:alert(1)) & \x00\x1b"


def _check(cid: str, passed: bool = True, **kw: Any) -> CheckResult:
    return CheckResult(id=cid, title=kw.pop("title", cid.replace("_", " ")), status="passed" if passed else "failed",
                       score=1.0 if passed else 0.0, max_score=1.0, duration_s=0.25, **kw)


def _result(name: str, checks_a: tuple[CheckResult, ...], checks_b: tuple[CheckResult, ...],
            error: str | None = None, notes: tuple[str, ...] = ()) -> SubmissionResult:
    parts = () if error else (
        PartResult(name="fit", title="Fit the line", score=sum(c.score for c in checks_a),
                   max_score=float(len(checks_a)), checks=checks_a),
        PartResult(name="predict", title="Predict", score=sum(c.score for c in checks_b),
                   max_score=float(len(checks_b)), checks=checks_b),
    )
    score = sum(p.score for p in parts)
    return SubmissionResult(submission=f"{name}.py", score=score, max_score=4.0, parts=parts, error=error,
                            notes=notes, duration_s=1.5)


CORRECT = _result("smithjohn", (_check("fit_shape"), _check("fit_values")), (_check("pred_shape"), _check("pred_vals")))
WRONG = _result(
    "doejane",
    (_check("fit_shape"),
     _check("fit_values", False, feedback="Named mistake. For example: slope is wrong for `x` = <b>2</b>",
            counterexample="fit(x=2)", example=f"slope is wrong for `x` = <b>2</b> {HOSTILE}",
            misconception="swapped_xy")),
    (_check("pred_shape"),
     CheckResult(id="pred_vals", title="Predictions", status="timeout", score=0.0, max_score=1.0,
                 feedback="took too long\nsecond line <i>x</i>")),
    notes=("Printed 3 lines <!-- hi -->",),
)
BROKEN = _result("evil", (), (), error="SyntaxError: invalid syntax <script>alert(1)</script>")


def _ident(key: str, lms: str = "canvas", name: str | None = None, uid: str | None = None) -> Identity:
    return Identity(student_key=key, display_name=name, lms=lms, user_id=uid,  # type: ignore[arg-type]
                    submission_id="1" if lms == "canvas" else None, late=False, original_name="linreg.py",
                    path=Path(f"{key}.py"))


@pytest.fixture()
def rows() -> list[Row]:
    return [
        Row(_ident("smithjohn_12345", name="smithjohn", uid="12345"), CORRECT),
        Row(_ident("doejane_222", name="doejane", uid="222"), WRONG),
        Row(_ident("evil_333", name="=HYPERLINK(\"http://x\")<img src=x onerror=alert(1)>", uid="333"), BROKEN),
        Row(_ident("crash_444", name="crash", uid="444"), error="sandbox died: <script>boom()</script>"),
    ]


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


# --- rows -------------------------------------------------------------------------------------------------------


def test_row_helpers(rows: list[Row]) -> None:
    assert part_names(rows) == ["fit", "predict"]
    assert max_score(rows) == 4.0
    assert [r.graded for r in rows] == [True, True, True, False]
    assert rows[2].problem is not None and rows[2].problem.startswith("SyntaxError")
    assert Row(None, CORRECT).key == "smithjohn"
    with pytest.raises(ValueError):
        Row(None)
    with pytest.raises(ValueError):
        Row(None, CORRECT, error="both")
    assert [format_score(v) for v in (3.0, 2.5, 1 / 3, None, float("nan"), -0.0)] == ["3", "2.5", "0.3333", "", "",
                                                                                      "0"]


# --- grades.csv -------------------------------------------------------------------------------------------------


def test_grades_csv(rows: list[Row], tmp_path: Path) -> None:
    path = tmp_path / "grades.csv"
    write_grades_csv(rows, path)
    table = _read_csv(path)
    assert table[0] == ["student_key", "display_name", "user_id", "score", "max_score", "fit", "predict", "error"]
    assert all(len(line) == len(table[0]) for line in table)
    body = {line[0]: dict(zip(table[0], line, strict=True)) for line in table[1:]}
    assert body["smithjohn_12345"] | {} == {"student_key": "smithjohn_12345", "display_name": "smithjohn",
                                            "user_id": "12345", "score": "4", "max_score": "4", "fit": "2",
                                            "predict": "2", "error": ""}
    assert (body["doejane_222"]["score"], body["doejane_222"]["fit"], body["doejane_222"]["predict"]) == ("2", "1", "1")
    assert body["evil_333"]["score"] == "0" and body["evil_333"]["fit"] == ""
    assert body["evil_333"]["error"].startswith("SyntaxError")
    assert body["evil_333"]["display_name"].startswith("'=")  # no spreadsheet formula
    assert body["crash_444"]["score"] == "" and body["crash_444"]["error"].startswith("sandbox died")


def test_grades_csv_columns_fixed_when_everything_failed(tmp_path: Path) -> None:
    path = tmp_path / "grades.csv"
    write_grades_csv([Row(None, BROKEN), Row(None, error="x")], path, parts=["fit", "score"])
    table = _read_csv(path)
    assert table[0] == ["student_key", "display_name", "user_id", "score", "max_score", "fit", "part:score", "error"]
    assert [len(line) for line in table] == [8, 8, 8]


# --- Canvas -----------------------------------------------------------------------------------------------------


def test_canvas_without_gradebook(rows: list[Row], tmp_path: Path) -> None:
    path = tmp_path / "canvas.csv"
    left_out = write_canvas(rows, path, assignment_title="Linear regression", assignment_id=987)
    table = _read_csv(path)
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Linear regression (987)"]
    assert table[1] == ["Points Possible", "", "", "", "", "4"]
    assert table[2] == ["smithjohn", "12345", "", "", "", "4"]
    assert table[3] == ["doejane", "222", "", "", "", "2"]
    assert table[4][1:] == ["333", "", "", "", "0"] and table[4][0].startswith("'=")
    assert len(table) == 5
    assert left_out == ["crash_444: not graded (sandbox died: <script>boom()</script>)"]


def test_canvas_comments_are_the_feedback_as_plain_text(rows: list[Row], tmp_path: Path) -> None:
    """Canvas shows comments as typed: no Markdown escapes, one row per graded Canvas student, in the language."""
    path = tmp_path / "canvas-comments.csv"
    write_canvas_comments(rows, path, glossary=GLOSSARY)
    table = _read_csv(path)
    assert table[0] == ["Student", "ID", "Comment"] and [line[1] for line in table[1:]] == ["12345", "222", "333"]
    comment = table[2][2]
    assert comment.startswith("Score: 2 / 4\n") and "Counterexample: slope is wrong for `x` = <b>2</b>" in comment
    assert "\\" not in comment and "swapped_xy" not in comment
    assert table[3][0].startswith("'=")  # a display name is not run as a formula
    with use("ko"):
        write_canvas_comments(rows, path, glossary=Glossary("ko"))
    assert _read_csv(path)[1][2].startswith("점수: 4 / 4\n")


GRADEBOOK = """\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Homework 1 (111),Linear regression (987),Current Score
,,,,,Manual Posting,Manual Posting,
    Points Possible,,,,,10.00,4.00,(read only)
"Smith, John",12345,S001,jsmith,Section A,9,,80
"Doe, Jane",222,S002,jdoe,Section B,7,,70
"Never, Submitted",555,S005,nsub,Section A,8,,60
"Student, Test",999,,test,Section A,,,
"""


def test_canvas_with_gradebook(rows: list[Row], tmp_path: Path) -> None:
    gradebook = tmp_path / "export.csv"
    gradebook.write_text(GRADEBOOK, encoding="utf-8")
    parsed = read_canvas_gradebook(gradebook)
    assert set(parsed.students) == {"12345", "222", "555", "999"}
    extra = Row(_ident("ghost_777", name="ghost", uid="777"), CORRECT)
    plain = Row(_ident("bob", lms="plain"), CORRECT)
    path = tmp_path / "canvas.csv"
    left_out = write_canvas([*rows, extra, plain], path, assignment_title="Linear regression",
                            canvas_gradebook=gradebook)
    table = _read_csv(path)
    assert table[0][-1] == "Linear regression (987)"  # id found in the gradebook's header
    assert table[1] == ["Points Possible", "", "", "", "", "4"]
    assert table[2:] == [["Smith, John", "12345", "S001", "jsmith", "Section A", "4"],
                         ["Doe, Jane", "222", "S002", "jdoe", "Section B", "2"]]
    assert left_out == ["evil_333: Canvas user 333 is not in the gradebook",
                        "crash_444: not graded (sandbox died: <script>boom()</script>)",
                        "ghost_777: Canvas user 777 is not in the gradebook",
                        "bob: no Canvas user ID in the file name"]


def test_canvas_unknown_assignment_is_reported(rows: list[Row], tmp_path: Path) -> None:
    gradebook = tmp_path / "export.csv"
    gradebook.write_text(GRADEBOOK, encoding="utf-8")
    left_out = write_canvas(rows[:1], tmp_path / "c.csv", assignment_title="Brand new", canvas_gradebook=gradebook)
    assert _read_csv(tmp_path / "c.csv")[0][-1] == "Brand new"
    assert "Canvas will create it" in left_out[0]


# --- Moodle -----------------------------------------------------------------------------------------------------


def _moodle_rows() -> list[Row]:
    return [
        Row(_ident("johnsmith_4567", "moodle", "John Smith", "4567"), CORRECT),
        Row(_ident("maryobrien_4568", "moodle", "Mary OBrien", "4568"), WRONG),
        Row(_ident("alexkim_4569", "moodle", "Alex Kim", "4569"), CORRECT),
        Row(_ident("nobody_4570", "moodle", "No Body", "4570"), CORRECT),
        Row(_ident("crash_4571", "moodle", "Crash Test", "4571"), error="grader failed"),
        Row(_ident("plainbob", "plain"), CORRECT),
    ]


def test_moodle_by_full_name(tmp_path: Path) -> None:
    roster = tmp_path / "participants.csv"
    roster.write_text("First name,Last name,ID number,Email address\n"
                      "John,Smith,1001,john@example.edu\n"
                      "Mary,O'Brien,1002,mary@example.edu\n"
                      "Alex,Kim,1003,alex1@example.edu\n"
                      "Alex,Kim,1004,alex2@example.edu\n"
                      "Crash,Test,1005,crash@example.edu\n", encoding="utf-8")
    path = tmp_path / "moodle.csv"
    left_out = write_moodle(_moodle_rows(), path, roster=roster)
    table = _read_csv(path)
    assert table[0] == ["Email address", "Grade", "Feedback comments"]
    assert [line[:2] for line in table[1:]] == [["john@example.edu", "4"], ["mary@example.edu", "2"]]
    assert table[2][2].startswith("<p>Score: 2 / 4</p>") and "<h4>Fit the line — 1 / 2</h4>" in table[2][2]
    assert left_out == ["alexkim_4569: matches 2 roster rows; not guessing", "nobody_4570: not in the roster",
                        "crash_4571: not graded (grader failed)", "plainbob: not in the roster"]


def test_moodle_by_participant_id_with_chosen_identifier(tmp_path: Path) -> None:
    roster = tmp_path / "worksheet.csv"
    roster.write_text("Identifier;Full name;Email address;ID number;Status;Grade\n"
                      "Participant 4567;Johnny Smith;john@example.edu;1001;Submitted;\n"
                      "Participant 4569;Alex Kim;alex1@example.edu;;Submitted;\n"
                      "Participant 9999;Evil Twin;evil@example.edu;1099;;\n", encoding="utf-8")
    path = tmp_path / "moodle.csv"
    left_out = write_moodle(_moodle_rows()[:3], path, roster=roster, identifier="ID number")
    table = _read_csv(path)
    assert table[0] == ["ID number", "Grade", "Feedback comments"]
    assert [line[:2] for line in table[1:]] == [["1001", "4"]]
    assert left_out == ["maryobrien_4568: not in the roster", "alexkim_4569: roster row has no ID number"]


def test_moodle_feedback_escapes_student_text(tmp_path: Path) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text("Full name,Email address\nEvil One,evil@example.edu\n", encoding="utf-8")
    path = tmp_path / "m.csv"
    assert write_moodle([Row(_ident("e", "moodle", "Evil One", "1"), BROKEN)], path, roster=roster) == []
    comment = _read_csv(path)[1][2]
    assert "could not be run" in comment and "<script" not in comment and "&lt;script&gt;" in comment
    parser = _Tags()
    parser.feed(comment)
    assert set(parser.tags) <= {"p", "pre", "h4", "ul", "li"} and not parser.attrs


# --- JUnit ------------------------------------------------------------------------------------------------------


def test_junit_validates_against_the_schema(rows: list[Row], tmp_path: Path) -> None:
    xmlschema = pytest.importorskip("xmlschema")
    path = tmp_path / "junit.xml"
    write_junit(rows, path, glossary=GLOSSARY)
    schema = xmlschema.XMLSchema(str(DATA / "junit-10.xsd"))
    schema.validate(str(path))

    import xml.etree.ElementTree as ET

    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["smithjohn_12345", "doejane_222", "evil_333", "crash_444"]
    correct = suites["smithjohn_12345"]
    assert (correct.get("tests"), correct.get("failures"), correct.get("errors")) == ("4", "0", "0")
    assert [(c.get("classname"), c.get("name"), c.get("time")) for c in correct.findall("testcase")] == [
        ("fit", "fit_shape", "0.250"), ("fit", "fit_values", "0.250"),
        ("predict", "pred_shape", "0.250"), ("predict", "pred_vals", "0.250")]
    wrong = suites["doejane_222"]
    assert (wrong.get("tests"), wrong.get("failures"), wrong.get("errors")) == ("4", "1", "1")
    failure = wrong.find("testcase[@name='fit_values']/failure")
    # the feedback file's words, as plain text: the named mistake first, then the counterexample
    assert failure is not None and failure.get("message") == ("This looks like a known mistake: x and y swapped. "
                                                              "Look again at the slope formula: Δy / Δx.")
    assert failure.text is not None and "Counterexample: slope is wrong for `x` = <b>2</b> <script>" in failure.text
    assert "swapped_xy" not in failure.text
    assert "\x00" not in failure.text
    error = wrong.find("testcase[@name='pred_vals']/error")
    assert error is not None and error.get("type") == "timeout"
    for key, name in (("evil_333", "load"), ("crash_444", "grading")):
        cases = suites[key].findall("testcase")
        assert [c.get("name") for c in cases] == [name] and cases[0].find("error") is not None
        assert suites[key].get("errors") == "1"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("10", "1", "3")


# --- feedback ---------------------------------------------------------------------------------------------------


def _outside_fences(markdown: str) -> str:
    """The Markdown with fenced blocks removed (a fence closes with at least as many tildes as it opened with)."""
    out, fence = [], None
    for line in markdown.splitlines():
        if fence is None:
            m = re.match(r"^ *(~{3,})", line)
            if m:
                fence = m.group(1)
            else:
                out.append(line)
        elif re.fullmatch(re.escape(fence) + "~*", line.strip()):
            fence = None
    return "\n".join(out)


GLOSSARY = Glossary("en", {("fit", "swapped_xy"): ("x and y swapped", "the slope formula: Δy / Δx")},
                    {"fit": "the line's formula", "predict": "f(x) = w0 + w1·x"})


def test_feedback_files(rows: list[Row], tmp_path: Path) -> None:
    written = write_feedback(rows, tmp_path / "feedback", title="Linear regression", glossary=GLOSSARY)
    assert sorted(p.name for p in (tmp_path / "feedback").iterdir()) == sorted(
        f"{r.key}.md" for r in rows)
    assert set(written) == {r.key for r in rows}

    good = written["smithjohn_12345"].read_text()
    assert good.startswith("# Linear regression\n")
    assert "Score: 4 / 4" in good and "## Fit the line — 2 / 2\n\nAll checks passed." in good

    wrong = written["doejane_222"].read_text()
    assert "Score: 2 / 4" in wrong and "## Predict — 1 / 2" in wrong
    # one explanation (the mistake by its name, with where to look), then one counterexample; no id
    named = wrong.index("This looks like a known mistake: x and y swapped. Look again at the slope formula: Δy / Δx.")
    assert named < wrong.index("Counterexample: slope is wrong for \\`x\\` = \\<b>2\\</b>")
    assert wrong.count("Counterexample") == 1 and "swapped_xy" not in wrong and "For example" not in wrong
    assert "took too long" in wrong and "second line <i>x</i>" in wrong  # verbatim, but inside a fence
    outside = _outside_fences(wrong)
    for raw in ("<script", "<b>", "<i>", "<!--", "`x`", "**bold**", "](javascript"):  # each escaped: `\<`, `\]`
        assert re.search(r"(?<!\\)" + re.escape(raw), outside) is None, raw
    assert "\x00" not in wrong

    broken = written["evil_333"].read_text()
    assert "could not be run" in broken and "\\<img" in _outside_fences(broken)
    crash = written["crash_444"].read_text()
    assert "could not be graded automatically" in crash and "sandbox" not in crash


def test_feedback_renders_without_html(rows: list[Row], tmp_path: Path) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    written = write_feedback(rows, tmp_path)
    for path in written.values():
        rendered = markdown_it.MarkdownIt("commonmark").render(path.read_text())
        assert "<script" not in rendered and "<img" not in rendered and "<b>" not in rendered
        assert "<a " not in rendered and "<em>" not in rendered and "<strong>bold" not in rendered


def test_markdown_escapes() -> None:
    assert md_inline("a\nb <x> & `y` &amp;") == "a b \\<x> & \\`y\\` \\&amp;"
    assert md_inline("- item") == "\\- item" and md_inline("1. one") == "1\\. one"
    block = md_block("x\n~~~~\n<b>")
    assert block.startswith("~~~~~text\n") and block.endswith("\n~~~~~")
    assert feedback_filename("../../etc/passwd") == "etc_passwd.md"


# --- summary page -----------------------------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [name for name, _ in attrs]


def test_summary_html(rows: list[Row], tmp_path: Path) -> None:
    path = tmp_path / "summary.html"
    write_summary_html(rows, path, title="Linear regression <2024>")
    page = path.read_text()
    parser = _Tags()
    parser.feed(page)
    assert "svg" in parser.tags and "rect" in parser.tags
    assert "script" not in parser.tags and "img" not in parser.tags and "b" not in parser.tags
    assert not any(a.startswith("on") for a in parser.attrs)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;" in page and "Linear regression &lt;2024&gt;" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "").replace('http://x', "")
    assert "src=" not in page.replace("src=x", "")  # no external assets
    assert "swapped_xy" not in page and "swapped xy" in page  # no name for it here: the id in words
    assert ">other<" in page and "checks: 1, students: 1" in page
    assert "sandbox died" in page and "SyntaxError" in page


def test_summary_numbers_are_rounded_for_people() -> None:
    assert [rounded(v) for v in (7.6056, 8.0, 0.04, -0.01, 2.25)] == ["7.6", "8", "0", "0", "2.2"]
    rows = [Row(None, CORRECT), Row(None, WRONG), Row(None, WRONG)]  # scores 4, 2, 2: mean 2.666…
    page = summary_html(rows, title="T")
    assert "Mean 2.7, median 2, out of 4." in page and "2.6667" not in page


def test_summary_counts() -> None:
    rows = [Row(None, CORRECT), Row(None, WRONG), Row(None, WRONG)]
    assert misconception_counts(rows) == {"fit": {"swapped_xy": (2, 2)}, "predict": {"other": (2, 2)}}
    assert [n for _, _, n in histogram([0, 2, 2, 4], 4, bins=4)] == [1, 0, 2, 1]
    assert [n for _, _, n in histogram([0.3, 0.7], 1, bins=10)][3] == 1


# --- Gradescope -------------------------------------------------------------------------------------------------


def _validate_gradescope(document: dict[str, Any]) -> None:
    schema = json.loads((DATA / "gradescope-results.schema.json").read_text())
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
    json.dumps(document, allow_nan=False)


def test_gradescope_results() -> None:
    document = gradescope_results(WRONG, None, 12.6)
    _validate_gradescope(document)
    assert document["score"] == 2.0 and document["execution_time"] == 13
    assert document["stdout_visibility"] == "hidden"
    tests = document["tests"]
    assert len(tests) == 4
    assert [t["status"] for t in tests] == ["passed", "failed", "passed", "failed"]
    assert tests[1]["name"] == "Fit the line: fit values"
    assert tests[1]["max_score"] == 1.0 and tests[1]["score"] == 0.0
    assert tests[1]["output"].startswith("Counterexample: slope is wrong for \\`x\\`")
    assert document["output_format"] == document["test_output_format"] == "md"
    named = gradescope_results(WRONG, None, 1.0, GLOSSARY)["tests"][1]["output"]
    assert named.startswith("This looks like a known mistake: x and y swapped.") and "swapped_xy" not in named
    assert tests[3]["output"].startswith("timed out\n")
    assert all(t["visibility"] == "visible" for t in tests)

    _validate_gradescope(gradescope_results(CORRECT, None, 0.1))
    broken = gradescope_results(BROKEN, None, 1.0)
    _validate_gradescope(broken)
    assert broken["score"] == 0.0 and broken["tests"][0]["status"] == "failed"


def test_gradescope_autograder_error(tmp_path: Path) -> None:
    document = gradescope_results(None, "sandbox failed to start", float("nan"))
    _validate_gradescope(document)
    assert document["score"] == 0 and document["execution_time"] == 0
    assert document["tests"] == [{"name": "Autograder error", "score": 0.0, "max_score": 0.0, "status": "failed",
                                  "output": "~~~text\nsandbox failed to start\n~~~\n", "visibility": "visible"}]
    path = tmp_path / "results" / "results.json"
    write_gradescope(None, "boom", 2.0, path)
    _validate_gradescope(json.loads(path.read_text()))


def test_gradescope_schema_rejects_bad_documents() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((DATA / "gradescope-results.schema.json").read_text())
    for bad in ({"tests": [{"status": "ok", "score": 1}]}, {"score": "1"}, {"output": "no score"},
                {"score": 1, "stdout_visibility": "sometimes"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema, cls=jsonschema.Draft202012Validator)


# --- atomic writes ----------------------------------------------------------------------------------------------


def test_atomic_write_replaces_and_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out" / "grades.csv"
    atomic_write_text(target, "old\n")
    atomic_write_text(target, "new\n")
    assert target.read_text() == "new\n" and os.listdir(target.parent) == ["grades.csv"]
    assert target.stat().st_mode & 0o777 == 0o644

    def fail(src: str, dst: str) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(atomic.os, "replace", fail)
    with pytest.raises(OSError, match="disk on fire"):
        atomic_write_text(target, "half\n")
    assert target.read_text() == "new\n" and os.listdir(target.parent) == ["grades.csv"]


# --- Markdown escaping, property-based --------------------------------------------------------------------------


_hostile = st.text(st.sampled_from(list("<>&`~*_[]()!#-+=|\\/:\"' \nab1.")) | st.characters(), max_size=60)


@settings(max_examples=300)
@given(_hostile)
def test_md_inline_renders_as_plain_text(text: str) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    for start in (True, False):
        line = md_inline(text, at_line_start=start)
        source = "Prefix\n\n" + line + "\n" if start else "Prefix: " + line + "\n"
        rendered = _GFM(markdown_it).render(source)
        tags = set(re.findall(r"</?([a-zA-Z0-9]+)", rendered))
        assert tags <= {"p"}, rendered
        shown = html.unescape(re.sub(r"</?p>", "", rendered)).strip()
        words = " ".join(re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", " ", text).split())
        assert shown == (f"Prefix\n{words}" if start else f"Prefix: {words}").strip(), rendered


def _GFM(markdown_it: Any) -> Any:
    """CommonMark with GitHub's tables and strikethrough, the Markdown most viewers speak."""
    return markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])


@pytest.mark.parametrize("text", ["1. Loss(f_x, y): the mean squared error", "plus_instead_of_minus",
                                  "returned [0., 1.]; expected [1., 2.]", "x < 3 and 2 * x > 1", "α·(y − f(x))²"])
def test_md_inline_leaves_ordinary_text_alone(text: str) -> None:
    """What a feedback file mostly holds reads the same raw as rendered: no backslashes in it."""
    assert md_inline(text, at_line_start=False) == text


@settings(max_examples=300)
@given(_hostile)
def test_md_block_renders_verbatim(text: str) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    rendered = markdown_it.MarkdownIt("commonmark").render(md_block(text) + "\n\nAfter\n")
    m = re.fullmatch(r'<pre><code class="language-text">(.*)</code></pre>\n<p>After</p>\n', rendered, re.S)
    assert m is not None, rendered
    expected = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "\ufffd",
                      text.replace("\r\n", "\n").replace("\r", "\n")).rstrip("\n")
    assert html.unescape(m.group(1)).rstrip("\n") == expected


def test_every_writer_accepts_an_empty_class(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("Full name,Email address\n", encoding="utf-8")
    write_grades_csv([], tmp_path / "g.csv")
    assert _read_csv(tmp_path / "g.csv") == [["student_key", "display_name", "user_id", "score", "max_score",
                                              "error"]]
    assert write_canvas([], tmp_path / "c.csv", assignment_title="A") == []
    assert write_moodle([], tmp_path / "m.csv", roster=roster) == []
    write_junit([], tmp_path / "j.xml")
    assert write_feedback([], tmp_path / "fb") == {}
    write_summary_html([], tmp_path / "s.html")
    assert "No graded submissions" in (tmp_path / "s.html").read_text()


def test_canvas_duplicate_user_is_reported(tmp_path: Path) -> None:
    rows = [Row(_ident("a_1", name="a", uid="1"), CORRECT), Row(_ident("a_1b", name="a", uid="1"), WRONG)]
    assert write_canvas(rows, tmp_path / "c.csv", assignment_title="A") == [
        "a_1b: Canvas user 1 already graded as a_1"]
    assert len(_read_csv(tmp_path / "c.csv")) == 3
