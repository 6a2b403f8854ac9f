"""Rolling upgrades as a fault: restart nodes one at a time onto another schema version.

``upgrade`` moves one node to the next version of the system's ``versions``: by default
the first node (in name order) not yet on the newest; ``downgrade`` moves the last node
(in name order) above the oldest back by one -- so repeated upgrades roll forward through
the cluster and repeated downgrades roll back, and between them old and new code run side
by side.  The choice is a function of the deployed versions (no randomness); the
completion's value is explicit, ``{"node", "from", "to"}`` (``{"node": None}`` when there
was nothing to move), and given back as the op's value it performs exactly that move.

Before moving, the nemesis asks the system's compatibility check
(``upgrade_problems``); if it finds problems the move is *refused*: the completion says
why (``error: "incompatible-schema"``, the problems in ``value.refused``) and no node
changes.  A system forces the move with its ``force_upgrade`` option.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from systems import Upgradable


class UpgradeNemesis:
    fs = frozenset({"upgrade", "downgrade"})

    def setup(self, world: Any, system: Any) -> None:
        return None

    def invoke(self, world: Any, system: Any, op: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(system, Upgradable):
            return {"type": "info", "value": op.get("value"), "error": "no-schema-versions"}
        value = op.get("value")
        move = dict(value) if isinstance(value, Mapping) else _next_move(system, op["f"])
        if move.get("node") is None:
            return {"type": "info", "value": {"node": None}}
        refused = system.upgrade_problems(move["node"], int(move["to"]))
        if refused:
            return {"type": "info", "value": {**move, "refused": refused},
                    "error": "incompatible-schema"}  # fmt: skip
        system.set_schema_version(world, move["node"], int(move["to"]))
        return {"type": "info", "value": move}

    def teardown(self, world: Any, system: Any) -> None:
        return None


def _next_move(system: Any, f: str) -> dict[str, Any]:
    versions = sorted(system.versions)
    deployed = system.schema_versions()
    order = sorted(deployed) if f == "upgrade" else sorted(deployed, reverse=True)
    for node in order:
        v = deployed[node]
        if f == "upgrade" and v < versions[-1]:
            return {"node": node, "from": v, "to": min(x for x in versions if x > v)}
        if f == "downgrade" and v > versions[0]:
            return {"node": node, "from": v, "to": max(x for x in versions if x < v)}
    return {"node": None}
