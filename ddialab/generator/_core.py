"""The generator protocol: contexts, ops, and how plain Python values act as generators.

Theory of operation
-------------------
A generator is an immutable value that, asked for an operation in a ``Context``, answers
with one of:

* ``None``                -- it is exhausted and will never emit again;
* ``(PENDING, gen2)``     -- nothing to emit *now*, but maybe later (after some op completes
  or time passes).  ``gen2`` is equivalent to the generator asked; an interpreter may keep
  either;
* ``(op, gen2)``          -- an invocation (a dict with ``type``, ``f``, ``value``,
  ``process``, ``time``) and the generator to use *if* the op is actually invoked.

``op(gen, ctx)`` never mutates anything: asking twice gives equal answers.  An op whose
``time`` lies in the future tells the interpreter to wait until then; if a completion
arrives first the interpreter discards ``(op, gen2)``, calls ``update`` on the generator it
asked, and asks again.  When an op is invoked, and again when it completes, the interpreter
calls ``update(gen2, ctx, event)`` and continues with the generator it returns.

Plain values are generators, as in Jepsen: ``None`` is exhausted; a dict emits itself once
(filling in ``type="invoke"``, a free ``process`` and ``time=ctx.time``); a list or tuple
emits each element's ops in turn; a function of zero or one argument (the context) is
called for a generator each time the previous one runs out, forever, until it returns
``None``.  Anything else implements ``op``/``update`` (subclass ``Generator``).

Threads and processes: client threads are the ints ``0..concurrency-1``; the nemesis
thread is the string ``"nemesis"``.  Each thread runs one process at a time; when a client
op ends in ``info`` the thread continues as process ``process + concurrency``, so
``thread == process % concurrency`` always holds for clients.

Time is an int of nanoseconds (simulated or monotonic, as the interpreter decides).
Combinators that take durations take seconds (float) and convert with ``secs_to_ns``.

Randomness is pure: random combinators carry a 64-bit splitmix state in their own value,
seeded from an explicit ``seed`` or, when none is given, from ``ctx.seed``.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, TypeAlias, TypeVar

from ddialab.errors import UsageError

Thread: TypeAlias = int | str
Process: TypeAlias = int | str
OpDict: TypeAlias = dict[str, Any]
#: Anything ``op`` accepts: a ``Generator``, None, a dict, a list/tuple, a function.
Gen: TypeAlias = Any
T = TypeVar("T")

NEMESIS: Final = "nemesis"
NS_PER_SEC: Final = 1_000_000_000
#: Special op types the interpreter handles itself; they never enter the history.
SLEEP: Final = "sleep"
LOG: Final = "log"


class _Pending(enum.Enum):
    """The type of ``PENDING``: a one-member enum, so ``x is PENDING`` narrows types."""

    PENDING = "PENDING"

    def __repr__(self) -> str:
        return "PENDING"


#: "No op now, maybe later."
PENDING: Final = _Pending.PENDING

OpResult: TypeAlias = tuple[OpDict | _Pending, Gen] | None


def secs_to_ns(seconds: float) -> int:
    """Seconds (int or float) to integer nanoseconds."""
    return round(seconds * NS_PER_SEC)


def thread_key(thread: Thread) -> tuple[int, int, str]:
    """Sort key for threads: client threads by number, then named threads (the nemesis)."""
    if isinstance(thread, str):
        return (1, 0, thread)
    return (0, thread, "")


def sorted_threads(threads: Iterable[Thread]) -> list[Thread]:
    """Threads in ``thread_key`` order (clients by number, then named threads)."""
    ints: list[Thread] = []
    names: list[Thread] = []
    for t in threads:
        (names if isinstance(t, str) else ints).append(t)
    ints.sort()
    if names:
        names.sort()
        ints.extend(names)
    return ints


def goes_in_history(op: OpDict) -> bool:
    """Whether an event belongs in the history (``sleep`` and ``log`` ops do not)."""
    return op.get("type") not in (SLEEP, LOG)


# -- pure randomness ---------------------------------------------------------------------

_MASK64: Final = (1 << 64) - 1
_GOLDEN: Final = 0x9E3779B97F4A7C15


def _mix64(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def rng_next(state: int) -> tuple[int, float]:
    """One splitmix64 step: the next state and a float uniform in [0, 1)."""
    state = (state + _GOLDEN) & _MASK64
    z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64  # _mix64, inline (hot)
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return state, ((z ^ (z >> 31)) >> 11) / 9007199254740992.0


@lru_cache(maxsize=4096)
def derive_seed(seed: int, salt: int | str) -> int:
    """A seed for a sub-stream, stable across processes (no ``hash()`` randomisation)."""
    if isinstance(salt, str) or not isinstance(salt, int):
        salt = zlib.crc32(str(salt).encode())
    return _mix64((seed * _GOLDEN + salt + 1) & _MASK64)


# -- context -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Context:
    """What a generator may know when asked for an op.  Immutable; not hashable.

    ``workers`` maps each thread of this context to its current process.  Combinators such
    as ``on_threads`` hand their generator a *restricted* context (fewer threads);
    ``concurrency`` always counts the client threads of the whole test.
    """

    time: int
    free_threads: frozenset[Thread]
    workers: Mapping[Thread, Process]
    concurrency: int
    seed: int = 0

    @classmethod
    def initial(
        cls, concurrency: int, nemesis: bool = True, time: int = 0, seed: int = 0
    ) -> Context:
        """All threads free, each running the process with its own number."""
        threads: list[Thread] = list(range(concurrency))
        if nemesis:
            threads.append(NEMESIS)
        return cls(time, frozenset(threads), {t: t for t in threads}, concurrency, seed)

    @property
    def all_threads(self) -> tuple[Thread, ...]:
        return tuple(sorted(self.workers, key=thread_key))

    def all_free(self) -> bool:
        return len(self.free_threads) == len(self.workers)

    def free_processes(self) -> list[Process]:
        """Processes of the free threads: clients ascending, then the nemesis."""
        return sorted((self.workers[t] for t in self.free_threads), key=thread_key)

    def some_free_process(self) -> Process | None:
        """The lowest free client process.

        Only a context without client threads (e.g. inside ``nemesis(...)``) offers the
        nemesis process, so a bare op never lands on the nemesis thread by accident.
        """
        best: Process | None = None
        for t in self.free_threads:
            if isinstance(t, int):
                p = self.workers[t]
                if best is None or p < best:  # type: ignore[operator]
                    best = p
        no_clients = best is None and not any(isinstance(t, int) for t in self.workers)
        if no_clients and NEMESIS in self.free_threads:
            return NEMESIS
        return best

    def thread_of(self, process: Process) -> Thread:
        """The thread running (or that ran) ``process``."""
        if isinstance(process, int) and self.concurrency > 0:
            return process % self.concurrency
        return process

    def is_free(self, thread: Thread) -> bool:
        return thread in self.free_threads

    def with_time(self, time: int) -> Context:
        return _context(time, self.free_threads, self.workers, self.concurrency, self.seed)

    def with_seed(self, seed: int) -> Context:
        return _context(self.time, self.free_threads, self.workers, self.concurrency, seed)

    def busy(self, thread: Thread) -> Context:
        free = self.free_threads - {thread}
        return _context(self.time, free, self.workers, self.concurrency, self.seed)

    def free(self, thread: Thread, time: int | None = None) -> Context:
        """``thread`` free again (at ``time``, when given: ``with_time(time).free(thread)``)."""
        free = self.free_threads | {thread}
        time = self.time if time is None else time
        return _context(time, free, self.workers, self.concurrency, self.seed)

    def with_worker(self, thread: Thread, process: Process) -> Context:
        workers = dict(self.workers)
        workers[thread] = process
        return _context(self.time, self.free_threads, workers, self.concurrency, self.seed)

    def with_next_process(self, thread: Thread) -> Context:
        """After an ``info`` completion: the client thread moves on to a fresh process."""
        p = self.workers[thread]
        if not isinstance(p, int):
            return self
        return self.with_worker(thread, p + self.concurrency)

    def restrict(self, pred: Callable[[Thread], bool]) -> Context:
        """The same moment seen by only the threads satisfying ``pred``.

        The last restriction per predicate is remembered (``_LAST_RESTRICTED``): a
        thread-scoped combinator restricts the same context when asked and again when the
        op it gave is invoked, and the interpreter asks again in the context it updated in
        (same context: the same restriction) or in one that differs only in time (same
        threads: the restriction re-timed).
        """
        try:
            last = _LAST_RESTRICTED.get(pred)
        except TypeError:  # an unhashable predicate: no caching
            return self._restrict(pred)
        if last is not None:
            seen, sub = last
            if seen is self:
                return sub
            if seen.free_threads is self.free_threads and seen.workers is self.workers:
                free, workers = sub.free_threads, sub.workers
                sub = _context(self.time, free, workers, self.concurrency, self.seed)
                _LAST_RESTRICTED[pred] = (self, sub)
                return sub
        sub = self._restrict(pred)
        if len(_LAST_RESTRICTED) >= 1024:
            _LAST_RESTRICTED.clear()
        _LAST_RESTRICTED[pred] = (self, sub)
        return sub

    def _restrict(self, pred: Callable[[Thread], bool]) -> Context:
        workers, threads = _restricted_workers(self.workers, pred)
        free = self.free_threads & threads
        return _context(self.time, free, workers, self.concurrency, self.seed)

    def for_thread(self, thread: Thread) -> Context:
        """The context of a single thread, with its own random sub-stream."""
        free = frozenset((thread,)) if thread in self.free_threads else frozenset()
        seed = derive_seed(self.seed, thread)
        return _context(self.time, free, {thread: self.workers[thread]}, self.concurrency, seed)


def fast_constructor(cls: type[T]) -> Callable[..., T]:
    """A positional constructor for a frozen slots dataclass, for hot paths.

    The generated ``__init__`` of a frozen dataclass sets each field through
    ``object.__setattr__`` (~2x the cost of the object); this one allocates with
    ``object.__new__`` and fills the slots through their descriptors: the same object,
    fields in declaration order, no defaults, no ``__post_init__``.
    """
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    env: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    body = ["    o = _new(_cls)"]
    for i, name in enumerate(names):
        env[f"_s{i}"] = getattr(cls, name).__set__
        body.append(f"    _s{i}(o, {name})")
    src = f"def make({', '.join(names)}):\n" + "\n".join(body) + "\n    return o\n"
    exec(src, env)  # fixed text built from the class's own field names
    make: Callable[..., T] = env["make"]
    make.__doc__ = f"``{cls.__name__}(...)`` without the frozen ``__init__`` (fast_constructor)."
    return make


#: ``Context(...)`` for the hot paths (contexts are made ~9 times per client op)
_context = fast_constructor(Context)


#: pred -> (the context last restricted by it, the restriction).  Contexts are immutable,
#: so identity decides; holding the context keeps its id from being reused.
_LAST_RESTRICTED: dict[Any, tuple[Context, Context]] = {}

#: (pred, id(workers)) -> (workers, restricted workers, their threads).  Workers mappings
#: are never mutated and change only when a process moves on, so restriction is computed
#: once per (pred, workers) instead of once per step.  Holding ``workers`` keeps its id
#: from being reused while cached.
_RESTRICTED: dict[tuple[Any, int], tuple[Any, dict[Thread, Process], frozenset[Thread]]] = {}


def _restricted_workers(
    workers: Mapping[Thread, Process], pred: Callable[[Thread], bool]
) -> tuple[dict[Thread, Process], frozenset[Thread]]:
    try:
        key: tuple[Any, int] | None = (pred, id(workers))
        hit = _RESTRICTED.get(key)  # type: ignore[arg-type]
    except TypeError:  # an unhashable predicate: no caching
        key, hit = None, None
    if hit is not None and hit[0] is workers:
        return hit[1], hit[2]
    sub = {t: p for t, p in workers.items() if pred(t)}
    threads = frozenset(sub)
    if key is not None:
        if len(_RESTRICTED) >= 1024:
            _RESTRICTED.clear()
        _RESTRICTED[key] = (workers, sub, threads)
    return sub, threads


# -- the protocol ------------------------------------------------------------------------


class Generator:
    """Base class for generator objects.  Subclasses are immutable values."""

    __slots__ = ()

    def op(self, ctx: Context) -> OpResult:
        raise NotImplementedError

    def update(self, ctx: Context, event: OpDict) -> Gen:
        return self


def op(gen: Gen, ctx: Context) -> OpResult:
    """Ask ``gen`` for its next operation in ``ctx`` (see the module docstring)."""
    if isinstance(gen, Generator):
        return gen.op(ctx)
    if gen is None:
        return None
    if isinstance(gen, dict):
        return _op_dict(gen, ctx)
    if isinstance(gen, list | tuple):
        return Seq(gen, 0, gen[0]).op(ctx) if gen else None
    if hasattr(gen, "op") and hasattr(gen, "update"):
        return gen.op(ctx)
    if callable(gen):
        return FnGen(gen).op(ctx)
    raise UsageError(f"not a generator: {gen!r}")


def update(gen: Gen, ctx: Context, event: OpDict) -> Gen:
    """Tell ``gen`` about an event (an invocation or completion); returns the new generator."""
    if isinstance(gen, Generator):
        return gen.update(ctx, event)
    if gen is None or isinstance(gen, dict):
        return gen
    if isinstance(gen, list | tuple):
        return Seq(gen, 0, gen[0]).update(ctx, event) if gen else None
    if hasattr(gen, "op") and hasattr(gen, "update"):
        return gen.update(ctx, event)
    return gen


def fill_in_op(d: Mapping[str, Any], ctx: Context) -> OpDict | None:
    """A copy of ``d`` completed with type, process and time; None if no process is free."""
    process = d.get("process")
    if process is None:
        process = ctx.some_free_process()
        if process is None:
            return None
    elif ctx.thread_of(process) not in ctx.free_threads:
        return None
    out = {"type": "invoke", **d}  # "type" first, as histories print it
    out["process"] = process
    if out.get("time") is None:
        out["time"] = ctx.time
    return out


def _op_dict(d: OpDict, ctx: Context) -> OpResult:
    filled = fill_in_op(d, ctx)
    if filled is None:
        return PENDING, d
    return filled, None


def is_better(candidate: OpDict, best: OpDict | None) -> bool:
    """Soonest op wins; on equal times the earlier candidate (already ``best``) stays."""
    return best is None or candidate["time"] < best["time"]


@dataclass(frozen=True, slots=True)
class Seq(Generator):
    """Each element of ``items`` in turn; ``head`` is the live state of ``items[i]``."""

    items: Sequence[Gen]
    i: int
    head: Gen

    def op(self, ctx: Context) -> OpResult:
        items, i, head = self.items, self.i, self.head
        while True:
            res = op(head, ctx)
            if res is not None:
                o, head2 = res
                if o is PENDING and head2 is head and i == self.i:
                    return PENDING, self
                if i == len(items) - 1:
                    return o, head2  # tail position: no wrapper, so nesting never grows
                return o, Seq(items, i, head2)
            i += 1
            if i >= len(items):
                return None
            head = items[i]

    def update(self, ctx: Context, event: OpDict) -> Gen:
        head = update(self.head, ctx, event)
        return self if head is self.head else Seq(self.items, self.i, head)


@lru_cache(maxsize=4096)
def _arity(fn: Callable[..., Any]) -> int:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 1
    positional = [
        p
        for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    if positional or any(p.kind == p.VAR_POSITIONAL for p in params):
        return 1
    return 0


def call_with_ctx(fn: Callable[..., Any], ctx: Context) -> Any:
    """Call a user function of zero or one argument (the context)."""
    try:
        arity = _arity(fn)
    except TypeError:  # an unhashable callable object: no caching
        arity = _arity.__wrapped__(fn)
    return fn(ctx) if arity else fn()


@dataclass(frozen=True, slots=True)
class FnGen(Generator):
    """A function as a generator: its result runs, then the function is called again."""

    fn: Callable[..., Any]
    #: whether ``fn`` takes the context (``call_with_ctx``), decided once
    takes_ctx: bool = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            arity = _arity(self.fn)
        except TypeError:  # an unhashable callable object: no caching
            arity = _arity.__wrapped__(self.fn)
        object.__setattr__(self, "takes_ctx", bool(arity))

    def op(self, ctx: Context) -> OpResult:
        x = self.fn(ctx) if self.takes_ctx else self.fn()
        if type(x) is dict:  # a single op (the common case): then this function again
            filled = fill_in_op(x, ctx)
            return (PENDING, self) if filled is None else (filled, self)
        if x is None:
            return None
        res = op(x, ctx)
        if res is None:
            return None
        o, x2 = res
        if o is PENDING:
            return PENDING, self
        if x2 is None:  # a single op: what follows is this function again
            return o, self
        return o, Seq((x2, self), 0, x2)
