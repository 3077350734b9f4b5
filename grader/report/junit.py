"""JUnit XML, so CI servers and LMS plugins that read test reports can show grading results.

One `<testsuite>` per student and one `<testcase>` per check; the file validates against the Jenkins
"junit-10" schema that most consumers accept. A submission that could not be graded, or whose code failed
to load, still appears, as one errored test case, so it cannot pass unnoticed.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from grader.atomic import atomic_write_bytes
from grader.batch.rows import Row, format_score
from grader.report.document import check_pieces, plain, top_level
from grader.report.text import truncate, xml_text
from grader.report.words import Glossary
from grader.results import CheckResult

MESSAGE_LIMIT = 300


def _time(seconds: float) -> str:
    """A duration the schema's SUREFIRE_TIME pattern accepts: non-negative, no exponent."""
    return f"{seconds:.3f}" if math.isfinite(seconds) and seconds > 0 else "0.000"


def _message(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    return xml_text(truncate(first.strip(), MESSAGE_LIMIT))


def _check_case(suite: ET.Element, classname: str, check: CheckResult, glossary: Glossary) -> tuple[int, int]:
    """Append one check's test case; return (failures, errors) it adds. Its text is the feedback file's."""
    case = ET.SubElement(suite, "testcase", classname=xml_text(classname), name=xml_text(check.id),
                         time=_time(check.duration_s))
    if check.passed:
        return 0, 0
    body = plain(top_level(check_pieces(check, classname, glossary))) if not check.passed else ""
    tag = "failure" if check.status == "failed" else "error"
    element = ET.SubElement(case, tag, type=xml_text(check.status),
                            message=_message(body or check.title or check.status))
    element.text = xml_text(body.strip())
    return (1, 0) if tag == "failure" else (0, 1)


def _error_case(suite: ET.Element, name: str, message: str) -> None:
    case = ET.SubElement(suite, "testcase", classname="submission", name=name, time="0.000")
    element = ET.SubElement(case, "error", type="error", message=_message(message or name))
    element.text = xml_text(message)


def write_junit(rows: Sequence[Row], path: Path, *, name: str = "grading", glossary: Glossary | None = None) -> None:
    """Write one JUnit XML report for the class (root `<testsuites>`)."""
    root = ET.Element("testsuites", name=xml_text(name))
    totals = [0, 0, 0]
    total_time = 0.0
    for row in rows:
        suite = ET.SubElement(root, "testsuite", name=xml_text(row.key))
        properties = ET.SubElement(suite, "properties")
        tests = failures = errors = 0
        duration = 0.0
        if row.display_name:
            ET.SubElement(properties, "property", name="display_name", value=xml_text(row.display_name))
        if row.result is None:
            _error_case(suite, "grading", row.error or "not graded")
            tests, errors = 1, 1
        else:
            result = row.result
            duration = result.duration_s if math.isfinite(result.duration_s) else 0.0
            ET.SubElement(properties, "property", name="score", value=format_score(result.score))
            ET.SubElement(properties, "property", name="max_score", value=format_score(result.max_score))
            if result.error is not None:
                _error_case(suite, "load", result.error)
                tests, errors = 1, 1
            for part in result.parts:
                for check in part.checks:
                    failed, errored = _check_case(suite, part.name, check, glossary or Glossary())
                    tests, failures, errors = tests + 1, failures + failed, errors + errored
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", str(errors))
        suite.set("skipped", "0")
        suite.set("time", _time(duration))
        totals = [totals[0] + tests, totals[1] + failures, totals[2] + errors]
        total_time += max(duration, 0.0)
    root.set("tests", str(totals[0]))
    root.set("failures", str(totals[1]))
    root.set("errors", str(totals[2]))
    root.set("time", _time(total_time))
    ET.indent(root)
    atomic_write_bytes(path, ET.tostring(root, encoding="utf-8", xml_declaration=True))
