"""How far a long piece of work has got, told to whoever watches it.

Work that takes a while (an export, an import, the demo's seeding) says where it is with
`begin(total, phase)` and `advance(n)`; it never knows who listens. The CLI listens with a
progress bar, a background job with its row in the database (fundcrm.jobs.runner), and
anything else not at all: without a listener both calls cost nothing.
"""

import contextlib
import sys
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class Progress:
    """The state a listener reads: `done` of `total` (None: not known yet) in `phase`."""

    done: int = 0
    total: int | None = None
    phase: str = ""
    step: str = ""  # the named step under way, when the work has named steps

    def on_change(self) -> None:
        """Called after every change; listeners override it."""

    def begin(self, total: int | None, phase: str = "") -> None:
        self.done, self.total, self.phase = 0, total, phase
        self.on_change()

    def advance(self, n: int = 1) -> None:
        self.done += n
        self.on_change()

    def enter(self, step: str) -> None:
        """The next named step of the same work (a report's next section): the count goes on,
        and the listeners show the step's name."""
        self.step = step
        self.on_change()


_current: ContextVar[Progress | None] = ContextVar("fundcrm_progress", default=None)


def begin(total: int | None, phase: str = "") -> None:
    if (listener := _current.get()) is not None:
        listener.begin(total, phase)


def advance(n: int = 1) -> None:
    if (listener := _current.get()) is not None:
        listener.advance(n)


def enter(step: str) -> None:
    if (listener := _current.get()) is not None:
        listener.enter(step)


@contextlib.contextmanager
def watched_by(listener: Progress) -> Iterator[Progress]:
    """Report the work done inside the block to `listener`."""
    token = _current.set(listener)
    try:
        yield listener
    finally:
        _current.reset(token)


class Bar(Progress):
    """A progress bar on standard error: `phase done/total pct%`, redrawn at most 10 times a
    second; nothing at all with `quiet`."""

    def __init__(self, label: str, quiet: bool = False, stream=None):
        super().__init__()
        self.label, self.quiet = label, quiet
        self.stream = stream or sys.stderr
        self._drawn_at = 0.0
        self._open = False  # a line drawn and not ended yet

    def on_change(self) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        finished = bool(self.total) and self.done >= self.total
        if now - self._drawn_at < 0.1 and not finished:
            return
        self._drawn_at = now
        self.stream.write(f"\r{self._text()}" + ("\n" if finished else ""))
        self.stream.flush()
        self._open = not finished

    def _text(self) -> str:
        step = f" {self.step}".ljust(40) if self.step else ""  # overwrites a longer one
        if not self.total:
            return f"{self.label}: {self.done:,}{step}"
        share = min(1.0, self.done / self.total)
        filled = int(share * 30)
        drawn = "#" * filled + "." * (30 - filled)
        return f"{self.label}: [{drawn}] {self.done:,}/{self.total:,} {share:.0%}{step}"

    def close(self) -> None:
        if self._open:
            self.stream.write("\n")
            self.stream.flush()


@contextlib.contextmanager
def bar_on_terminal(label: str, quiet: bool = False) -> Iterator[Bar]:
    """The work inside the block draws a progress bar on standard error (the CLI's commands;
    `quiet` for scripts)."""
    shown = Bar(label, quiet)
    try:
        with watched_by(shown):
            yield shown
    finally:
        shown.close()
