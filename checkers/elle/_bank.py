"""The bank checker: money is conserved and (by default) no balance goes negative.

Theory of operation
-------------------
Jepsen's bank workload moves money between accounts in transactions and reads all
balances in one transaction.  Op vocabulary:

* ``f = "transfer"``, value ``{"from": a, "to": b, "amount": n}`` (not checked: a
  transfer's effect is only visible through reads);
* ``f = "read"``, value ``{account: balance, ...}`` (JSON object keys are strings; EDN
  maps may have integer keys: both are accepted).

Every ``ok`` read must show balances summing to the total (``options["total"]``, CLI
``--total``, else the first ok read's sum, reported as ``total_inferred``), no ``None``
balance (``nil-balance``), no account outside ``options["accounts"]`` (CLI ``--accounts``,
a JSON list; ``unexpected-key``), and no negative balance unless
``options["negative_balances"]`` (CLI ``--allow-negative``) is true.

Fail closed: an ok read whose value is not a map, or holds a balance that is neither a
number nor null, is bad input (``HistoryFormatError``); a history with client ops but no
ok read is ``"unknown"`` (nothing was checked); an empty history is valid.

A wrong total is a read that saw part of a transfer: read skew, so the result's ``not``
is what a G-single rules out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checkers import unknown_result
from checkers.elle._tables import boundary
from ddialab.history import NEMESIS, op_error


def check_bank(history: Any, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    opts = dict(options or {})
    client = [op for op in history if op.process != NEMESIS]
    reads = [op for op in client if op.f == "read" and op.type == "ok"]
    path = getattr(history, "source", None)
    for op in reads:
        _validate(op, path)
    if client and not reads:
        return unknown_result(
            f"no ok bank reads (f read, value a map of account to balance) among "
            f"{len(client)} client op(s): nothing to check",
            reads=0,
        )
    total = opts.get("total")
    inferred = total is None and bool(reads)
    if inferred:
        total = sum(v for v in reads[0].value.values() if _number(v))
    accounts = {str(a) for a in opts["accounts"]} if opts.get("accounts") else None
    anomalies: dict[str, list[dict[str, Any]]] = {}
    for op in reads:
        for kind, w in _read_anomalies(op, total, accounts, bool(opts.get("negative_balances"))):
            anomalies.setdefault(kind, []).append(w)
    found = sorted(anomalies)
    not_, also_not = boundary(["G-single"]) if "wrong-total" in anomalies else ([], [])
    return {
        "valid": not found,
        "anomaly_types": found,
        "anomalies": anomalies,
        "not": not_,
        "also_not": also_not,
        "reads": len(reads),
        "total": total,
        "total_inferred": inferred,
    }


def _validate(op: Any, path: str | None) -> None:
    """An ok read is a map of account to a number or null; anything else is bad input."""
    if not isinstance(op.value, Mapping):
        got = f"{op.value!r:.60}"
        raise op_error(path, op, f"expected a map of account to balance, got {got}", "bank read")
    for a, v in op.value.items():
        if v is not None and not _number(v):
            what = f"account {a} has balance {v!r:.40}; expected a number"
            raise op_error(path, op, what, "bank read")


def _read_anomalies(
    op: Any, total: Any, accounts: set[str] | None, negative_ok: bool
) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    balances = op.value
    nils = sorted(str(a) for a, v in balances.items() if not _number(v))
    if nils:
        return [_read(op, "nil-balance", f"read no balance for account(s) {', '.join(nils)}",
                      accounts=nils)]  # fmt: skip
    s = sum(balances.values())
    if s != total:
        out.append(_read(op, "wrong-total", f"read balances summing to {s}, not {total}",
                         total=s, expected=total))  # fmt: skip
    neg = {str(a): v for a, v in balances.items() if v < 0}
    if neg and not negative_ok:
        text = ", ".join(f"{a} = {v}" for a, v in sorted(neg.items()))
        out.append(_read(op, "negative-value", f"read negative balance(s): {text}", negative=neg))
    extra = sorted(str(a) for a in balances if accounts is not None and str(a) not in accounts)
    if extra:
        out.append(_read(op, "unexpected-key", f"read unknown account(s) {', '.join(extra)}",
                         accounts=extra))  # fmt: skip
    return out


def _read(op: Any, kind: str, what: str, **facts: Any) -> tuple[str, dict[str, Any]]:
    """A witness of one bad read: the read is the op (``op`` and ``ops``) it names."""
    w = {"op": op.index, "ops": [op.index], **facts, "explanation": f"op {op.index} {what}"}
    return kind, w


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)
