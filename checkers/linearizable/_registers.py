"""The keyed-register fast path: the linear pass over arrays, ``Call``s only where needed.

Theory of operation
-------------------
A 100k-op keyed register history (``independent`` ``register`` / ``cas-register``)
spends most of its check before any search: a ``Call`` object per op (freeze, prepare,
key split) and then the linear pass (``_linear``), which proves most keys.  For these two
models the calls of a plain history -- values ``[key, v]`` (a cas: ``[key, [old,
new]]``) of ints, strings and nulls -- have a meaning simple enough to read straight
off the ops, so one pass over the history builds the linear pass's inputs as arrays:

* ``at``: history position -> call number (its invocation) or ``~number`` (its return);
* per call, its key, whether it is read-only, and a tuple the light ``step`` reads:
  ``(READ, v)``, ``(WRITE, v)``, ``(CAS, old, new)``, ``(FAILED_CAS, old)``.

The light step is the model's step on those tuples (scalars compare as their frozen
forms do: no bool, float or container reaches it), so the greedy pass proves exactly
the keys it proves over ``Call`` objects.  Only the keys it gives up on get ``Call``s --
built by ``calls_of`` itself, from their invocations' positions, so the search, its
budget and its witness see what they always saw.

Anything else -- another value shape, an unknown ``f``, a completion with no
invocation, a tagged key -- makes ``light_calls`` answer ``None``, and the check takes the
general path, which validates (and reports bad input) as before.  Soundness is the
linear pass's; ``tests/checkers/linearizable/test_registers.py`` holds the arrays to the
``Call``s they stand for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checkers.linearizable._linear import Arrays
from checkers.linearizable._models import _TAGS, ILLEGAL
from ddialab.history import NEMESIS, History, Op

READ, WRITE, CAS, FAILED_CAS = 0, 1, 2, 3
_SCALARS = frozenset((int, str, type(None)))


@dataclass
class LightCalls:
    """A keyed register history as the linear pass's arrays (module docstring)."""

    at: list[Any]  # history position -> call number, ~number (its return), or None
    calls: list[tuple[Any, ...]]  # the light step's tuples
    keys: list[Any]  # call number -> key
    ro: list[bool]  # call number -> read-only
    invocations: list[int]  # call number -> history position of its invocation
    returns: list[int]  # call number -> history position of its return (-1: none)

    def arrays(self) -> Arrays:
        return Arrays(self.calls, self.keys, self.ro, self.invocations, self.returns)


def light_step(s: Any, c: tuple[Any, ...]) -> Any:
    """The register / cas-register step on a light call."""
    kind = c[0]
    if kind == READ:
        return s if c[1] == s else ILLEGAL
    if kind == WRITE:
        return c[1]
    if kind == CAS:
        return c[2] if s == c[1] else ILLEGAL
    return s if s != c[1] else ILLEGAL


def light_calls(h: History, cas: bool) -> LightCalls | None:
    """The arrays of a plain keyed register history, or ``None`` if it is not one.

    One loop, the common case (an invocation completed ``ok``, of a plain value) inline:
    a function call per op would cost as much as the rest of the loop.
    """
    ops, pairs = h.ops, h.pairs()
    out = LightCalls([None] * len(ops), [], [], [], [], [])
    at, keys, calls, ro = out.at, out.keys, out.calls, out.ro
    invs, rets = out.invocations, out.returns
    for i, j in enumerate(pairs):
        if j < i:
            if j >= 0:
                continue  # a completion: its invocation made the call
            c = _unpaired(ops[i], cas)
        else:
            op, comp = ops[i], ops[j]
            if comp.type != "ok" or op.process == NEMESIS or (cas and op.f == "cas"):
                c = _paired(op, comp, cas)
            else:
                v = comp.value
                if type(v) is not list or len(v) != 2:
                    return None
                k, x = v
                tk, tx = type(k), type(x)
                if (tk is not int and (tk is not str or k in _TAGS)) or tx not in _SCALARS:
                    return None
                f = op.f
                if f == "read":
                    calls.append((READ, x))
                    ro.append(True)
                elif f == "write":
                    calls.append((WRITE, x))
                    ro.append(False)
                else:
                    return None
                at[i] = n = len(keys)
                at[j] = ~n
                keys.append(k)
                invs.append(i)
                rets.append(j)
                continue
        if c is None:
            return None
        if c[0] is not None:
            at[i] = n = len(keys)
            if j > i and ops[j].type == "ok":
                at[j] = ~n
                rets.append(j)
            else:
                rets.append(-1)
            keys.append(c[0])
            calls.append(c[1])
            ro.append(c[2])
            invs.append(i)
    return out


def _unpaired(op: Op, cas: bool) -> tuple[Any, Any, bool] | None:
    """An op with no partner: an invocation that never completed (unknown), a nemesis op
    (skipped: key ``None``), or a completion with no invocation (``None``: the general
    path reports it)."""
    if op.process == NEMESIS:
        return _SKIP
    if op.type != "invoke":
        return None
    return _light(op.f, op.value, False, None, cas)


def _paired(op: Op, comp: Op, cas: bool) -> tuple[Any, Any, bool] | None:
    """An invocation with its completion, other than a plain ok read or write."""
    if comp.type == "fail" or op.process == NEMESIS:
        return _SKIP
    if comp.type == "ok":
        return _light(op.f, comp.value, True, comp.extra, cas)
    return _light(op.f, op.value, False, None, cas)


_SKIP: tuple[Any, Any, bool] = (None, None, False)


def _light(
    f: str, v: Any, known: bool, extra: dict[str, Any] | None, cas: bool
) -> tuple[Any, Any, bool] | None:
    """(key, light call, read-only) -- key ``None``: dropped (an unknown read);
    ``None``: not a plain keyed register call."""
    if type(v) is not list or len(v) != 2:
        return None
    k, x = v
    if type(k) not in _SCALARS or k is None or k in _TAGS:
        return None
    if f == "cas" and cas:
        if type(x) is not list or len(x) != 2:
            return None
        old, new = x
        if type(old) not in _SCALARS or type(new) not in _SCALARS or old in _TAGS:
            return None
        if known and extra and extra.get("result") is False:
            return k, (FAILED_CAS, old), True
        return k, (CAS, old, new), False
    if type(x) not in _SCALARS:
        return None
    if f == "read":
        return (k, (READ, x), True) if known else _SKIP
    if f == "write":
        return k, (WRITE, x), False
    return None
