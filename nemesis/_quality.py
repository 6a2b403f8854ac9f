"""Network-quality and disk nemeses for simulated systems.

Network quality: ``degrade-network`` makes some links lossy, duplicating, slow (delay
spikes) or reordering (a wide uniform latency lets later messages overtake earlier ones),
through ``Network.set_link``; ``heal-network`` clears every link override.  A random
degradation picks a minority of nodes and degrades every link to and from them,
including links to the clients attached at that moment (clients that attach later, after
a process is retired, use the network's defaults).

Disk: ``lose-unsynced`` and ``torn-crash`` crash nodes and restart them at once (a power
cut: unsynced writes are lost; ``torn`` keeps a random prefix of each file's last unsynced
write); ``flip-bit`` flips one bit of a named file (or a random file) on one node, in its
current and durable contents alike.  Disk faults need no heal: a corrupt bit stays.

As with the other nemeses, completion values are explicit and replay exactly.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from nemesis._faults import pick_nodes
from systems.sim import MS, Latency

#: kind -> default parameters of a link degradation
NETWORK_KINDS: dict[str, dict[str, Any]] = {
    "loss": {"loss": 0.3},
    "duplicate": {"duplicate": 0.3},
    "delay": {"delay_ns": 200 * MS},
    "reorder": {"spread_ns": 50 * MS},
}


def link_faults(kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """``Network.set_link`` keyword arguments for a degradation kind."""
    p = {**NETWORK_KINDS[kind], **params}
    if kind == "loss":
        return {"loss": float(p["loss"])}
    if kind == "duplicate":
        return {"duplicate": float(p["duplicate"])}
    if kind == "delay":
        return {"latency": Latency.uniform(int(p["delay_ns"]) // 2, int(p["delay_ns"]))}
    return {"latency": Latency.uniform(0, int(p["spread_ns"]))}


class NetworkNemesis:
    """``degrade-network`` (value: a kind, or ``{"kind", "links": [[src, dst], ...],
    params}``) and ``heal-network``."""

    fs = frozenset({"degrade-network", "heal-network"})

    def __init__(self, kinds: tuple[str, ...] = tuple(NETWORK_KINDS)) -> None:
        self.kinds = kinds
        self.rng = random.Random(0)

    def setup(self, world: Any, system: Any) -> None:
        self.rng = world.rng_for("nemesis/network")

    def invoke(self, world: Any, system: Any, op: Mapping[str, Any]) -> dict[str, Any]:
        if op["f"] == "heal-network":
            world.network.clear_links()
            return {"type": "info", "value": "healed"}
        value = op.get("value") or self.rng.choice(list(self.kinds))
        spec = dict(value) if isinstance(value, Mapping) else self._random(world, system, value)
        if spec["kind"] not in NETWORK_KINDS:
            return {"type": "info", "value": spec, "error": f"unknown kind {spec['kind']!r}"}
        params = {k: v for k, v in spec.items() if k not in ("kind", "links")}
        faults = link_faults(spec["kind"], params)
        for src, dst in spec["links"]:
            world.network.set_link(src, dst, **faults)
        return {"type": "info", "value": spec}

    def _random(self, world: Any, system: Any, kind: str) -> dict[str, Any]:
        victims = pick_nodes(world, system, self.rng, "minority")
        others = [e for e in world.network.endpoints() if e not in victims]
        links = [[a, b] for v in victims for e in others for a, b in ((v, e), (e, v))]
        return {"kind": kind, "links": links, **NETWORK_KINDS.get(kind, {})}

    def teardown(self, world: Any, system: Any) -> None:
        world.network.clear_links()


class DiskNemesis:
    """``lose-unsynced`` / ``torn-crash`` (value: a target spec) and ``flip-bit`` (value
    ``{"node", "file", "offset", "bit"}``; missing parts are chosen at random; ``file``
    may be a prefix of the file name)."""

    fs = frozenset({"lose-unsynced", "torn-crash", "flip-bit"})

    def __init__(self, target: Any = "one") -> None:
        self.target = target
        self.rng = random.Random(0)

    def setup(self, world: Any, system: Any) -> None:
        self.rng = world.rng_for("nemesis/disk")

    def invoke(self, world: Any, system: Any, op: Mapping[str, Any]) -> dict[str, Any]:
        if op["f"] == "flip-bit":
            return self._flip(world, system, dict(op.get("value") or {}))
        victims = pick_nodes(world, system, self.rng, op.get("value") or self.target)
        for n in victims:
            host = world.host(n)
            if host.state != "down":
                host.crash(torn=op["f"] == "torn-crash")
                host.start()
        return {"type": "info", "value": victims}

    def _flip(self, world: Any, system: Any, v: dict[str, Any]) -> dict[str, Any]:
        node = v.get("node") or pick_nodes(world, system, self.rng, "one")[0]
        disk = world.host(node).disk
        files = [f for f in disk.list(v.get("file") or "") if disk.size(f) > 0]
        if not files:
            return {"type": "info", "value": v, "error": "no such file, or empty"}
        name = v["file"] if v.get("file") in files else self.rng.choice(files)
        offset = int(v.get("offset", self.rng.randrange(disk.size(name))))
        bit = int(v.get("bit", self.rng.randrange(8)))
        disk.flip_bit(name, offset, bit)
        return {"type": "info", "value": {"node": node, "file": name, "offset": offset, "bit": bit}}

    def teardown(self, world: Any, system: Any) -> None:
        pass
