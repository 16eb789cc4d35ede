"""A progress bar for long CLI operations, drawn only on a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["TerminalProgress"]


class TerminalProgress:
    """``progress(done, total)`` callable that redraws one line on stderr.

    On a pipe or a file it stays silent, so scripts reading stderr see only
    errors.  Redraws are throttled to ten a second.
    """

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self.enabled = self.stream.isatty()
        self._last = 0.0
        self._started = time.monotonic()
        self._drawn = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        moment = time.monotonic()
        if done < total and moment - self._last < 0.1:
            return
        self._last = moment
        fraction = done / total if total else 1.0
        filled = int(self.width * fraction)
        rate = done / max(moment - self._started, 1e-9)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {done}/{total} {fraction:4.0%} {rate:,.0f}/s")
        self._drawn = True
        if done >= total:
            self.finish()
        self.stream.flush()

    def finish(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
