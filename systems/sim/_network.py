"""The simulated network: latency distributions, loss, duplication, partitions.

Theory of operation
-------------------
``send`` decides a message's fate at once, drawing from the network's own seeded RNG:
lost (probability ``loss``), duplicated (``duplicate``), and a delivery time from the link's
latency distribution (plus an optional reordering delay).  Each copy is one entry in the
world's scheduler heap; nothing else runs per message.  Partitions are checked at delivery
time, so a partition that starts while a message is in flight drops it, as a firewall
would.  A partition is a *grudge*: ``{node: nodes whose messages it drops}``, which
expresses one-way and two-way partitions alike.

With ``tick_ns`` set, delivery times are rounded up to a multiple of the tick, so messages
sent close together are delivered in one batch, one scheduler wake-up for many messages.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from systems.sim._scheduler import Scheduler

MS = 1_000_000


@dataclass(frozen=True)
class Latency:
    """A delay distribution in nanoseconds: ``constant``, ``uniform`` or ``exponential``."""

    kind: str = "exponential"
    mean_ns: int = 1 * MS
    low_ns: int = 0
    high_ns: int = 0

    def sample(self, rng: random.Random) -> int:
        kind = self.kind
        if kind == "exponential":  # the default: first
            return int(rng.expovariate(1.0 / self.mean_ns)) if self.mean_ns else 0
        if kind == "constant":
            return self.mean_ns
        if kind == "uniform":
            return rng.randint(self.low_ns, self.high_ns)
        raise ValueError(f"unknown latency kind {kind!r}")

    @classmethod
    def constant(cls, ns: int) -> Latency:
        return cls("constant", mean_ns=ns)

    @classmethod
    def uniform(cls, low_ns: int, high_ns: int) -> Latency:
        return cls("uniform", mean_ns=(low_ns + high_ns) // 2, low_ns=low_ns, high_ns=high_ns)

    @classmethod
    def exponential(cls, mean_ns: int) -> Latency:
        return cls("exponential", mean_ns=mean_ns)


@dataclass(slots=True)
class Message:
    id: int
    src: str
    dst: str
    body: dict[str, Any]
    sent_at: int


@dataclass
class NetworkStats:
    sent: int = 0
    delivered: int = 0
    dropped: int = 0
    duplicated: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


@dataclass
class LinkFaults:
    """Per-link overrides of the network-wide defaults (``None`` = use the default)."""

    latency: Latency | None = None
    loss: float | None = None
    duplicate: float | None = None


@dataclass
class NetworkConfig:
    latency: Latency = field(default_factory=lambda: Latency.exponential(1 * MS))
    loss: float = 0.0
    duplicate: float = 0.0
    #: probability that a message is held back by an extra ``reorder_delay`` (reordering)
    reorder: float = 0.0
    reorder_delay: Latency = field(default_factory=lambda: Latency.uniform(0, 20 * MS))
    tick_ns: int = 0
    #: keep a log of every message (for message diagrams); costs memory
    record: bool = False


Receiver = Callable[[Message], None]


class Network:
    def __init__(self, scheduler: Scheduler, rng: random.Random, config: NetworkConfig) -> None:
        self.scheduler = scheduler
        self.rng = rng
        self.config = config
        self.stats = NetworkStats()
        self.links: dict[tuple[str, str], LinkFaults] = {}
        self.grudge: dict[str, frozenset[str]] = {}
        #: nodes cut off from every other endpoint, including clients that attach later
        self.isolated: frozenset[str] = frozenset()
        self.log: list[dict[str, Any]] = []
        self._receivers: dict[str, Receiver] = {}
        self._next_id = 0

    # -- membership -------------------------------------------------------------------
    def attach(self, name: str, receiver: Receiver) -> None:
        self._receivers[name] = receiver

    def detach(self, name: str) -> None:
        self._receivers.pop(name, None)

    def endpoints(self) -> list[str]:
        """Every attached name (nodes and clients), in attachment order."""
        return list(self._receivers)

    # -- faults -----------------------------------------------------------------------
    def partition(self, grudge: Mapping[str, Iterable[str]]) -> None:
        """Replace the current partition: ``grudge[a]`` = nodes whose messages ``a`` drops."""
        self.grudge = {a: frozenset(bs) for a, bs in grudge.items() if bs}

    def isolate(self, nodes: Iterable[str]) -> None:
        """Cut ``nodes`` off from everyone (each other too), on top of any grudge."""
        self.isolated = frozenset(nodes)

    def heal(self) -> None:
        self.grudge = {}
        self.isolated = frozenset()

    def set_link(self, src: str, dst: str, **faults: Any) -> None:
        self.links[(src, dst)] = LinkFaults(**faults)

    def clear_links(self) -> None:
        self.links.clear()

    def blocked(self, src: str, dst: str) -> bool:
        if self.isolated and (src in self.isolated or dst in self.isolated):
            return True
        g = self.grudge.get(dst)
        return g is not None and src in g

    # -- traffic ----------------------------------------------------------------------
    def send(self, src: str, dst: str, body: dict[str, Any]) -> None:
        self._next_id += 1
        now = self.scheduler.now()
        msg = Message(self._next_id, src, dst, body, now)
        self.stats.sent += 1
        link = self.links.get((src, dst)) if self.links else None
        rng, cfg = self.rng, self.config
        if rng.random() < (cfg.loss if link is None else self._loss(link)):
            self._drop(msg, "lost")
            return
        self._schedule(msg, link, now)
        if rng.random() < (cfg.duplicate if link is None else self._duplicate(link)):
            self.stats.duplicated += 1
            self._schedule(msg, link, now)

    def _loss(self, link: LinkFaults | None) -> float:
        return link.loss if link and link.loss is not None else self.config.loss

    def _duplicate(self, link: LinkFaults | None) -> float:
        if link and link.duplicate is not None:
            return link.duplicate
        return self.config.duplicate

    def _schedule(self, msg: Message, link: LinkFaults | None, now: int) -> None:
        cfg = self.config
        latency = link.latency if link and link.latency else cfg.latency
        t = now + latency.sample(self.rng)
        if cfg.reorder and self.rng.random() < cfg.reorder:
            t += cfg.reorder_delay.sample(self.rng)
        if cfg.tick_ns:
            t = -(-t // cfg.tick_ns) * cfg.tick_ns
        self.scheduler.at(t, self._deliver, msg)

    def _deliver(self, msg: Message) -> None:
        if (self.isolated or self.grudge) and self.blocked(msg.src, msg.dst):
            self._drop(msg, "partitioned")
            return
        receiver = self._receivers.get(msg.dst)
        if receiver is None:
            self._drop(msg, "no-receiver")
            return
        self.stats.delivered += 1
        if self.config.record:
            self._log(msg, "delivered")
        receiver(msg)

    def _drop(self, msg: Message, why: str) -> None:
        self.stats.dropped += 1
        if self.config.record:
            self._log(msg, why)

    def _log(self, msg: Message, outcome: str) -> None:
        self.log.append(
            {
                "id": msg.id,
                "src": msg.src,
                "dst": msg.dst,
                "type": msg.body.get("type"),
                "sent": msg.sent_at,
                "at": self.scheduler.now(),
                "outcome": outcome,
            }
        )
