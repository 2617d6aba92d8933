"""Progress shown on stderr while a run takes more than a moment (rich; transient).

Rich draws bars and spinners only on a terminal and clears them when done, so JSON on stdout,
pipes and tests see nothing of them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from detente.safetext import clean


def _terminal() -> bool:
    """Whether stderr is a terminal: off one, rich's transient display still leaves a blank line
    behind (in a pipe, `2>&1 | head`, a log), so nothing is drawn at all."""
    import sys

    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def progress_bar(show: bool, label: str, total: int) -> Iterator[Callable[[], None]]:
    """A bar of ``total`` steps with elapsed and remaining time; yields ``advance()``."""
    if not show or total < 1 or not _terminal():
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task_id = bar.add_task(clean(label) or "working", total=total)
        yield lambda: bar.advance(task_id)


@contextlib.contextmanager
def spinner(show: bool, label: str) -> Iterator[None]:
    """A spinner with ``label`` for a step whose length is not known in advance."""
    if not show or not _terminal():
        yield
        return
    from rich.console import Console
    from rich.text import Text

    with Console(stderr=True).status(Text(clean(label))):
        yield
