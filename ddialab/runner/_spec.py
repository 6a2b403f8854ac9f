"""A test's full description: everything that, with the seed, determines its history."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SECOND = 1_000_000_000


@dataclass
class TestSpec:
    __test__ = False  # not a pytest test class, despite the name

    system: str = "single-node"
    workload: str = "register"
    nemesis: list[str] = field(default_factory=list)
    seed: int = 0
    concurrency: int = 5
    #: seconds of simulated time for the main phase
    time_limit: float = 10.0
    #: client ops per second of simulated time, across all clients
    rate: float = 50.0
    #: seconds before a client op is abandoned as ``info``
    op_timeout: float = 1.0
    #: seconds between faults (each fault lasts this long, then heals)
    nemesis_interval: float = 2.0
    #: seconds to let the system settle after healing, before final reads
    quiesce: float = 1.0
    system_options: dict[str, Any] = field(default_factory=dict)
    workload_options: dict[str, Any] = field(default_factory=dict)
    #: run these checkers instead of the workload's defaults (names in checkers.CHECKERS)
    checkers: list[str] | None = None
    #: message log for diagrams (memory cost)
    record_messages: bool = False
    #: an explicit fault schedule (``{"events": [...]}``, see ``nemesis._schedule``) that
    #: replaces the nemesis packages' own generators; ``None``: the packages schedule
    schedule: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TestSpec:
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(**known)
