"""``ddialab list``: what this installation can run and check, one entry each.

Layout: the names form a column as wide as the section's longest name of at most
``MAX_NAME`` characters; a longer name gets a line of its own and its description starts on the
next line, in the column.  Descriptions are wrapped to the terminal's width, so no name
ever pushes its description out of line.
"""

from __future__ import annotations

import argparse
import shutil
import textwrap
from collections.abc import Callable, Iterable
from typing import Any

from ddialab import catalog

#: The widest name column; longer names get a line of their own.
MAX_NAME = 30


def add_parser(sub: Any) -> None:
    p = sub.add_parser("list", help="list systems, workloads, nemeses, checkers, models")
    p.add_argument("what", nargs="?", choices=list(catalog.SECTIONS), help="one section only")
    p.set_defaults(func=run_list)


def run_list(args: argparse.Namespace) -> int:
    sections: Iterable[str] = [args.what] if args.what else catalog.SECTIONS
    width = max(shutil.get_terminal_size((100, 24)).columns, 60)
    for name in sections:
        rows: Callable[[], list[tuple[str, str]]] = catalog.SECTIONS[name]
        print(f"{name}:")
        for line in layout(rows(), width):
            print(line)
    return 0


def layout(rows: list[tuple[str, str]], width: int) -> list[str]:
    """The section's lines: ``  name  description``, descriptions in one column."""
    column = max((len(n) for n, _ in rows if len(n) <= MAX_NAME), default=MAX_NAME) + 4
    lines: list[str] = []
    for name, description in rows:
        text = _wrap(description, width - column)
        if len(name) + 4 > column:
            lines.append(f"  {name}")
        else:
            lines.append(f"  {name:<{column - 4}}  {text.pop(0) if text else ''}".rstrip())
        lines += [" " * column + t for t in text]
    return lines


def _wrap(description: str, width: int) -> list[str]:
    out: list[str] = []
    for paragraph in description.splitlines():
        out += textwrap.wrap(paragraph, max(width, 20), subsequent_indent="  ") or [""]
    return out
