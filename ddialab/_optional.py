"""Importing the optional parts of a table (family packages, workload modules)."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from types import ModuleType


def present_modules(names: Iterable[str]) -> Iterator[ModuleType]:
    """Import each named module, skipping those that do not exist.

    Only the module's own absence is skipped: an import error *inside* a present module
    is a bug and propagates.
    """
    for name in names:
        try:
            yield importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
