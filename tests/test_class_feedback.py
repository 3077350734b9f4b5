"""What a class receives after `grade batch --lang` and the Gradescope autograder, end to end: the golden
files hold in both languages, and the class summary page renders in a real browser (headless Chromium)
with its charts and its table of students."""

from __future__ import annotations

import difflib
import os
import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from grader.spec import load_spec

from .golden import regenerate
from .golden.regenerate import FILES, LANGUAGES, SPEC, STUDENT, expected, produce

REGENERATE = "python tests/golden/regenerate.py"


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("class")


@pytest.fixture(scope="module")
def produced(work: Path) -> dict[str, dict[str, str]]:
    return {lang: produce(work, lang) for lang in LANGUAGES}


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_golden_files_hold(produced: dict[str, dict[str, str]], lang: str, name: str) -> None:
    got, want = produced[lang][name], expected(lang, name)
    if got != want:
        diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), f"golden/{lang}/{name}",
                                            "now", n=1))
        pytest.fail(f"{lang}/{name} changed; if on purpose, run `{REGENERATE}` and review `git diff tests/golden`"
                    f"\n{diff[:6000]}")


def test_the_golden_files_are_in_their_language_and_name_mistakes() -> None:
    """What the golden files hold is what the issue asks for (so that regenerating cannot bless a regression)."""
    spec = load_spec(SPEC)
    loss = next(part for part in spec.parts if part.name == "Loss")
    mistake = next(m for m in loss.mistakes if m.id == "sum_instead_of_mean")
    for lang in LANGUAGES:
        feedback, summary = expected(lang, "feedback.md"), expected(lang, "summary.html")
        name = mistake.name.get(lang)
        assert name in feedback and name in summary
        assert "sum_instead_of_mean" not in (feedback + summary).replace(STUDENT, "")  # (the fixture's file name)
        words = ("Score: 7 / 10", "Counterexample: ") if lang == "en" else ("점수: 7 / 10", "반례: ")
        assert all(word in feedback for word in words)
        # words the grading workers wrote (separate processes): the language reached them
        assert re.search(r"case 1 of \d+: Loss\(" if lang == "en" else r"\d+개 중 1번째 경우: Loss\(", feedback)
        # one explanation then one counterexample per failed check, nothing said twice
        assert feedback.count(words[1]) == 2 and "For example" not in feedback and "예: " not in feedback
        assert feedback.index(name) < feedback.index(words[1])
        assert "\\(" not in feedback and "\\_" not in feedback and "\\." not in feedback  # no needless escapes
        assert f'<html lang="{lang}">' in summary
        results = expected(lang, "results.json")
        assert '"output_format": "md"' in results and name in results


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _browser(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    chromium = _chromium()
    if chromium is None:
        pytest.skip("no Chromium on this machine (Debian: apt-get install chromium; .ci/run installs it)")
    flags = ["--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
             f"--user-data-dir={profile}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        flags.append("--no-sandbox")  # Chromium refuses to run as root with its own sandbox
    return subprocess.run([chromium, *flags, *args], capture_output=True, text=True, timeout=120, check=True)


class _Page(HTMLParser):
    """The parts of the DOM Chromium built that the test looks at."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.svgs = self.bars = 0
        self.svg_text: list[str] = []
        self.student_rows = 0
        self.links: list[str] = []
        self.lang = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.stack.append(tag)
        if tag == "html":
            self.lang = found.get("lang") or ""
        if tag == "svg":
            self.svgs += 1
        if tag == "rect" and found.get("class") == "bar":
            self.bars += 1
        if tag == "table" and found.get("class") == "students":
            self.stack[-1] = "students"
        if tag == "tr" and "students" in self.stack:
            self.student_rows += 1
        if tag == "a" and found.get("href"):
            self.links.append(str(found["href"]))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop() in (tag, "students" if tag == "table" else tag):
                break

    def handle_data(self, data: str) -> None:
        if "svg" in self.stack and "title" not in self.stack and data.strip():
            self.svg_text.append(data.strip())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_summary_page_renders_in_a_browser(produced: dict[str, dict[str, str]], work: Path, lang: str) -> None:
    page = work / f"out-{lang}" / "summary.html"
    dom = _browser(["--dump-dom", page.as_uri()], work / f"profile-dom-{lang}").stdout
    seen = _Page()
    seen.feed(dom)
    spec = load_spec(SPEC)
    assert seen.lang == lang
    # the histogram and one chart per part that has failed checks (every part does in this class)
    assert seen.svgs == 1 + len(spec.parts) and seen.bars >= 10 + len(spec.parts)
    mistake = next(m for p in spec.parts for m in p.mistakes if m.id == "sum_instead_of_mean")
    assert mistake.name.get(lang) in seen.svg_text
    # a header and one row per student, each linking to the feedback file that student received
    assert seen.student_rows == 1 + len(regenerate.CLASS)
    feedback = [link for link in seen.links if link.startswith("feedback/")]
    assert len(feedback) == len(regenerate.CLASS)
    assert all((page.parent / link).is_file() for link in feedback)


def test_the_summary_page_is_painted_with_its_styles(produced: dict[str, dict[str, str]], work: Path) -> None:
    """Under the page's Content-Security-Policy its inline styles still apply: the bars are painted in
    their colour (black, unstyled SVG, would mean the policy blocked them)."""
    shot = work / "summary.png"
    _browser([f"--screenshot={shot}", "--window-size=900,700", (work / "out-en" / "summary.html").as_uri()],
             work / "profile-shot")
    pixels = _png_rgb(shot.read_bytes())
    bar = np.all(np.abs(pixels.astype(int) - (0x4A, 0x7E, 0xBB)) <= 3, axis=-1)
    assert bar.sum() > 2000, "no bar of the histogram was painted in its colour"


def _png_rgb(data: bytes) -> np.ndarray:
    """A PNG's pixels as an (height, width, 3) array: enough of PNG for Chromium's 8-bit RGB(A) screenshots."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks, header = 8, [], b""
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        header = body if kind == b"IHDR" else header
        if kind == b"IDAT":
            chunks.append(body)
        offset += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6), (depth, colour)
    step = 3 if colour == 2 else 4
    raw = np.frombuffer(zlib.decompress(b"".join(chunks)), dtype=np.uint8).reshape(height, 1 + width * step)
    rows = np.zeros((height, width * step), dtype=np.uint8)
    previous = np.zeros(width * step, dtype=np.int32)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        if kind == 0:
            current = line
        elif kind == 1:
            current = np.cumsum(line.reshape(width, step), axis=0).reshape(-1) % 256
        elif kind == 2:
            current = (line + previous) % 256
        else:
            current = np.zeros_like(line)
            for x in range(width * step):
                left = current[x - step] if x >= step else 0
                up, corner = previous[x], previous[x - step] if x >= step else 0
                if kind == 3:
                    current[x] = (line[x] + (left + up) // 2) % 256
                else:
                    p = left + up - corner
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                    near = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                    current[x] = (line[x] + near) % 256
        rows[y], previous = current, current
    return rows.reshape(height, width, step)[:, :, :3]
