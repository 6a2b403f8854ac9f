"""Inline ops: a coroutine stepped by hand from scheduler callbacks, with no trio task.

Theory of operation
-------------------
A simulated client op is mostly waiting for a reply that a scheduler callback delivers.
Run as a trio task, every op costs a task spawn, two cancel scopes and several trio
scheduling rounds (the worker wakes, hands its completion over, exits).  An ``InlineOp``
instead drives the op's coroutine itself: ``start`` sends into it until it either returns
(``done(result)`` is called) or awaits ``park()``, which yields the marker ``PARK`` up to
``step``.  Whoever parked it keeps the ``InlineOp`` (``current()`` while it runs) and later
calls ``step(value)`` from a scheduler callback -- a reply delivered, a timeout entry on
the heap -- and the coroutine resumes right there, in the scheduler's task.

The one rule: an inline coroutine awaits nothing but ``park()`` (in practice
``ClientEndpoint.request``) and enters no trio cancel scope or nursery, since it runs
inside whichever trio task stepped it.  A trio trap yielded by mistake is caught at once:
the coroutine is closed and ``step`` raises ``InlineError`` naming the yielded object.
Clients promise this with a class attribute ``sim_inline = True`` declared on their own
class (not inherited: a subclass that adds a ``trio.sleep`` must not be trusted by
accident).  ``timeout_ns`` is an entry on the world's scheduler heap: if the op has not
finished by then it is closed (its ``finally`` blocks run) and ``done`` gets
``on_timeout()``; when the op finishes first the entry is cancelled.  Everything is
synchronous and ordered by the heap, so a run stays a pure function of its seed.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Generator
from typing import Any

from systems.sim._scheduler import Entry, Scheduler


class InlineError(RuntimeError):
    """An inline coroutine awaited something other than ``park()``."""


class _Park:
    __slots__ = ()

    def __await__(self) -> Generator[Any, Any, Any]:
        return (yield self)


#: what an inline coroutine yields while it waits for ``step(value)``
PARK = _Park()
_current: list[InlineOp | None] = [None]


def park() -> _Park:
    """Await this (only inside an inline op) to wait until someone calls ``step``."""
    return PARK


def current() -> InlineOp | None:
    """The inline op being stepped right now, or ``None`` (then: a trio task)."""
    return _current[0]


def inline_safe(obj: Any) -> bool:
    """Whether ``obj``'s own class declares ``sim_inline = True`` (see the module)."""
    return vars(type(obj)).get("sim_inline", False) is True


class InlineOp:
    """One coroutine driven by hand; ``done`` receives its result exactly once."""

    __slots__ = ("coro", "done", "expiry", "finished", "scheduler")

    def __init__(self, coro: Coroutine[Any, Any, Any], done: Callable[[Any], None]) -> None:
        self.coro = coro
        self.done = done
        self.finished = False
        #: the timeout's heap entry (on ``scheduler``), cancelled when the op finishes first
        self.expiry: Entry | None = None
        self.scheduler: Scheduler | None = None

    def start(
        self,
        scheduler: Scheduler,
        timeout_ns: int | None,
        on_timeout: Callable[[], Any],
    ) -> None:
        """Step to the first park; give up at ``now + timeout_ns`` (``None``: never) with
        ``on_timeout()``."""
        self.step(None)
        if not self.finished and timeout_ns is not None:
            self.scheduler = scheduler
            self.expiry = scheduler.after(timeout_ns, self._expire, on_timeout)

    def step(self, value: Any) -> None:
        """Resume the coroutine with ``value`` (what its ``await park()`` returns)."""
        if self.finished:
            return
        outer, _current[0] = _current[0], self
        try:
            yielded = self.coro.send(value)
        except StopIteration as stop:
            self._finish(stop.value)
            return
        finally:
            _current[0] = outer
        if yielded is not PARK:
            self.finished = True
            self.coro.close()
            raise InlineError(f"an inline op awaited {yielded!r}: only park() is allowed")

    def _expire(self, on_timeout: Callable[[], Any]) -> None:
        if not self.finished:
            self.finished = True
            self.coro.close()
            self.done(on_timeout())

    def _finish(self, result: Any) -> None:
        self.finished = True
        if self.expiry is not None and self.scheduler is not None:
            self.scheduler.cancel(self.expiry)
        self.done(result)
