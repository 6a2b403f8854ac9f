"""Values: one hashable encoding of JSON values (freeze / thaw / show), and micro-op kinds.

Theory of operation
-------------------
Checkers key dictionaries and memo tables by values taken from histories, so JSON values
are *frozen*: strings, numbers and null stay as they are, lists become tuples, objects
become ``("__dict__", ((key, frozen), ...))`` with string keys in sorted order, and booleans
become ``("__bool__", b)`` -- Python's ``True == 1`` would otherwise make ``true`` and ``1``
one element, one id, one register state.  ``thaw`` inverts ``freeze`` (and turns a
frozenset into a sorted list); ``show`` renders a value as JSON text for explanations.

Micro-ops of a transaction are ``[kind, key, value]`` with ``kind`` in ``MOP_KINDS``.

This module is data only: it imports nothing of the project.
"""

from __future__ import annotations

import json
from typing import Any

#: micro-op kinds: read, write, list append, set add
MOP_KINDS = ("r", "w", "append", "add")
#: The types ``freeze`` keeps as they are (exact types: ``bool`` is not among them).
PLAIN_TYPES = frozenset((int, str, float, type(None)))


def freeze(v: Any) -> Any:
    """The hashable form of a JSON value."""
    t = type(v)
    if t in PLAIN_TYPES:
        return v
    if t is list and PLAIN_TYPES.issuperset(map(type, v)):  # the common case, one pass
        return tuple(v)
    if t is bool:
        return ("__bool__", v)
    if isinstance(v, list | tuple):
        return tuple([freeze(x) for x in v])
    if isinstance(v, dict):
        return ("__dict__", tuple(sorted((str(k), freeze(x)) for k, x in v.items())))
    return v


def thaw(v: Any) -> Any:
    """The JSON value a frozen value stands for."""
    if isinstance(v, tuple):
        if len(v) == 2 and v[0] == "__dict__" and isinstance(v[1], tuple):
            return {k: thaw(x) for k, x in v[1]}
        if len(v) == 2 and v[0] == "__bool__" and isinstance(v[1], bool):
            return v[1]
        return [thaw(x) for x in v]
    if isinstance(v, frozenset):
        return sorted((thaw(x) for x in v), key=repr)
    return v


def show(v: Any) -> str:
    """A (frozen or plain) value as JSON text for explanations: null, "s", [1, 2]."""
    try:
        return json.dumps(thaw(v), default=repr)
    except (TypeError, ValueError):
        return repr(v)
