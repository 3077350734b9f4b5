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
_MD_LINE_START = re.compile(r"^(?:[-+=*#>|\[]|\d+[.)])")
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
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


def md_inline(text: str, *, at_line_start: bool = True) -> str:
    """Hostile text as one line of Markdown that renders literally, escaping only what Markdown would read.

    A reader often sees the file raw (an LMS comment box, an e-mail), so `f_x`, `step(f_x, y)` and `1. step`
    stay as they are: only characters that could start emphasis, code, a link, HTML, an entity, strikethrough
    or math where they stand get a backslash. `at_line_start` adds the escapes a line's first characters need
    (list markers, headings, quotes); text after words of ours on the same line does not need them.
    """
    text = " ".join(_CONTROL.sub(" ", text).split())
    out = [_escaped(text, i) for i in range(len(text))]
    if at_line_start and text:
        m = _MD_LINE_START.match(text)
        if m is not None and not out[m.end() - 1].startswith("\\"):
            at = m.end() - 1  # after the digits of "1." / "1)", else the marker itself
            out[at] = "\\" + text[at]
    return "".join(out)


def _escaped(text: str, i: int) -> str:
    ch = text[i]
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    if ch in "`~$":
        escape = True
    elif ch == "\\":  # only where it would escape what follows, or end the line with a hard break
        escape = i + 1 == len(text) or after in _ASCII_PUNCTUATION
    elif ch == "*":  # a star between spaces can neither open nor close emphasis
        escape = not (before.isspace() and after.isspace())
    elif ch == "_":  # underscores inside a word (f_x, fail__sum) never do
        start, end = i, i + 1
        while start > 0 and text[start - 1] == "_":
            start -= 1
        while end < len(text) and text[end] == "_":
            end += 1
        escape = not (start > 0 and end < len(text) and text[start - 1].isalnum() and text[end].isalnum())
    elif ch == "]":  # a link or an image needs `](` or `][`
        escape = after in "(["
    elif ch == "<":  # HTML and autolinks start with `<` and a letter, `/`, `!` or `?`
        escape = after.isascii() and (after.isalpha() or after in "/!?")
    elif ch == "&":  # an entity or a character reference
        escape = _ENTITY.match(text, i) is not None
    elif ch == "#":  # a closing sequence at the end of a heading
        escape = before.isspace() and not text[i:].strip("#")
    else:
        escape = False
    return "\\" + ch if escape else ch


def md_block(text: str, info: str = "text") -> str:
    """Hostile multi-line text as a fenced code block that nothing inside can close.

    A tilde fence is closed only by a line of at least as many tildes, so the fence is made longer than any
    run of tildes in the text; inside a fenced block CommonMark renders HTML and backticks literally.
    """
    text = _CONTROL.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))
    longest = max((len(run) for run in re.findall(r"~+", text)), default=0)
    fence = "~" * max(3, longest + 1)
    return f"{fence}{info}\n{text.rstrip(chr(10))}\n{fence}"
