"""A one-page class summary for the teacher: score histogram, part means, mistakes by name, students, errors.

It is a single self-contained HTML file (inline CSS and SVG, no scripts, no external assets) so it can be
mailed or opened offline, and a Content-Security-Policy forbids anything else. Every string is HTML-escaped,
since submission errors and even display names come from students. Every word is in the current language,
mistakes are named as the exercise names them, and numbers are rounded for people (one decimal).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from html import escape
from pathlib import Path

from grader.atomic import atomic_write_text
from grader.batch.rows import Row, format_score, max_score, part_names
from grader.messages import current, t
from grader.report.text import truncate
from grader.report.words import Glossary

OTHER = "other"  # the key of checks not passed that no known mistake explains
ERROR_LIMIT = 2000

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; vertical-align: top; }
td.num { text-align: right; }
pre { white-space: pre-wrap; margin: 0; max-width: 40rem; }
svg text { font-size: 12px; fill: #222; }
svg rect.bar { fill: #4a7ebb; }
"""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def rounded(value: float) -> str:
    """A number for people: one decimal at most (7.6056 -> 7.6, 8.0 -> 8)."""
    text = f"{value:.1f}"
    text = text[:-2] if text.endswith(".0") else text
    return "0" if text == "-0" else text


def histogram(scores: Sequence[float], top: float, bins: int = 10) -> list[tuple[float, float, int]]:
    """(low, high, count) bins over [0, top]; a full score falls in the last bin, out-of-range scores are clamped."""
    top = top if top > 0 else max([*scores, 1.0])
    width = top / bins
    counts = [0] * bins
    for score in scores:
        counts[min(max(int(score / width + 1e-9), 0), bins - 1)] += 1
    return [(i * width, (i + 1) * width, counts[i]) for i in range(bins)]


def _column_chart(labels: Sequence[str], values: Sequence[int], caption: str) -> str:
    """Vertical bars with a label under each and the count above."""
    slot, height, base = 56, 160, 190
    peak = max([*values, 1])
    width = slot * len(values) + 20
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{base + 30}" '
             f'viewBox="0 0 {width} {base + 30}" role="img" aria-label="{_e(caption)}">']
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = 10 + i * slot
        h = round(height * value / peak)
        parts.append(f'<rect class="bar" x="{x + 4}" y="{base - h}" width="{slot - 8}" height="{h}">'
                     f"<title>{_e(label)}: {value}</title></rect>")
        parts.append(f'<text x="{x + slot / 2}" y="{base - h - 4}" text-anchor="middle">{value}</text>')
        parts.append(f'<text x="{x + slot / 2}" y="{base + 16}" text-anchor="middle">{_e(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _bar_chart(labels: Sequence[str], values: Sequence[int], notes: Sequence[str], caption: str) -> str:
    """Horizontal bars, each under its label: a mistake's name is a phrase, too long to sit beside its bar."""
    row, bar_width, width = 42, 420, 760
    peak = max([*values, 1])
    height = row * len(values) + 6
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{_e(caption)}">']
    for i, (label, value, note) in enumerate(zip(labels, values, notes, strict=True)):
        y = 4 + i * row
        w = max(round(bar_width * value / peak), 2)
        parts.append(f'<text x="0" y="{y + 13}">{_e(truncate(label, 110))}</text>')
        parts.append(f'<rect class="bar" x="0" y="{y + 18}" width="{w}" height="16">'
                     f"<title>{_e(label)}: {_e(note)}</title></rect>")
        parts.append(f'<text x="{w + 6}" y="{y + 31}">{_e(note)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def misconception_counts(rows: Sequence[Row]) -> dict[str, dict[str, tuple[int, int]]]:
    """Per part, per mistake id: (checks not passed, submissions affected); unexplained ones are OTHER."""
    checks: dict[str, Counter[str]] = {}
    students: dict[str, Counter[str]] = {}
    for row in rows:
        if row.result is None:
            continue
        for part in row.result.parts:
            labels = [c.misconception or OTHER for c in part.checks if not c.passed]
            checks.setdefault(part.name, Counter()).update(labels)
            students.setdefault(part.name, Counter()).update(set(labels))
    return {part: {label: (n, students[part][label]) for label, n in counter.items()}
            for part, counter in checks.items()}


def summary_html(rows: Sequence[Row], *, title: str = "", bins: int = 10, glossary: Glossary | None = None,
                 feedback: Sequence[str] | None = None) -> str:
    """The page as a string; `feedback` is each row's feedback file, relative to the page (linked from the
    table of students)."""
    words = glossary or Glossary(current())
    graded = [row.result for row in rows if row.result is not None]
    top = max_score(rows) or 0.0
    scores = [r.score for r in graded]
    heading = t("summary.title", title=title) if title else t("summary.students")
    out = ["<!DOCTYPE html>", f'<html lang="{_e(current())}"><head><meta charset="utf-8">',
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
           f"<title>{_e(heading)}</title><style>{_STYLE}</style></head><body>", f"<h1>{_e(heading)}</h1>"]
    counts = t("summary.counts", total=len(rows), graded=len(graded), not_graded=len(rows) - len(graded))
    stats = t("summary.stats", mean=rounded(statistics.fmean(scores)), median=rounded(statistics.median(scores)),
              top=rounded(top)) if scores else ""
    out.append(f"<p>{_e(counts)} {_e(stats)}</p>")

    out.append(f"<h2>{_e(t('summary.scores'))}</h2>")
    if scores:
        bars = histogram(scores, top, bins)
        labels = [f"{rounded(lo)}–{rounded(hi)}" for lo, hi, _ in bars]
        out.append(_column_chart(labels, [n for _, _, n in bars], t("summary.histogram")))
    else:
        out.append(f"<p>{_e(t('summary.no_graded'))}</p>")

    names = part_names(rows)
    out.append(f"<h2>{_e(t('summary.parts'))}</h2><p>{_e(t('summary.parts_note'))}</p>")
    out.append("<table><tr>" + "".join(f"<th>{_e(t(key))}</th>" for key in (
        "summary.part", "summary.average", "summary.max", "summary.average_share", "summary.full_marks")) + "</tr>")
    for name in names:
        found = [p for r in graded for p in r.parts if p.name == name]
        mean = statistics.fmean(p.score for p in found)
        most = max(p.max_score for p in found)
        share = f"{100 * mean / most:.0f}%" if most > 0 else ""
        full = sum(1 for p in found if p.score >= p.max_score)
        out.append(f"<tr><td>{_e(found[0].title or name)}</td><td class=num>{_e(rounded(mean))}</td>"
                   f"<td class=num>{_e(format_score(most))}</td><td class=num>{_e(share)}</td>"
                   f"<td class=num>{full} / {len(found)}</td></tr>")
    out.append("</table>")

    other = t("summary.other")
    out.append(f"<h2>{_e(t('summary.mistakes'))}</h2><p>{_e(t('summary.mistakes_note', other=other))}</p>")
    counted = misconception_counts(rows)
    for name in names:
        found_counts = counted.get(name, {})
        titles = [p.title for r in graded for p in r.parts if p.name == name and p.title]
        part_title = titles[0] if titles else name
        out.append(f"<h3>{_e(part_title)}</h3>")
        if not found_counts:
            out.append(f"<p>{_e(t('summary.every_check_passed'))}</p>")
            continue
        ordered = sorted(found_counts.items(), key=lambda kv: (kv[0] == OTHER, -kv[1][0], kv[0]))
        labels = [other if key == OTHER else words.mistake_name(name, key) for key, _ in ordered]
        notes = [t("summary.bar_note", checks=n, students=k) for _, (n, k) in ordered]
        out.append(_bar_chart(labels, [n for _, (n, _) in ordered], notes, t("summary.mistakes_in", part=part_title)))

    out += _students(rows, feedback)
    out += _errors(rows)
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _students(rows: Sequence[Row], feedback: Sequence[str] | None) -> list[str]:
    """One row per student: score and a link to the feedback file the student received."""
    out = [f"<h2>{_e(t('summary.students'))}</h2>"]
    if not rows:
        return [*out, f"<p>{_e(t('summary.none'))}</p>"]
    named = any(row.display_name for row in rows)  # a folder of files has no names: no empty column
    columns = ("summary.student", "summary.name", "summary.score", "summary.feedback", "summary.state")
    out.append('<table class="students"><tr>' + "".join(f"<th>{_e(t(key))}</th>" for key in columns
                                                         if named or key != "summary.name") + "</tr>")
    links = list(feedback) if feedback is not None else [None] * len(rows)
    for row, link in zip(rows, links, strict=True):
        result = row.result
        score = f"{format_score(result.score)} / {format_score(result.max_score)}" if result else ""
        state = (t("summary.not_graded") if result is None else t("summary.not_run") if result.error else "")
        cell = f'<a href="{_e(link)}">{_e(t("summary.feedback_link"))}</a>' if link else ""
        name = f"<td>{_e(row.display_name or '')}</td>" if named else ""
        out.append(f"<tr><td>{_e(row.key)}</td>{name}<td class=num>{_e(score)}</td><td>{cell}</td>"
                   f"<td>{_e(state)}</td></tr>")
    out.append("</table>")
    return out


def _errors(rows: Sequence[Row]) -> list[str]:
    problems = [row for row in rows if row.problem is not None]
    out = [f"<h2>{_e(t('summary.errors'))}</h2>"]
    if not problems:
        return [*out, f"<p>{_e(t('summary.none'))}</p>"]
    named = any(row.display_name for row in problems)
    columns = ("summary.student", "summary.name", "summary.kind", "summary.error")
    out.append("<table><tr>" + "".join(f"<th>{_e(t(key))}</th>" for key in columns
                                       if named or key != "summary.name") + "</tr>")
    for row in problems:
        kind = t("summary.kind_grader") if row.result is None else t("summary.kind_submission")
        name = f"<td>{_e(row.display_name or '')}</td>" if named else ""
        out.append(f"<tr><td>{_e(row.key)}</td>{name}<td>{_e(kind)}</td>"
                   f"<td><pre>{_e(truncate(row.problem or '', ERROR_LIMIT))}</pre></td></tr>")
    out.append("</table>")
    return out


def write_summary_html(rows: Sequence[Row], path: Path, *, title: str = "", bins: int = 10,
                       glossary: Glossary | None = None, feedback: Sequence[str] | None = None) -> None:
    """Write the class summary page."""
    atomic_write_text(path, summary_html(rows, title=title, bins=bins, glossary=glossary, feedback=feedback))
