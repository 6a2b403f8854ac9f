"""The world's scheduler: one heap, fast-forwarding, and yielding to other tasks."""

from __future__ import annotations

import trio
from trio.abc import Instrument

from systems.sim import Scheduler, now_ns, run_simulated

MS = 1_000_000


class _IdleRounds(Instrument):
    """Counts trio scheduling rounds in which no task ran (each is a clock autojump)."""

    def __init__(self) -> None:
        self.steps = self.idle = 0

    def before_task_step(self, task: trio.lowlevel.Task) -> None:
        self.steps += 1

    def before_io_wait(self, timeout: float) -> None:
        if self.steps == 0:
            self.idle += 1
        self.steps = 0


def _ping_pong(rounds: int, instrument: _IdleRounds) -> list[int]:
    """A task waits ``rounds`` times for the scheduler to wake it 1 ms later."""

    async def main() -> list[int]:
        sched, seen = Scheduler(), []
        async with trio.open_nursery() as nursery:
            nursery.start_soon(sched.run)
            for _ in range(rounds):
                event = trio.Event()
                sched.after(MS, event.set)
                await event.wait()
                seen.append(now_ns())
            nursery.cancel_scope.cancel()
        return seen

    async def instrumented() -> list[int]:
        trio.lowlevel.add_instrument(instrument)
        return await main()

    return run_simulated(instrumented, seed=0)


def test_the_scheduler_fast_forwards_after_yielding_to_a_woken_task() -> None:
    """Guards the scheduler's yield: after waking a task it must come back with a plain
    checkpoint (not a sleep on a deadline), so when that task blocks again the scheduler
    jumps the clock itself.  Sleeping instead costs a trio autojump (an idle round) per
    wake-up, ~30% of a simulated run."""
    instrument = _IdleRounds()
    seen = _ping_pong(50, instrument)
    assert seen == [MS * (i + 1) for i in range(50)]
    assert instrument.idle <= 2


def test_the_scheduler_still_sleeps_when_nothing_else_can_run() -> None:
    """Guards against the yield turning into a busy loop: with only a far-away entry on
    the heap and a task blocked on a trio deadline, time still advances to the entry."""

    async def main() -> list[int]:
        sched, fired = Scheduler(), []
        async with trio.open_nursery() as nursery:
            nursery.start_soon(sched.run)
            sched.after(5 * MS, lambda: fired.append(now_ns()))
            await trio.sleep(0.001)  # a trio deadline earlier than the heap's entry
            await trio.sleep(0.01)
            nursery.cancel_scope.cancel()
        return fired

    assert run_simulated(main, seed=0) == [5 * MS]


def test_the_scheduler_never_jumps_past_a_task_it_woke() -> None:
    """Guards the fast-forward check (``fast_forwarder``): once a callback has made another
    task runnable, the scheduler must stop before a later entry, so the woken task sees
    the time it was woken at; checking "others runnable" only once per stretch, without
    the run queue, would jump to the later entry first."""

    async def main() -> list[int]:
        sched, seen = Scheduler(), []
        async with trio.open_nursery() as nursery:
            nursery.start_soon(sched.run)
            event = trio.Event()
            sched.after(MS, event.set)
            sched.after(3 * MS, lambda: None)
            await event.wait()
            seen.append(now_ns())
            nursery.cancel_scope.cancel()
        return seen

    assert run_simulated(main, seed=0) == [MS]


def test_now_while_entries_run_is_the_clock() -> None:
    """Guards ``Scheduler.now``'s kept time: a callback must read exactly trio's clock
    (in ns), at entry times that are irregular, far apart and coinciding, also for
    entries scheduled by callbacks and after a trio task slept in between (autojump).
    A stale kept time would timestamp messages and ops wrongly; outside the drain loop
    ``now`` must fall back to the clock."""
    import random

    rng = random.Random(7)
    delays = [rng.choice([0, 1, 999, rng.randrange(10**10)]) for _ in range(300)]

    async def main() -> list[tuple[int, int]]:
        sched, seen = Scheduler(), []

        def look(chain: int) -> None:
            seen.append((sched.now(), now_ns()))
            if chain:
                sched.after(rng.randrange(3 * MS), look, chain - 1)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(sched.run)
            for d in delays:
                sched.after(d, look, 2)
            await trio.sleep(7.25)  # woken by trio's clock, between entries
            seen.append((sched.now(), now_ns()))
            await trio.sleep(200)
            nursery.cancel_scope.cancel()
        return seen

    seen = run_simulated(main, seed=0)
    assert len(seen) == 3 * len(delays) + 1
    assert all(kept == clock for kept, clock in seen), [p for p in seen if p[0] != p[1]][:3]
    assert len({t for t, _ in seen}) > 100  # many distinct instants were checked


def test_cancelled_entries_never_run_and_the_rest_keep_their_order() -> None:
    """Guards ``Scheduler.cancel``: a cancelled entry must not run (not even when it is
    due at the same instant as others), nor count as pending, and the entries around it
    run at their own times in (time, seq) order."""

    async def main() -> tuple[list[tuple[str, int]], int]:
        sched, seen = Scheduler(), []

        def look(name: str) -> None:
            seen.append((name, now_ns()))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(sched.run)
            sched.at(5 * MS, look, "a")
            gone = [sched.at(7 * MS, look, "x"), sched.at(5 * MS, look, "y")]
            sched.at(5 * MS, look, "b")
            sched.at(9 * MS, look, "c")
            for entry in gone:
                sched.cancel(entry)
            left = sched.pending()
            await trio.sleep(1)
            nursery.cancel_scope.cancel()
        return seen, left

    seen, left = run_simulated(main, seed=0)
    assert seen == [("a", 5 * MS), ("b", 5 * MS), ("c", 9 * MS)]
    assert left == 3


def test_cancelled_entries_are_compacted_away_and_order_survives() -> None:
    """Guards ``cancel``'s compaction: once cancelled entries are half the heap they are
    removed (the heap's depth stays near the live entries: a 1 s op timeout per op would
    otherwise keep thousands of dead entries), and the live ones still run at their own
    times in (time, seq) order after the heap is rebuilt."""
    import random

    rng = random.Random(3)
    times = [MS * rng.randrange(1, 50) for _ in range(1000)]
    keep = set(rng.sample(range(1000), 100))

    async def main() -> tuple[list[tuple[int, int]], int, int]:
        sched, seen = Scheduler(), []

        def look(i: int) -> None:
            seen.append((i, now_ns()))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(sched.run)
            entries = [sched.at(t, look, i) for i, t in enumerate(times)]
            for i, entry in enumerate(entries):
                if i not in keep:
                    sched.cancel(entry)
            depth, pending = sched.depth(), sched.pending()
            await trio.sleep(1)
            nursery.cancel_scope.cancel()
        return seen, depth, pending

    seen, depth, pending = run_simulated(main, seed=0)
    assert pending == 100 and depth <= 2 * 100
    assert seen == sorted(((i, times[i]) for i in keep), key=lambda p: (p[1], p[0]))
