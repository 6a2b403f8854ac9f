"""Tiny history builders for the Elle checker tests."""

from __future__ import annotations

from typing import Any

from ddialab.history import History, Op


def hist(*rows: tuple[str, Any, Any], f: str = "txn") -> History:
    """Ops from (type, process, value) rows; index and time are the row number."""
    return History(Op(i, i, t, p, f, v) for i, (t, p, v) in enumerate(rows))


def txn(p: Any, done: list[Any], typ: str = "ok") -> list[tuple[str, Any, Any]]:
    """An invocation (reads as nil) immediately followed by its completion."""
    inv = [[m[0], m[1], None] if m[0] == "r" else list(m) for m in done]
    return [("invoke", p, inv), (typ, p, done)]


def concurrent(*txns: tuple[Any, list[Any]]) -> list[tuple[str, Any, Any]]:
    """Invoke every txn, then complete them all in order (no real-time edges among them)."""
    inv = [
        ("invoke", p, [[m[0], m[1], None] if m[0] == "r" else list(m) for m in d]) for p, d in txns
    ]
    return inv + [("ok", p, d) for p, d in txns]
