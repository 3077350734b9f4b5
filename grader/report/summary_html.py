"""A one-page class summary for the teacher: score histogram, part averages, misconceptions, errors.

It is a single self-contained HTML file (inline CSS and SVG, no scripts, no external assets) so it can be
mailed or opened offline, and a Content-Security-Policy forbids anything else. Every string is HTML-escaped,
since submission errors and even display names come from students.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from html import escape
from pathlib import Path

from grader.atomic import atomic_write_text
from grader.batch.rows import Row, format_score, max_score, part_names
from grader.report.text import truncate

OTHER = "other"
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


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


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
    """Horizontal bars, for long labels such as misconception ids."""
    row, label_width, bar_width = 24, 260, 300
    peak = max([*values, 1])
    height = row * len(values) + 10
    width = label_width + bar_width + 200
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{_e(caption)}">']
    for i, (label, value, note) in enumerate(zip(labels, values, notes, strict=True)):
        y = 5 + i * row
        w = round(bar_width * value / peak)
        parts.append(f'<text x="{label_width - 6}" y="{y + 16}" text-anchor="end">{_e(truncate(label, 40))}</text>')
        parts.append(f'<rect class="bar" x="{label_width}" y="{y + 3}" width="{w}" height="{row - 6}">'
                     f"<title>{_e(label)}: {_e(note)}</title></rect>")
        parts.append(f'<text x="{label_width + w + 6}" y="{y + 16}">{_e(note)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def misconception_counts(rows: Sequence[Row]) -> dict[str, dict[str, tuple[int, int]]]:
    """Per part, per misconception id: (checks not passed, submissions affected); unlabelled ones are "other"."""
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


def summary_html(rows: Sequence[Row], *, title: str = "Class summary", bins: int = 10) -> str:
    """The page as a string."""
    graded = [row.result for row in rows if row.result is not None]
    top = max_score(rows) or 0.0
    scores = [r.score for r in graded]
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
           f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>", f"<h1>{_e(title)}</h1>"]
    out.append(f"<p>{len(rows)} submissions, {len(graded)} graded, {len(rows) - len(graded)} not graded"
               + (f"; mean {_e(format_score(statistics.fmean(scores)))}, median "
                  f"{_e(format_score(statistics.median(scores)))} out of {_e(format_score(top))}" if scores else "")
               + ".</p>")

    out.append("<h2>Scores</h2>")
    if scores:
        bars = histogram(scores, top, bins)
        labels = [f"{format_score(lo)}–{format_score(hi)}" for lo, hi, _ in bars]
        out.append(_column_chart(labels, [n for _, _, n in bars], "Histogram of scores"))
    else:
        out.append("<p>No graded submissions.</p>")

    names = part_names(rows)
    out.append("<h2>Parts</h2><p>Over the submissions that ran.</p>")
    out.append("<table><tr><th>Part</th><th>Average</th><th>Max</th><th>Average %</th><th>Full marks</th></tr>")
    for name in names:
        found = [p for r in graded for p in r.parts if p.name == name]
        mean = statistics.fmean(p.score for p in found)
        most = max(p.max_score for p in found)
        share = f"{100 * mean / most:.0f}%" if most > 0 else ""
        full = sum(1 for p in found if p.score >= p.max_score)
        label = found[0].title or name
        out.append(f"<tr><td>{_e(label)} <small>({_e(name)})</small></td><td class=num>{_e(format_score(mean))}</td>"
                   f"<td class=num>{_e(format_score(most))}</td><td class=num>{_e(share)}</td>"
                   f"<td class=num>{full} / {len(found)}</td></tr>")
    out.append("</table>")

    out.append("<h2>Misconceptions</h2><p>Checks not passed, by the misconception they point to "
               f"(&ldquo;{OTHER}&rdquo;: none identified); bar length is the number of checks.</p>")
    counts = misconception_counts(rows)
    for name in names:
        found_counts = counts.get(name, {})
        titles = [p.title for r in graded for p in r.parts if p.name == name and p.title]
        out.append(f"<h3>{_e(titles[0]) + ' ' if titles else ''}<small>({_e(name)})</small></h3>")
        if not found_counts:
            out.append("<p>Every check passed.</p>")
            continue
        ordered = sorted(found_counts.items(), key=lambda kv: (kv[0] == OTHER, -kv[1][0], kv[0]))
        notes = [f"{_plural(n, 'check')}, {_plural(s, 'submission')}" for _, (n, s) in ordered]
        out.append(_bar_chart([label for label, _ in ordered], [n for _, (n, _) in ordered], notes,
                              f"Misconceptions in {name}"))

    problems = [row for row in rows if row.problem is not None]
    out.append("<h2>Submissions with errors</h2>")
    if problems:
        out.append("<table><tr><th>Student</th><th>Name</th><th>Kind</th><th>Error</th></tr>")
        for row in problems:
            kind = "grader" if row.result is None else "submission"
            out.append(f"<tr><td>{_e(row.key)}</td><td>{_e(row.display_name or '')}</td><td>{kind}</td>"
                       f"<td><pre>{_e(truncate(row.problem or '', ERROR_LIMIT))}</pre></td></tr>")
        out.append("</table>")
    else:
        out.append("<p>None.</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_summary_html(rows: Sequence[Row], path: Path, *, title: str = "Class summary", bins: int = 10) -> None:
    """Write the class summary page."""
    atomic_write_text(path, summary_html(rows, title=title, bins=bins))
