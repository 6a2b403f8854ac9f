"""The witness schema: the shape every witness of every checker has.

Theory of operation
-------------------
A checker's result maps each anomaly type to a list of witnesses; a witness is a JSON
object proving one anomaly, as data.  Its keys:

* ``explanation`` (required) -- an English sentence rendered from the other data;
* ``ops`` -- the history indices (ints) of the ops the anomaly involves, in the order the
  explanation names them; a report shows exactly these;
* ``edges`` -- dependency edges ``{"from": i, "to": j, "kind": ...}`` or ``[i, j, kind]``;
  ``cycle`` -- the op indices of a cycle, in order; ``steps`` -- a list of steps (objects)
  of a derivation; each optional;
* ``evidence`` and any other key -- free, checker-specific facts.

``witness_problems`` lists what a witness gets wrong (empty: it conforms);
``witness_ops`` reads the ops a conforming witness names.

This module is data only: it imports nothing of the project.
"""

from __future__ import annotations

from typing import Any

#: key -> (required, what it holds)
WITNESS_KEYS: dict[str, tuple[bool, str]] = {
    "explanation": (True, "an English sentence rendered from the witness's data"),
    "ops": (True, "the history indices of the ops involved, a list of ints"),
    "edges": (False, "dependency edges: objects or [from, to, kind] lists"),
    "cycle": (False, "op indices (or txn objects) of a cycle, in order"),
    "steps": (False, "the steps of a derivation, a list"),
    "evidence": (False, "free, checker-specific facts"),
}


def _is_index(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def witness_problems(witness: Any, require_ops: bool = True) -> list[str]:
    """What keeps ``witness`` from the schema, one phrase each (empty: it conforms)."""
    if not isinstance(witness, dict):
        return [f"a witness must be an object, not {type(witness).__name__}"]
    problems = []
    if not isinstance(witness.get("explanation"), str) or not witness["explanation"]:
        problems.append("explanation must be a non-empty string")
    ops = witness.get("ops")
    if ops is None and require_ops:
        problems.append("ops (the op indices involved) is missing")
    elif ops is not None and not (isinstance(ops, list) and all(map(_is_index, ops))):
        problems.append(f"ops must be a list of op indices, not {ops!r:.60}")
    for key in ("edges", "cycle", "steps"):
        if key in witness and not isinstance(witness[key], list):
            problems.append(f"{key} must be a list")
    return problems


def witness_ops(witness: Any) -> list[int] | None:
    """The op indices a conforming witness names; ``None`` when it has no valid ``ops``."""
    ops = witness.get("ops") if isinstance(witness, dict) else None
    if isinstance(ops, list) and all(map(_is_index, ops)):
        return list(ops)
    return None
