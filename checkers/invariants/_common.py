"""Shared helpers of the invariant checkers: op pairs, frozen values, witness records."""

from __future__ import annotations

from typing import Any

from checkers import Pair, client_pairs
from ddialab.vocabulary import freeze, show, thaw

__all__ = ["Pair", "capped", "client_pairs", "freeze", "is_int", "show", "thaw"]


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def capped(items: list[Any], limit: int = 100) -> list[Any]:
    return items[:limit]
