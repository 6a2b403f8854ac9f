"""Checks that a decoded op has the shape the contract demands."""

from __future__ import annotations

from typing import Any

from ddialab.errors import HistoryFormatError
from ddialab.history._op import NEMESIS, OP_TYPES, Op


def op_from_mapping(d: Any, path: str | None, line: int | None) -> Op:
    """Validate a decoded JSON object and build an ``Op``; raise a precise error if not."""
    if not isinstance(d, dict):
        raise HistoryFormatError(path, line, f"expected a JSON object (an op), got {_kind(d)}")
    for key in ("index", "time", "type", "process", "f"):
        if key not in d:
            raise HistoryFormatError(path, line, f"op is missing the required key {key!r}")
    _expect_int(d, "index", path, line)
    _expect_int(d, "time", path, line)
    if not isinstance(d["type"], str) or d["type"] not in OP_TYPES:
        raise HistoryFormatError(
            path, line, f"'type' must be one of invoke, ok, fail, info; got {d['type']!r}"
        )
    p = d["process"]
    if not ((isinstance(p, int) and not isinstance(p, bool)) or p == NEMESIS):
        raise HistoryFormatError(
            path, line, f"'process' must be an integer or \"nemesis\"; got {p!r}"
        )
    if not isinstance(d["f"], str):
        raise HistoryFormatError(path, line, f"'f' must be a string; got {_kind(d['f'])}")
    return Op.from_dict(d)


def _expect_int(d: dict[str, Any], key: str, path: str | None, line: int | None) -> None:
    v = d[key]
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        raise HistoryFormatError(path, line, f"{key!r} must be a non-negative integer; got {v!r}")


def _kind(v: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", type(None): "null"}.get(
        type(v), type(v).__name__
    )
