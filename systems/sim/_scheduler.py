"""The single event loop of the simulated world: one trio task draining a heap.

Message deliveries and node timers are entries ``(time_ns, seq, callback, args)`` in one
heap.  One task sleeps until the earliest entry, then runs every entry that is due, in
(time, seq) order.  ``seq`` is a counter, so ties break by insertion order and the run is
deterministic.  Scheduling an entry earlier than the one being slept on moves the sleeping
cancel scope's deadline.  This is ~3x faster than a trio task per message, and callbacks
are plain synchronous functions: the systems they drive are state machines, not coroutines.

An entry can be cancelled (``cancel``): a timeout whose op or request finished first.  It
is dropped when it comes up, without the clock being fast-forwarded to its time, or
earlier, when cancelled entries are half the heap (compaction: the heap stays as deep as
its live entries); about 40% of a simulated run's entries are such timeouts.  A dead
entry is no event: dropping it moves nothing that a history can see (170 golden runs
byte-identical; see docs/performance.md for the one theoretical exception).

When the loop stops because another task became runnable (a callback woke a client), it
does not go to sleep on the next entry's deadline: it yields with a plain checkpoint, runs
again right after that task, and if everyone is blocked by then it fast-forwards itself.
Sleeping instead would leave the clock to trio's autojump, an extra idle scheduling round
per wake-up (~30% of a simulated run; changed in 0.x with the interpreter's heap alarms,
which moved the recorded schedules: see docs/performance.md).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from typing import Any

import trio

from systems.sim._determinism import fast_forwarder, now_ns, others_runnable

MAX_BATCH = 10_000
#: cancelled entries tolerated in the heap before it is compacted (see ``cancel``)
COMPACT_AT = 64
#: a heap entry, ``[time_ns, seq, callback, args]``; ``callback`` is None once cancelled
Entry = list[Any]


class Scheduler:
    def __init__(self) -> None:
        self._heap: list[Entry] = []
        self._seq = 0
        self._scope: trio.CancelScope | None = None
        self.processed = 0
        self._cancelled = 0
        #: the clock in integer ns while entries run (``_run_due``), else None
        self._now: int | None = None

    def now(self) -> int:
        """Simulated time in ns: while entries run, the time ``_run_due`` keeps (the
        clock it jumped, read once), else the trio clock."""
        now = self._now
        return now_ns() if now is None else now

    def at(self, time_ns: int, callback: Callable[..., None], *args: Any) -> Entry:
        """Run ``callback(*args)`` at simulated time ``time_ns`` (not before now); the
        entry returned may be given to ``cancel``."""
        self._seq += 1
        entry = [time_ns, self._seq, callback, args]
        heapq.heappush(self._heap, entry)
        scope = self._scope
        if scope is not None and time_ns / 1e9 < scope.deadline:
            scope.deadline = time_ns / 1e9
        return entry

    def after(self, delay_ns: int, callback: Callable[..., None], *args: Any) -> Entry:
        return self.at(self.now() + max(0, delay_ns), callback, *args)

    def cancel(self, entry: Entry) -> None:
        """The entry will not run: when it comes up it is dropped without moving the
        clock to its time (a timeout whose op finished first is no event of the world).

        Cancelled entries stay in the heap until they come up or until they are half of
        it (``_compact``): a 1 s op timeout would otherwise keep ~2,000 dead entries in
        the heap of a 2,000 ops/s run, and every push and pop pays for its depth.
        """
        if entry[2] is None:
            return
        entry[2] = None
        self._cancelled += 1  # an estimate: an entry already run counts too (each
        # compaction recounts), so it only ever compacts a little early
        if self._cancelled > COMPACT_AT and 2 * self._cancelled > len(self._heap):
            self._compact()

    def _compact(self) -> None:
        heap = self._heap
        live = [entry for entry in heap if entry[2] is not None]
        self.processed += len(heap) - len(live)  # taken off the heap, as if drained
        heap[:] = live  # in place: the drain loop holds this list
        heapq.heapify(heap)
        self._cancelled = 0

    def pending(self) -> int:
        """Entries still to run (cancelled ones are not)."""
        return sum(1 for entry in self._heap if entry[2] is not None)

    def depth(self) -> int:
        """Entries in the heap, cancelled ones not yet dropped included."""
        return len(self._heap)

    async def run(self) -> None:
        """Drain the heap forever (cancel the surrounding scope to stop)."""
        heap = self._heap
        others = False
        while True:
            if others:  # come back right after them: then fast-forward on
                await trio.lowlevel.cancel_shielded_checkpoint()
            else:
                deadline = heap[0][0] / 1e9 if heap else math.inf
                with trio.CancelScope(deadline=deadline) as scope:
                    self._scope = scope
                    await trio.sleep_forever()
                self._scope = None
            others = self._run_due(heap)

    def _run_due(self, heap: list[Entry]) -> bool:
        """Run due entries; fast-forward through later ones while nobody else can run.

        True when it stopped because another task can run.  Every ``MAX_BATCH`` entries
        it returns anyway (False: the loop sleeps on a deadline that has passed, a
        cancellation point), so trio stays responsive (Ctrl-C).  While it runs, ``now``
        is the clock: read once, then moved only by ``forward`` to an entry's time, which
        the clock then reads exactly (at simulated times of up to days the round trip of
        integer ns through float seconds errs far below half a nanosecond), so callbacks
        get it from ``self._now`` without reading the clock.
        """
        now = now_ns()
        pop = heapq.heappop
        budget = MAX_BATCH
        forward = fast_forwarder()
        try:
            while heap and budget:
                entry = heap[0]
                budget -= 1
                if entry[2] is None:  # cancelled: dropped, not fast-forwarded to
                    pop(heap)
                    self._cancelled -= 1
                    continue
                due = entry[0]
                if due > now:
                    if not forward(due):
                        budget += 1
                        return others_runnable()
                    now = due
                self._now = now
                pop(heap)
                entry[2](*entry[3])
        finally:
            self._now = None
            self.processed += MAX_BATCH - budget
        return bool(budget) and others_runnable()
