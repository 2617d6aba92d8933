"""Strings from files, options and the store made safe to show: control characters become visible
escapes (:func:`clean`) and spreadsheet formulas are neutralised (:func:`csv_cell`).

The CLI's consoles (:mod:`detente.cli.text`), progress labels, error lines and CSV exports use
these; this module imports nothing of detente so every layer may use it.
"""

from __future__ import annotations

import re
from typing import Any

# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides/isolates that
# can make a name read backwards ("Trojan Source"), plus line/paragraph separators.
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
_CONTROL_AND_NEWLINES = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
# A cell starting with one of these is a formula in Excel, LibreOffice and Google Sheets.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: object, *, newlines: bool = False) -> str:
    """``text`` as a string with control characters shown as escapes (``\\x1b``, ``\\u202e``).

    ``newlines=True`` keeps line breaks and tabs (multi-line table cells); by default they are
    escaped too, so the result is one line.
    """
    pattern = _CONTROL if newlines else _CONTROL_AND_NEWLINES
    return pattern.sub(_visible, str(text))


def csv_cell(value: Any) -> Any:
    """A value for a CSV cell: a string that a spreadsheet would run as a formula (``=``, ``+``,
    ``-``, ``@``, tab, CR) gets a leading apostrophe; numbers stay numbers (``-3`` is data)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value
