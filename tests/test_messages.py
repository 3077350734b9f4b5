"""Every message a student reads exists in Korean and English, with the same placeholders."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from grader import messages
from grader.messages import LANGUAGES, MESSAGES, default_language, placeholders, t, use
from grader.spec import load_spec

from .conftest import EXERCISES, FIXTURES, ROOT, SPEC_PATH


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_exists_in_both_languages(key: str) -> None:
    entry = MESSAGES[key]
    assert set(entry) == set(LANGUAGES), key
    for lang in LANGUAGES:
        assert entry[lang].strip(), f"{key} is empty in {lang}"
    assert placeholders(entry["en"]) == placeholders(entry["ko"]), key


def test_korean_messages_are_korean() -> None:
    hangul = [key for key, entry in MESSAGES.items() if any("\uac00" <= ch <= "\ud7a3" for ch in entry["ko"])]
    # Only a few messages are pure notation (a call and a value) and need no words.
    assert len(hangul) >= len(MESSAGES) - 8


@pytest.mark.parametrize("exercise", EXERCISES)
def test_every_word_of_an_exercise_is_in_both_languages(exercise: str) -> None:
    """Titles, mistakes and their hints: the exercise's own words, each in Korean and English."""
    spec = load_spec(ROOT / "assignments" / exercise / "spec.toml")
    texts = [spec.title] + [part.title for part in spec.parts] + [c.title for p in spec.parts for c in p.checks]
    for part in spec.parts:
        assert part.mistakes, part.name
        for entry in part.mistakes:
            hint = entry.hint or part.hint
            assert hint is not None, (part.name, entry.id)
            texts += [entry.name, hint]
            assert entry.name.get("ko") != entry.name.get("en")
    for text in texts:
        assert {lang for lang, _ in text.texts} == set(LANGUAGES), text
        assert all(words.strip() for _, words in text.texts), text


def test_the_language_comes_from_the_locale_and_falls_back_to_english() -> None:
    assert default_language({"LANG": "ko_KR.UTF-8"}) == "ko"
    assert default_language({"LC_ALL": "ko_KR.UTF-8", "LANG": "en_US.UTF-8"}) == "ko"
    assert default_language({"LC_MESSAGES": "ko"}) == "ko"
    assert default_language({"LANG": "de_DE.UTF-8"}) == "en"
    assert default_language({"LANG": "C.UTF-8"}) == "en"
    assert default_language({}) == "en"


def test_use_switches_the_language_and_restores_it() -> None:
    assert messages.current() == "en"
    with use("ko"):
        assert t("report.all_passed") == MESSAGES["report.all_passed"]["ko"]
        with use("en"):
            assert t("report.all_passed") == "All checks passed."
    assert messages.current() == "en"
    assert t("report.inputs", "ko", count=3) == "입력 3개"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_cli_speaks_the_chosen_language(lang: str) -> None:
    fixture = FIXTURES / "fail-Loss__half_mse.py"
    run = subprocess.run([sys.executable, "-m", "grader.cli", str(fixture), "--lang", lang],
                         capture_output=True, text=True, encoding="utf-8", cwd=ROOT, timeout=120)
    assert run.returncode == 1, run.stderr
    expected = MESSAGES["misconception.named"][lang].split("{")[0]
    assert expected in run.stdout
    assert load_spec(SPEC_PATH).parts[0].title.get(lang) in run.stdout


def test_the_cli_language_comes_from_the_locale() -> None:
    fixture = FIXTURES / "pass__reference.py"
    env = {"PATH": "/usr/bin:/bin", "LANG": "ko_KR.UTF-8", "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "grader.cli", str(fixture)], capture_output=True, text=True,
                         encoding="utf-8", cwd=ROOT, timeout=120, env=env)
    assert run.returncode == 0, run.stderr
    assert MESSAGES["report.correct"]["ko"] in run.stdout


def test_an_unknown_file_is_reported_in_korean() -> None:
    run = subprocess.run([sys.executable, "-m", "grader.cli", "--lang", "ko", str(Path("no-such-file.py"))],
                         capture_output=True, text=True, encoding="utf-8", cwd=ROOT, timeout=60)
    assert run.returncode == 2
    assert "파일이 없습니다" in run.stderr
