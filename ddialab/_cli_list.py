"""``ddialab list``: what this installation can run and check, one line each."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from typing import Any

from ddialab import catalog


def add_parser(sub: Any) -> None:
    p = sub.add_parser("list", help="list systems, workloads, nemeses, checkers, models")
    p.add_argument("what", nargs="?", choices=list(catalog.SECTIONS), help="one section only")
    p.set_defaults(func=run_list)


def run_list(args: argparse.Namespace) -> int:
    sections: Iterable[str] = [args.what] if args.what else catalog.SECTIONS
    for name in sections:
        rows: Callable[[], list[tuple[str, str]]] = catalog.SECTIONS[name]
        print(f"{name}:")
        for key, description in rows():
            print(f"  {key:<24} {description}")
    return 0
