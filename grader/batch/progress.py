"""A progress bar on a terminal, and silence otherwise (logs and CI stay clean)."""

from __future__ import annotations

import sys
from typing import Any


class Progress:
    def __init__(self) -> None:
        self._bar: Any = None
        self._enabled = sys.stderr.isatty()

    def update(self, done: int, total: int) -> None:
        if not self._enabled:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="sub", desc="grading", file=sys.stderr)
        self._bar.n = done
        self._bar.refresh()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()
