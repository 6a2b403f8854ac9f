"""What this installation offers, gathered from each package's table (for ``ddialab list``).

Each section is a list of ``(name, description)`` rows; a description may have several
lines (``\n``), which the lister lays out in its own column.

Every table is part of the installation: a missing module or attribute is a bug and
raises (nothing is silently listed as empty).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from typing import Any


def _table(module: str, attr: str) -> list[tuple[str, str]]:
    table: dict[str, Any] = getattr(importlib.import_module(module), attr)
    return [(name, getattr(e, "description", str(e))) for name, e in table.items()]


def _with_options(module: str, attr: str) -> list[tuple[str, str]]:
    """Each entry's description, then its declared options (default and choices)."""
    table: dict[str, Any] = getattr(importlib.import_module(module), attr)
    return [(n, f"{e.description}\noptions: {_options(e)}") for n, e in table.items()]


def _options(entry: Any) -> str:
    parts = []
    for o in entry.declared_options():
        choices = f" ({'|'.join(map(str, o.choices))})" if o.choices else ""
        parts.append(f"{o.name}={json.dumps(o.default)}{choices}")
    return ", ".join(parts) or "(none)"


def systems() -> list[tuple[str, str]]:
    return _with_options("systems", "SYSTEMS")


def workloads() -> list[tuple[str, str]]:
    return _with_options("workloads", "WORKLOADS")


def nemeses() -> list[tuple[str, str]]:
    return _table("nemesis", "NEMESES")


def checkers() -> list[tuple[str, str]]:
    from checkers import CHECKERS

    return [(n, e.description) for n, e in CHECKERS.items()]


def models() -> list[tuple[str, str]]:
    rows = [(f"linearizable/{n}", d) for n, d in _table("checkers.linearizable", "MODELS")]
    rows += [(f"elle/{n}", d) for n, d in _table("checkers.elle", "MODELS")]
    return rows


def formats() -> list[tuple[str, str]]:
    from ddialab.history import FORMATS

    return [(n, f.description) for n, f in FORMATS.items()]


SECTIONS: dict[str, Callable[[], list[tuple[str, str]]]] = {
    "systems": systems,
    "workloads": workloads,
    "nemeses": nemeses,
    "checkers": checkers,
    "models": models,
    "formats": formats,
}
