"""What every command's argument parser shares: errors that `grade` reports like any other, and
the one `--assignment` option."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.errors import UsageError


class Parser(argparse.ArgumentParser):
    """argparse whose errors are UsageErrors, so that `grade` reports them like every other error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def add_assignment_option(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    """`--assignment PATH` (alias `--spec`), the same on every command."""
    found = "" if required else " (default: found from the submission's folder and the current folder upward)"
    parser.add_argument("--assignment", "--spec", dest="spec", type=Path, default=None, metavar="PATH",
                        required=required, help=f"the exercise: its folder or its spec.toml{found}")
