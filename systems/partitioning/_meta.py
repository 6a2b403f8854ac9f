"""The metadata node (ZooKeeper's role in DDIA ch. 6): the authoritative partition map.

Theory of operation
-------------------
``meta`` holds ``{pid: [lo, hi, owner, epoch]}``, persists it with its plans, and pushes it
to every node every ``4 * tick_ms``.  Every ``rebalance_ms`` it moves one partition from
the most to the least loaded member (and with ``churn`` a random one), one move at a time:
``handoff`` to the source until the destination reports ``installed`` (the move protocol
is in ``_nodes``).  With ``rebalance="dynamic"`` it splits a partition an owner reports as
oversized at its median point; with ``"proportional"`` a joining node's tokens split the
arcs they land in and it takes the upper halves.
"""

from __future__ import annotations

from typing import Any

from systems.partitioning._nodes import (
    META_STATE,
    ROUTER,
    PartConfig,
    error,
    initial_map,
    ok,
    pid_for,
    token_of,
)
from systems.sim import MS, Message, Runtime, load_json, save_json


class MetaNode:
    """The metadata service: the authoritative map, moves, and pushing maps to nodes."""

    def __init__(self, cfg: PartConfig) -> None:
        self.cfg = cfg
        self.map = initial_map(cfg)
        self.version = 1
        self.members = list(cfg.initial)
        self.moving: list[Any] | None = None  # [pid, to, epoch]
        self.splitting: list[Any] | None = None  # [pid, new, mid, epoch]
        #: steps for joining nodes (proportional): ["token", point, node] | ["move", pid, node]
        self.plan: list[list[Any]] = []
        self.ticks = 0

    def on_start(self, rt: Runtime) -> None:
        state = load_json(rt.disk, META_STATE, None)
        if state is not None:
            self.map, self.version = state["map"], state["version"]
            self.members, self.moving = state["members"], state["moving"]
            self.splitting, self.plan = state["splitting"], state["plan"]
        rt.set_timer(self.cfg.tick_ms * MS, "tick")

    def _persist(self, rt: Runtime) -> None:
        state = {"map": self.map, "version": self.version, "members": self.members,
                 "moving": self.moving, "splitting": self.splitting,
                 "plan": self.plan}  # fmt: skip
        save_json(rt.disk, META_STATE, state)

    def on_timer(self, rt: Runtime, name: str, payload: Any) -> None:
        rt.set_timer(self.cfg.tick_ms * MS, "tick")
        self.ticks += 1
        elapsed = self.ticks * self.cfg.tick_ms
        joining = [n for n in self.cfg.nodes if n not in self.members]
        if elapsed >= self.cfg.join_ms and joining:
            self.members = list(self.cfg.nodes)
            if self.cfg.rebalance == "proportional":
                self.plan += [["token", token_of(n, i), n]
                              for n in joining for i in range(self.cfg.tokens)]  # fmt: skip
            self._persist(rt)
        if self.splitting is not None:
            pid, new, mid, epoch = self.splitting
            body = {"type": "split", "pid": pid, "new": new, "mid": mid, "epoch": epoch}
            rt.send(self.map[pid][2], body)
        elif self.moving is not None:
            pid, to, epoch = self.moving
            rt.send(self.map[pid][2], {"type": "handoff", "pid": pid, "to": to, "epoch": epoch})
        elif self.plan:
            self._next_step(rt)
        elif self.cfg.rebalance == "proportional":
            pass  # the tokens decide; nothing to balance
        elif self.ticks % max(1, self.cfg.rebalance_ms // self.cfg.tick_ms) == 0:
            self._plan_move(rt)
        if self.ticks % 4 == 0:
            self._push(rt)

    def _next_step(self, rt: Runtime) -> None:
        kind, arg, node = self.plan.pop(0)
        if kind == "move":
            self.moving = [arg, node, self.map[arg][3] + 1]
        else:
            pid = pid_for(self.map, arg)
            if self.map[pid][0] == arg:
                self.plan.insert(0, ["move", pid, node])
            else:
                self.plan.insert(0, ["move", self._start_split(pid, arg), node])
        self._persist(rt)

    def _plan_move(self, rt: Runtime) -> None:
        load = {m: [p for p, v in self.map.items() if v[2] == m] for m in self.members}
        busiest = max(load, key=lambda m: (len(load[m]), m))
        idlest = min(load, key=lambda m: (len(load[m]), m))
        if len(load[busiest]) - len(load[idlest]) > 1:
            pid, to = load[busiest][0], idlest
        elif self.cfg.churn:
            pid = rt.rng.choice(sorted(self.map))
            to = rt.rng.choice([m for m in self.members if m != self.map[pid][2]])
        else:
            return
        self.moving = [pid, to, self.map[pid][3] + 1]
        self._persist(rt)

    def on_message(self, rt: Runtime, msg: Message) -> None:
        body = msg.body
        if body.get("type") == "installed":
            if self.moving is not None and self.moving[0] == body["pid"]:
                pid, to, epoch = self.moving
                if body["epoch"] == epoch:
                    self.map[pid] = [*self.map[pid][:2], to, epoch]
                    self.version += 1
                    self.moving = None
                    self._persist(rt)  # nodes hear of it at the next push (stale meanwhile)
        elif body.get("type") == "map":
            rt.reply(msg, ok(self.map, version=self.version))
        elif body.get("type") == "sizes":
            self._plan_split(rt, body["sizes"])
        elif body.get("type") == "split-done":
            if self.splitting is not None and self.splitting[0] == body["pid"]:
                self.splitting = None
                self._persist(rt)
        else:
            rt.reply(msg, error("unsupported", True))

    def _plan_split(self, rt: Runtime, sizes: dict[str, list[int]]) -> None:
        """Split the first oversized partition at its median key (the map changes at once;
        the owner, which serves by range, splits its data when told)."""
        if self.splitting is not None or self.moving is not None:
            return
        for pid, (epoch, mid) in sorted(sizes.items()):
            lo, hi, _, current = self.map[pid]
            if epoch == current and lo < mid < hi:
                self._start_split(pid, mid)
                self._persist(rt)
                return

    def _start_split(self, pid: str, mid: int) -> str:
        lo, hi, owner, current = self.map[pid]
        new = str(max(int(p) for p in self.map) + 1)
        self.map[pid] = [lo, mid, owner, current + 1]
        self.map[new] = [mid, hi, owner, current + 1]
        self.version += 1
        self.splitting = [pid, new, mid, current + 1]
        return new

    def _push(self, rt: Runtime) -> None:
        for n in (*self.cfg.nodes, ROUTER):
            rt.send(n, {"type": "map", "map": self.map, "version": self.version})
