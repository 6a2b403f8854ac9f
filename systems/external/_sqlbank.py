"""The bank workload's SQL, shared by the PostgreSQL and SQLite clients.

Both drivers follow DB-API: ``execute(sql, params)`` returns a cursor.  They differ only
in the parameter placeholder (``%s`` for psycopg, ``?`` for sqlite3), passed in as ``ph``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Execute = Callable[..., Any]


class Rollback(Exception):
    """The client gives up the txn itself (bank: insufficient funds)."""


def balance(execute: Execute, ph: str, k: int) -> int:
    row = execute(f"SELECT v FROM accounts WHERE k = {ph}", (k,)).fetchone()
    return int(row[0])


def transfer(execute: Execute, ph: str, t: dict[str, Any]) -> dict[str, Any]:
    src, dst = balance(execute, ph, t["from"]), balance(execute, ph, t["to"])
    if src < t["amount"]:
        raise Rollback("insufficient-funds")
    update = f"UPDATE accounts SET v = {ph} WHERE k = {ph}"
    execute(update, (src - t["amount"], t["from"]))
    execute(update, (dst + t["amount"], t["to"]))
    return t


def read_all(execute: Execute, ph: str, accounts: int) -> dict[int, int]:
    return {a: balance(execute, ph, a) for a in range(accounts)}
