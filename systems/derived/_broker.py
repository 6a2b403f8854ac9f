"""The Kafka-style client and the broker systems (honest and named-flawed variants).

Ops (the ``kafka`` workload's vocabulary):

* ``send``  ``[k, v]``  -> ``ok [k, [offset, v]]``: produce ``v`` to partition ``k``;
* ``poll``  ``None``    -> ``ok [[k, [[offset, v], ...]], ...]`` with extras ``assigned``
  (partitions new to this consumer since its last poll: its position there restarts at the
  group's committed offset), ``resets`` (positions moved up to the log start by
  retention) and ``log_starts`` (``[[k, first retained offset], ...]``);
* ``crash`` -> ``info``: the consumer loses its in-memory state (positions, fetch
  buffer); its process is retired and a fresh consumer joins the group.

The consumer fetches up to ``fetch_max`` records a partition into a buffer and hands the
application at most ``max_poll`` per poll, as Kafka's consumer does.  The honest client
commits, with its next poll, the position of what it has *handed over* (at-least-once).
The named flawed client (``commit_on_fetch``) lets the broker commit the end of each
fetched batch at once: a crash loses the buffered rest, which the group then skips.
A ``final`` poll reads in a separate group from the earliest offset, everything at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ddialab.vocabulary import option, option_defaults, typed_options
from systems import Scenario, SystemEntry, known_claims
from systems.derived._log import BrokerNode
from systems.sim import MS, RequestTimeout, World

GROUP = "app"
FINAL_GROUP = "final"


class BrokerClient:
    def __init__(
        self,
        world: World,
        name: str,
        timeout_ns: int = 500 * MS,
        max_poll: int = 3,
        fetch_max: int = 10,
        commit_on_fetch: bool = False,
    ) -> None:
        self.endpoint = world.client(name)
        self.name = name
        self.timeout_ns = timeout_ns
        self.max_poll = max_poll
        self.fetch_max = fetch_max
        self.commit_on_fetch = commit_on_fetch
        self.node = ""
        self._reset()

    def _reset(self) -> None:
        self.positions: dict[int, int] = {}  # fetch position per held partition
        self.delivered: dict[int, int] = {}  # position after the last record handed over
        self.buffer: dict[int, list[list[Any]]] = {}

    async def open(self, node: str) -> None:
        self.node = "b1"

    async def close(self) -> None:
        self.endpoint.close()

    async def invoke(self, op: dict[str, Any]) -> dict[str, Any]:
        f = op["f"]
        if f == "crash":
            self._reset()
            return {"type": "info", "value": None, "error": "crashed"}
        try:
            if f == "send":
                return await self._send(op["value"])
            if f == "poll":
                return await self._poll(bool(op.get("final")))
        except RequestTimeout:
            return {"type": "info", "value": op.get("value"), "error": "timeout"}
        return {"type": "fail", "value": op.get("value"), "error": f"unknown op {f!r}"}

    async def _request(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self.endpoint.request(self.node, body, self.timeout_ns)

    async def _send(self, value: list[Any]) -> dict[str, Any]:
        k, v = value
        reply = await self._request({"type": "produce", "partition": k, "value": v})
        if reply.get("type") != "ok":
            kind = "fail" if reply.get("definite") else "info"
            return {"type": kind, "value": value, "error": reply.get("code")}
        return {"type": "ok", "value": [k, [reply["offset"], v]]}

    async def _poll(self, final: bool) -> dict[str, Any]:
        if final:
            return await self._final_poll()
        body = {
            "type": "poll",
            "group": GROUP,
            "member": self.name,
            "positions": sorted(self.positions.items()),
            "commit": sorted(self.delivered.items()),
            "max": self.fetch_max,
            "commit_on_fetch": self.commit_on_fetch,
        }
        reply = await self._request(body)
        assigned = self._absorb(reply)
        handed = self._hand_over(self.max_poll)
        return {
            "type": "ok",
            "value": handed,
            "assigned": assigned,
            "resets": reply.get("resets", []),
            "log_starts": reply.get("log_starts", []),
        }

    def _absorb(self, reply: dict[str, Any]) -> list[int]:
        """Take the reply's assignment and records into the buffer; newly held partitions."""
        held = set(reply["assignment"])
        for p in [p for p in self.positions if p not in held]:
            del self.positions[p]
            self.delivered.pop(p, None)
            self.buffer.pop(p, None)
        new = sorted(held - set(self.positions))
        for p, start, recs in reply["records"]:
            if p in new or p in reply.get("resets", []):
                self.buffer[p], self.delivered[p] = [], start
            self.buffer.setdefault(p, []).extend(recs)
            self.positions[p] = recs[-1][0] + 1 if recs else start
        return new

    def _hand_over(self, limit: int) -> list[list[Any]]:
        out = []
        for p in sorted(self.buffer):
            take, self.buffer[p] = self.buffer[p][:limit], self.buffer[p][limit:]
            if take:
                out.append([p, take])
                self.delivered[p] = take[-1][0] + 1
                limit -= len(take)
        return out

    async def _final_poll(self) -> dict[str, Any]:
        body = {"type": "poll", "group": FINAL_GROUP, "member": self.name, "max": 100_000}
        reply = await self._request(body)
        value = [[p, recs] for p, _, recs in reply["records"] if recs]
        return {
            "type": "ok",
            "value": value,
            "assigned": reply["assignment"],
            "log_starts": reply.get("log_starts", []),
            "final": True,
        }


@dataclass(frozen=True)
class BrokerOptions:
    """The log broker's options (one declaration: types, defaults, help)."""

    retain_records: int | None = option(None, help="records kept per partition (None: all)")
    claims: tuple[str, ...] = option((), help="the guarantees this configuration claims")
    partitions: int = 4
    durable: bool = option(True, help="fsync before acknowledging a send")
    commit_on_fetch: bool = option(False, help="consumers commit a batch when fetched")
    max_poll: int = option(3, help="records per poll")
    segment_records: int = option(64, help="records per log segment")

    def __post_init__(self) -> None:
        known_claims(self.claims, "system log-broker")


class BrokerSystem:
    name = "broker"

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.options = dict(options)
        self.settings = typed_options(BrokerOptions, options, "system log-broker")
        self.claims = frozenset(self.settings.claims)

    def node_names(self) -> list[str]:
        return ["b1"]

    def setup(self, world: World) -> None:
        o = self.settings
        world.add_node(
            "b1",
            lambda: BrokerNode(
                partitions=o.partitions,
                durable=o.durable,
                segment_records=o.segment_records,
                retain_records=o.retain_records,
            ),
        )

    def client(self, world: World, process: int) -> BrokerClient:
        return BrokerClient(
            world,
            f"c{process}",
            max_poll=self.settings.max_poll,
            commit_on_fetch=self.settings.commit_on_fetch,
        )


#: the values every entry lists besides its claims (the dataclass's defaults)
DEFAULTS: dict[str, Any] = {
    k: v for k, v in option_defaults(BrokerOptions).items() if k != "claims"
}
HONEST = frozenset({"durability"})


def _entry(name: str, description: str, claims: frozenset[str], **opts: Any) -> SystemEntry:
    defaults = {**DEFAULTS, **opts, "claims": sorted(claims)}
    return SystemEntry(
        name, description, BrokerSystem, defaults, ("kafka",), settings=BrokerOptions
    )


ENTRIES = [
    _entry(
        "log-broker",
        "Kafka-style log broker: partitions, offsets, consumer groups; fsync before ack, "
        "consumer commits what it handed over (at-least-once)",
        HONEST,
    ).declaring(promises=frozenset({"messages-processed"})),
    _entry(
        "log-broker-ack-before-fsync",
        "log broker that acknowledges sends before fsync (named unsafe: a crash loses "
        "acknowledged records and reuses their offsets)",
        frozenset(),
        durable=False,
    ).declaring(
        scenarios=(Scenario("kill", ("kill",), "kafka", hazard="durability"),),
        hazards=("durability",),
    ),
    _entry(
        "log-broker-commit-before-process",
        "log broker whose consumers commit each fetched batch before handing it over "
        "(named unsafe: a consumer crash skips the buffered records)",
        frozenset(),
        commit_on_fetch=True,
    ).declaring(
        # the workload's own consumer crashes suffice: no nemesis
        scenarios=(Scenario("consumer-crash", (), "kafka", hazard="messages-processed"),),
        hazards=("messages-processed",),
    ),
]
