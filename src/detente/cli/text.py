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
from rich.text import Text

from detente.safetext import clean, csv_cell

__all__ = ["SafeConsole", "clean", "csv_cell", "styled"]


def styled(template: str, *args: object) -> Text:
    """Rich markup of the CLI's own ``template`` with each ``{}`` filled by an argument as plain
    text, in the style around it: ``styled("[bold]{}[/bold] ({} actors)", title, n)``.

    The arguments never pass through the markup parser (rich's own ``escape`` misses a backslash
    before a lone ``[``): each ``{}`` becomes a private-use placeholder, the template is parsed,
    and each placeholder is replaced by its argument's text with the styles that cover it.
    """
    marks = [chr(0xE000 + i) for i in range(len(args))]
    base = Text.from_markup(template.format(*marks), emoji=False)
    out = Text()
    start = 0
    for i, ch in enumerate(base.plain):
        if ch not in marks:
            continue
        out.append_text(base[start:i])
        styles = [str(span.style) for span in base.spans if span.start <= i < span.end]
        out.append(clean(args[marks.index(ch)], newlines=True), style=" ".join(styles) or None)
        start = i + 1
    out.append_text(base[start:])
    return out


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

    def render_str(self, text: str, **kwargs: Any) -> Text:
        kwargs["markup"] = False
        kwargs["emoji"] = False
        return super().render_str(clean(text, newlines=True), **kwargs)
