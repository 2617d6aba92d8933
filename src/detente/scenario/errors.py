"""detente's own errors: each carries one clear line for the user."""

from __future__ import annotations


class DetenteError(Exception):
    """Base class of every error detente raises for a user's mistake (CLI: one line, exit 2)."""


class ScenarioError(DetenteError):
    """A scenario file that cannot be read or breaks a rule.

    The message names the file, the field path (e.g. ``actors[3].positions.territory``), the value
    and the rule.
    """

    def __init__(self, file: str, field: str, value: object, rule: str) -> None:
        self.file, self.field, self.value, self.rule = file, field, value, rule
        parts = [file] if file else []
        if field and value is not _NO_VALUE:
            parts.append(f"{field} = {_short(value)}")
        elif field:
            parts.append(field)
        elif value is not _NO_VALUE:
            parts.append(_short(value))
        parts.append(rule)
        super().__init__(": ".join(parts))


def _short(value: object, limit: int = 60) -> str:
    if value is _NO_VALUE:
        return ""
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # an int of over 4300 digits; a list nested deeply
        text = f"<{type(value).__name__} too large to show>"
    return (text[: limit - 3] + "...") if len(text) > limit else text


class _NoValue:
    def __repr__(self) -> str:
        return "<missing>"


_NO_VALUE = _NoValue()
NO_VALUE: object = _NO_VALUE
