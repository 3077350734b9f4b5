"""Making hostile text harmless in each output format.

Anything a student controls (their output, their exception messages, values in counterexamples, even their
LMS display name) ends up in reports that teachers open in spreadsheets, browsers and Markdown viewers. Each
format has its own escape here, in one place, so that writers cannot forget one.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

# Characters XML 1.0 cannot carry at all (most control characters, lone surrogates, U+FFFE/U+FFFF).
_XML_INVALID = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CONTROL = re.compile("[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#|~$])")
_MD_LINE_START = re.compile(r"^([-+=]|\d+(?=[.)]))")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, saying so when cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def xml_text(text: str) -> str:
    """Text XML can hold: invalid characters become U+FFFD (the XML library escapes `<`, `&` and quotes)."""
    return _XML_INVALID.sub("\ufffd", text)


def csv_cell(text: str) -> str:
    """A free-text CSV cell that a spreadsheet will not run as a formula (`=HYPERLINK(...)` and friends)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A whole CSV document (RFC 4180 quoting, CRLF line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def md_inline(text: str) -> str:
    """Hostile text as one line of Markdown that renders literally: no HTML, links, emphasis or code spans."""
    text = " ".join(_CONTROL.sub(" ", text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    # List markers, ordered-list numbers and setext underlines only mean something at the start of a line.
    m = _MD_LINE_START.match(text)
    if m is None:
        return text
    if m.group(1).isdigit():
        return text[: m.end()] + "\\" + text[m.end():]
    return "\\" + text


def md_block(text: str, info: str = "text") -> str:
    """Hostile multi-line text as a fenced code block that nothing inside can close.

    A tilde fence is closed only by a line of at least as many tildes, so the fence is made longer than any
    run of tildes in the text; inside a fenced block CommonMark renders HTML and backticks literally.
    """
    text = _CONTROL.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))
    longest = max((len(run) for run in re.findall(r"~+", text)), default=0)
    fence = "~" * max(3, longest + 1)
    return f"{fence}{info}\n{text.rstrip(chr(10))}\n{fence}"
