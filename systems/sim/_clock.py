"""Per-node clocks: true simulated time plus an offset and a drift.

A node reads ``true + offset + drift * (true - anchor)``.  Offsets can be set, bumped and
strobed (by the nemesis); drift is a rate error (``1e-3`` = 1 ms fast per second).  Timers
still run on true time: a drifting clock skews what a node *believes* the time is, which is
exactly the hazard of leases and last-write-wins.
"""

from __future__ import annotations

from collections.abc import Callable


class NodeClock:
    __slots__ = ("_true_now", "anchor_ns", "drift", "offset_ns")

    def __init__(self, true_now: Callable[[], int]) -> None:
        self._true_now = true_now
        self.offset_ns = 0
        self.drift = 0.0
        self.anchor_ns = 0

    def now(self) -> int:
        t = self._true_now()
        if self.drift:
            return t + self.offset_ns + int((t - self.anchor_ns) * self.drift)
        return t + self.offset_ns

    def set_offset(self, offset_ns: int) -> None:
        self.offset_ns = offset_ns

    def bump(self, delta_ns: int) -> None:
        self.offset_ns += delta_ns

    def set_drift(self, drift: float) -> None:
        """Change the rate; the reading stays continuous at the moment of change."""
        t = self._true_now()
        self.offset_ns += int((t - self.anchor_ns) * self.drift)
        self.anchor_ns = t
        self.drift = drift

    def reset(self) -> None:
        self.offset_ns = 0
        self.drift = 0.0
        self.anchor_ns = self._true_now()

    def skew_ns(self) -> int:
        """How far this clock is from true time right now."""
        return self.now() - self._true_now()
