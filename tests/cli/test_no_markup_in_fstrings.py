"""The CLI prints through consoles that read no markup from plain strings (text is data), so an
f-string holding the CLI's own markup would print its tags literally (``[yellow]...[/yellow]``):
the CLI's markup goes through :func:`detente.cli.text.styled` instead. This scans the CLI's
sources for f-strings that carry markup tags."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from detente.cli.common import console

CLI = Path(__file__).resolve().parents[2] / "src/detente/cli"
TAG = re.compile(r"\[/?(bold|dim|italic|yellow|green|red|blue|cyan|magenta|link)\b[^\]]*\]|\[/\]")


def _fstrings_with_markup(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
            if TAG.search(text):
                lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("path", sorted(CLI.glob("*.py")), ids=lambda p: p.name)
def test_no_fstring_carries_markup(path: Path) -> None:
    assert _fstrings_with_markup(path) == [], f"{path.name}: use styled() for the CLI's markup"


def test_the_scan_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text('x = 1\nprint(f"[yellow]note[/yellow] {x}")\n')
    assert _fstrings_with_markup(bad) == [2]


def test_plain_strings_print_their_brackets_literally() -> None:
    with console.capture() as cap:
        console.print("[yellow]x[/yellow]")
    assert cap.get().strip() == "[yellow]x[/yellow]"
