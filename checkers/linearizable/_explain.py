"""Counterexamples as data, and the English rendered from that data.

A failed search leaves its deepest dead ends: a linearizable prefix (calls in the order
they were linearized), the model state after it, the call whose completion was reached
without it being placed, and the other calls that could have gone next.  ``witness``
turns them into JSON-ready data (history indices, thawed states) plus an ``explanation``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from checkers.linearizable._models import Call, Model
from checkers.linearizable._search import DeadEnd
from ddialab.vocabulary import show, thaw

#: How many of the last linearized ops the explanation names.
SHOW_LAST = 5


def op_data(call: Call, model: Model) -> dict[str, Any]:
    d: dict[str, Any] = {
        "index": call.index,
        "completion": call.done if call.done >= 0 else None,
        "process": call.process,
        "f": call.f,
        "description": model.describe_op(call),
        "completed": call.known,
    }
    if call.key is not None:
        d["key"] = thaw(call.key)
    return d


def _prefix_data(de: DeadEnd, calls: Sequence[Call], model: Model) -> dict[str, Any]:
    blocked = calls[de.blocked] if de.blocked >= 0 else None
    return {
        "linearized": [calls[i].index for i in de.path],
        "state": model.thaw_state(de.state),
        "state_description": model.describe_state(de.state),
        "blocked": op_data(blocked, model) if blocked is not None else None,
        "could_not_follow": [op_data(calls[i], model) for i in de.candidates],
    }


def witness(
    dead_ends: list[DeadEnd], calls: Sequence[Call], model: Model, key: Any, partitioned: bool
) -> dict[str, Any]:
    """The witness for one non-linearizable part."""
    prefixes = [_prefix_data(de, calls, model) for de in dead_ends]
    first = dead_ends[0] if dead_ends else None
    w: dict[str, Any] = {
        "model": model.name,
        "part_ops": len(calls),
        "prefixes": prefixes,
    }
    if partitioned:
        w["key"] = key
    if first is not None:
        w["ops"] = named_ops(first, calls)
        w["explanation"] = explain(first, calls, model, key if partitioned else None)
    else:
        w["ops"] = []
        w["explanation"] = "no linearization exists (the search found no prefix)"
    return w


def unreachable_witness(
    call: Call, states: list[Any], n_calls: int, model: Model, key: Any, partitioned: bool
) -> dict[str, Any]:
    """The witness for a completed call no reachable state admits (``_reach``): the call
    itself and the states the part's ops can produce (none of which it is legal in)."""
    where = f"for key {show(key)}: " if partitioned else ""
    shown = "; ".join(model.describe_state(s) for s in states[:SHOW_LAST])
    more = f" (and {len(states) - SHOW_LAST} more)" if len(states) > SHOW_LAST else ""
    w: dict[str, Any] = {
        "model": model.name,
        "part_ops": n_calls,
        "prefixes": [],
        "unplaceable": op_data(call, model),
        "reachable_states": [model.thaw_state(s) for s in states],
        "ops": [call.index],
        "explanation": (
            f"{where}{_who(call, model)} completed, so it took effect, but it is illegal in "
            f"every state the ops of the history can produce in any order: {shown}{more}"
        ),
    }
    if partitioned:
        w["key"] = key
    return w


def named_ops(de: DeadEnd, calls: Sequence[Call]) -> list[int]:
    """The witness's ops (the schema's ``ops``): the blocked call, the other calls that
    could not go first, then the last linearized calls, latest first -- the ops the
    explanation names, most telling first (distinct history indices of invocations)."""
    picked = [de.blocked] if de.blocked >= 0 else []
    picked += [i for i in de.candidates if i != de.blocked][:SHOW_LAST]
    picked += list(reversed(de.path[-SHOW_LAST:]))
    return list(dict.fromkeys(calls[i].index for i in picked))


def _who(call: Call, model: Model) -> str:
    span = f"op {call.index}" + (f"–{call.done}" if call.done >= 0 else ", never completed")
    return f"p{call.process}'s {model.describe_op(call)} [{span}]"


def explain(de: DeadEnd, calls: Sequence[Call], model: Model, key: Any) -> str:
    where = f"for key {show(key)}: " if key is not None else ""
    n = len(de.path)
    if n == 0:
        head = f"{where}from the initial state ({model.describe_state(de.state)})"
    else:
        shown = [str(calls[i].index) for i in de.path[-SHOW_LAST:]]
        more = f"{n - SHOW_LAST} earlier ops, then " if n > SHOW_LAST else ""
        head = (
            f"{where}after linearizing {n} op{'s' if n != 1 else ''} "
            f"({more}op{'s' if len(shown) > 1 else ''} {', '.join(shown)}), "
            f"{model.describe_state(de.state)}"
        )
    if de.blocked < 0:
        return head + "; no remaining op can be linearized"
    blocked = calls[de.blocked]
    others = [calls[i] for i in de.candidates if i != de.blocked]
    tail = f"; {_who(blocked, model)} cannot be placed: it completed, so it must take effect now"
    if others:
        named = "; ".join(_who(c, model) for c in others[:SHOW_LAST])
        extra = f" (and {len(others) - SHOW_LAST} more)" if len(others) > SHOW_LAST else ""
        tail += f", and none of the other pending ops can go first ({named}{extra})"
    return head + tail
