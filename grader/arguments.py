"""What every command's argument parser shares: errors that `grade` reports like any other, the one
`--assignment` option and the one `--lang` option."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.errors import UsageError
from grader.messages import LANGUAGES, current, normalize


class Parser(argparse.ArgumentParser):
    """argparse whose errors are UsageErrors, so that `grade` reports them like every other error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def add_assignment_option(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    """`--assignment PATH` (alias `--spec`), the same on every command."""
    found = "" if required else " (default: found from the submission's folder and the current folder upward)"
    parser.add_argument("--assignment", "--spec", dest="spec", type=Path, default=None, metavar="PATH",
                        required=required, help=f"the exercise: its folder or its spec.toml{found}")


def add_lang_option(parser: argparse.ArgumentParser, *, writes: str = "the feedback") -> None:
    """`--lang en|ko`, the same on every command; `grade` sets the language for the whole command from it
    (else from the locale, else English), so that its errors are in that language too."""
    parser.add_argument("--lang", choices=LANGUAGES, default=None,
                        help=f"the language of {writes} (default: from the locale, else English)")


def chosen_language(args: argparse.Namespace) -> str:
    """--lang when given, else the language `grade` chose for this command (the locale's, else English)."""
    lang = getattr(args, "lang", None)
    return normalize(lang) if lang else current()
