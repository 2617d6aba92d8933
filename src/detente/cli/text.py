"""Text is data: every string from a file, an option or the store is shown as typed.

Rich reads ``[bold]`` and ``[link=...]`` in strings as markup and ``:smile:`` as emoji, and a
terminal obeys escape sequences (colours, hyperlinks, cursor moves, window titles). A title,
actor or run field that holds ``[/x]`` crashed ``rich`` (``MarkupError``) and
``[link=https://evil.example]click[/link]`` became a live link. So:

* :class:`SafeConsole` (the CLI's consoles) treats every string as plain text: no markup, no emoji,
  no highlighting, and control characters shown as visible escapes (``\\x1b``). The CLI's own
  styling is passed as ``style=`` or built with :func:`styled`, whose arguments are escaped.
* :func:`clean` makes one string safe for a terminal (used for error lines and progress labels).
* :func:`csv_cell` neutralises spreadsheet formulas in CSV exports (OWASP "CSV injection").
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape as _escape_markup
from rich.text import Text

from detente.safetext import clean, csv_cell

__all__ = ["SafeConsole", "clean", "csv_cell", "esc", "styled"]


def esc(text: object) -> str:
    """``text`` for a string that rich reads as markup: control characters and markup escaped."""
    return _escape_markup(clean(text, newlines=True))


def styled(template: str, *args: object) -> Text:
    """Rich markup of the CLI's own ``template`` with each ``{}`` filled by an escaped argument:
    ``styled("[bold]{}[/bold] ({} actors)", title, n)``."""
    return Text.from_markup(template.format(*(esc(a) for a in args)), emoji=False)


class SafeConsole(Console):
    """A rich Console that prints every string as plain text (see the module's docstring).

    Markup is read only from :class:`rich.text.Text` objects the CLI builds itself
    (:func:`styled`); control characters in any string are shown as escapes.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("markup", False)
        kwargs.setdefault("emoji", False)
        kwargs.setdefault("highlight", False)
        super().__init__(**kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:  # type: ignore[override]
        kwargs["markup"] = False
        kwargs["emoji"] = False
        return super().render_str(clean(text, newlines=True), **kwargs)
