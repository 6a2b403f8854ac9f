"""Per-node clocks: true simulated time plus an offset and a drift.

A node reads ``true + offset + drift * (true - anchor)``, plus, while a strobe is active,
``delta`` on every other ``period`` (the clock flips back and forth, as Jepsen's strobe
nemesis makes it).  Offsets can be set, bumped and strobed (by the nemesis); drift is a
rate error (``1e-3`` = 1 ms fast per second).  Timers
still run on true time: a drifting clock skews what a node *believes* the time is, which is
exactly the hazard of leases and last-write-wins.
"""

from __future__ import annotations

from collections.abc import Callable


class NodeClock:
    __slots__ = ("_true_now", "anchor_ns", "drift", "offset_ns", "strobe_")

    def __init__(self, true_now: Callable[[], int]) -> None:
        self._true_now = true_now
        self.offset_ns = 0
        self.drift = 0.0
        self.anchor_ns = 0
        #: (start, end, period, delta) of an active strobe, in true ns
        self.strobe_: tuple[int, int, int, int] | None = None

    def now(self) -> int:
        t = self._true_now()
        reading = t + self.offset_ns
        if self.drift:
            reading += int((t - self.anchor_ns) * self.drift)
        if self.strobe_ is not None:
            reading += self._strobe_at(t)
        return reading

    def _strobe_at(self, t: int) -> int:
        start, end, period, delta = self.strobe_  # type: ignore[misc]
        if not start <= t < end:
            return 0
        return delta if ((t - start) // period) % 2 == 0 else 0

    def strobe(self, delta_ns: int, period_ns: int, duration_ns: int) -> None:
        """From now on, for ``duration_ns``, jump ``delta_ns`` ahead and back every period."""
        t = self._true_now()
        self.strobe_ = (t, t + duration_ns, max(1, period_ns), delta_ns)

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
        self.strobe_ = None
        self.anchor_ns = self._true_now()

    def skew_ns(self) -> int:
        """How far this clock is from true time right now."""
        return self.now() - self._true_now()
