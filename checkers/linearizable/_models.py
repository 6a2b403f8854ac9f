"""Sequential models: small bundles of pure functions the linearizability search runs.

Theory of operation
-------------------
A model is a deterministic (or explicitly branching) state machine.  The search hands it
one ``Call`` at a time -- an operation with the value that best describes it -- and the
model's ``step(state, call)`` answers with the next state, or ``ILLEGAL`` if the call could
not have happened in that state.  A step that may lead to several states (an unordered
queue's dequeue whose result is unknown) returns a ``Choice`` of them.

States must be hashable and compared with ``==`` (the search memoizes visited
``(linearized ops, state)`` pairs), so JSON values are frozen first, with the one encoding
of ``ddialab.vocabulary`` (``freeze`` / ``thaw`` / ``show``): lists become tuples, objects
``("__dict__", items)``, booleans ``("__bool__", b)`` -- so ``true`` and ``1`` are different
values, as in Knossos and Porcupine.  A model whose state is a JSON object keeps it in that
frozen form (``frozen_map`` / ``freeze_map``); ``is_pair`` tells a ``[key, v]`` array from
the two tagged forms.

Besides ``step``, a model may say:

* ``prepare(call)`` -- normalize a call, or return ``None`` to drop it because it constrains
  nothing and changes nothing (an unknown read).  An unknown ``f`` or a value of the wrong
  shape raises ``BadValue``: the history does not fit the model, and ``check`` reports it
  as bad input (exit 3), naming file and line.
* ``readonly(call)`` -- the call never changes the state when it is legal (a read, a failed
  compare-and-set).  The search linearizes such calls greedily and never backtracks over
  them: moving a read earlier never breaks a linearization.
* ``partitioned`` -- ``prepare`` sets ``call.key`` and each key is an independent
  sub-history (P-compositionality, e.g. a key-value map); ``init_for(init, key)`` gives
  each part its initial state.

Defining a model takes a few lines::

    counter = Model("counter", "an integer; add n / read", init=0,
                    step=lambda s, c: s + c.value if c.f == "add"
                                      else (s if s == c.value else ILLEGAL))
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from ddialab.errors import UsageError
from ddialab.vocabulary import freeze, show, thaw


class _Illegal:
    __slots__ = ()

    def __repr__(self) -> str:
        return "ILLEGAL"


#: What ``step`` returns when a call cannot happen in a state.
ILLEGAL: Any = _Illegal()


class Choice(tuple):
    """Several possible next states (a nondeterministic step)."""

    __slots__ = ()


class BadValue(Exception):
    """A call's value does not have the shape the model needs (bad input, not usage)."""


@dataclass(slots=True)
class Call:
    """One operation as the search sees it.

    ``value`` is the completion's value when the op completed ``ok`` (``known`` is True),
    else the invocation's value (the op may or may not have happened).  ``index`` and
    ``done`` are the history indices of the invocation and the ok completion (-1: none).
    """

    index: int
    done: int
    process: Any
    f: str
    value: Any
    known: bool
    extra: dict[str, Any] = field(default_factory=dict)
    key: Any = None


def is_pair(v: Any) -> bool:
    """Is frozen ``v`` a two-element JSON array (not a frozen object or boolean, which the
    vocabulary also encodes as two-element tuples)?"""
    return type(v) is tuple and len(v) == 2 and v[0] not in _TAGS


_TAGS = frozenset(("__dict__", "__bool__"))


def frozen_map(v: Any) -> dict[Any, Any] | None:
    """The items of a frozen JSON object as a dict (``None``: ``v`` is not one)."""
    if type(v) is tuple and len(v) == 2 and v[0] == "__dict__" and type(v[1]) is tuple:
        return dict(v[1])
    return None


def freeze_map(d: dict[Any, Any]) -> Any:
    """A dict of frozen values, frozen as ``freeze`` freezes a JSON object (keys in
    order; a key that is not a string, from a micro-op, sorts after the strings)."""
    return ("__dict__", tuple(sorted(d.items(), key=_key_order)))


def _key_order(kv: tuple[Any, Any]) -> tuple[bool, str, str]:
    k = kv[0]
    return (type(k) is not str, str(k), repr(k))


def _keep(call: Call) -> Call | None:
    return call


def _never(call: Call) -> bool:
    return False


def _same_init(init: Any, key: Hashable) -> Any:
    return init


def _default_describe_op(call: Call) -> str:
    return f"{call.f} {show(call.value)}"


def _default_describe_state(state: Any) -> str:
    return f"the state is {show(state)}"


@dataclass(frozen=True)
class Model:
    """A sequential specification: see the module docstring."""

    name: str
    description: str
    step: Callable[[Any, Call], Any]
    init: Any = None
    prepare: Callable[[Call], Call | None] = _keep
    readonly: Callable[[Call], bool] = _never
    partitioned: bool = False
    init_for: Callable[[Any, Hashable], Any] = _same_init
    freeze_init: Callable[[Any], Any] = freeze
    thaw_state: Callable[[Any], Any] = thaw
    describe_op: Callable[[Call], str] = _default_describe_op
    describe_state: Callable[[Any], str] = _default_describe_state
    #: ``"register"`` / ``"cas"``: ``independent`` of the built-in register models, which
    #: ``check`` may run through the array-based fast path (``_registers``).
    keyed_registers: str = ""


def _unknown_f(model: str, call: Call, known: tuple[str, ...]) -> BadValue:
    return BadValue(f"model {model!r} has no operation {call.f!r}; it knows: {', '.join(known)}")


# --- registers ------------------------------------------------------------------------


def _register_prepare(call: Call) -> Call | None:
    f = call.f
    if f == "read":
        return call if call.known else None
    if f != "write":
        raise _unknown_f("register", call, ("read", "write"))
    return call


def _register_step(s: Any, c: Call) -> Any:
    if c.f == "read":
        return s if c.value == s else ILLEGAL
    return c.value


def _is_read(c: Call) -> bool:
    return c.f == "read"


def _register_describe_state(s: Any) -> str:
    return f"the register holds {show(s)}"


def _register_describe_op(c: Call) -> str:
    if c.f == "read":
        return f"read of {show(c.value)}"
    if c.f == "write":
        return f"write of {show(c.value)}"
    old, new, succeeded = c.value
    verb = "cas" if succeeded else "failed cas"
    return f"{verb} {show(old)}->{show(new)}"


def _cas_prepare(call: Call) -> Call | None:
    f = call.f
    if f == "read":
        return call if call.known else None
    if f == "write":
        return call
    if f == "cas":
        v = call.value
        if not is_pair(v):
            raise BadValue(f"a cas value must be [old, new]; got {show(v)}")
        succeeded = not (call.known and call.extra.get("result") is False)
        call.value = (v[0], v[1], succeeded)
        return call
    raise _unknown_f("cas-register", call, ("read", "write", "cas"))


def _cas_step(s: Any, c: Call) -> Any:
    f = c.f
    if f == "read":
        return s if c.value == s else ILLEGAL
    if f == "write":
        return c.value
    old, new, succeeded = c.value
    if succeeded:
        return new if s == old else ILLEGAL
    return s if s != old else ILLEGAL


def _cas_readonly(c: Call) -> bool:
    return c.f == "read" or (c.f == "cas" and not c.value[2])


REGISTER = Model(
    "register",
    "a single register: read / write (init null)",
    _register_step,
    prepare=_register_prepare,
    readonly=_is_read,
    describe_op=_register_describe_op,
    describe_state=_register_describe_state,
)

CAS_REGISTER = Model(
    "cas-register",
    "a register with compare-and-set: read / write / cas [old, new] (a cas completed ok "
    "with result false ran and failed); init null",
    _cas_step,
    prepare=_cas_prepare,
    readonly=_cas_readonly,
    describe_op=_register_describe_op,
    describe_state=_register_describe_state,
)


# --- key-value map ----------------------------------------------------------------------

_KV_FS = ("get", "put", "append")


def _split_key(call: Call, model: str) -> tuple[Any, Any]:
    v = call.value
    if not is_pair(v):
        raise BadValue(f"model {model!r} needs values [key, v]; got {show(v)}")
    return v[0], v[1]


def _kv_prepare(call: Call) -> Call | None:
    if call.f not in _KV_FS:
        raise _unknown_f("kv", call, _KV_FS)
    call.key, call.value = _split_key(call, "kv")
    if call.f == "get" and not call.known:
        return None
    if call.f == "append" and not isinstance(call.value, str):
        raise BadValue(f"a kv append needs a string to append; got {show(call.value)}")
    return call


def _kv_step(s: Any, c: Call) -> Any:
    f = c.f
    if f == "get":
        return s if c.value == s else ILLEGAL
    if f == "put":
        return c.value
    return (s if s is not None else "") + c.value


def _is_get(c: Call) -> bool:
    return c.f == "get"


def _kv_init_for(init: Any, key: Hashable) -> Any:
    d = frozen_map(init)
    return init if d is None else d.get(key, "")


def _kv_describe_op(c: Call) -> str:
    return f"{c.f} {show(c.value)}"


KV = Model(
    "kv",
    'a map of string registers: get / put / append, values [key, v]; each key starts as "" '
    "(or init[key]) and is checked on its own",
    _kv_step,
    init="",
    prepare=_kv_prepare,
    readonly=_is_get,
    partitioned=True,
    init_for=_kv_init_for,
    describe_op=_kv_describe_op,
    describe_state=lambda s: f"the key holds {show(s)}",
)


def _kvn_prepare(call: Call) -> Call | None:
    call = _kv_prepare(call)  # type: ignore[assignment]
    if call is not None:
        call.value = (call.key, call.value)
        call.key = None
    return call


def _kvn_step(s: Any, c: Call) -> Any:
    # The map is a frozenset of (key, value) pairs; keys holding "" are left out.
    k, v = c.value
    if c.f == "get":
        if v != "":
            return s if (k, v) in s else ILLEGAL
        return ILLEGAL if any(kk == k for kk, _ in s) else s
    cur = next((x for kk, x in s if kk == k), "")
    new = v if c.f == "put" else cur + v
    if new == cur:
        return s
    out = s - {(k, cur)} if cur != "" else s
    return out | {(k, new)} if new != "" else out


def _kvn_freeze(init: Any) -> Any:
    items = init.items() if isinstance(init, dict) else ()
    return frozenset((k, freeze(v)) for k, v in items if v != "")


KV_NOPARTITION = Model(
    "kv-nopartition",
    "the kv model checked as one whole map (no partitioning: much slower; for comparison)",
    _kvn_step,
    init={},
    prepare=_kvn_prepare,
    readonly=_is_get,
    freeze_init=_kvn_freeze,
    thaw_state=lambda s: {str(k): thaw(v) for k, v in sorted(s, key=repr)},
    describe_state=lambda s: f"the map is {show(dict(sorted(s, key=repr)))}",
)


# --- multi-register -------------------------------------------------------------------


def _txn_prepare(call: Call) -> Call | None:
    if call.f != "txn":
        raise _unknown_f("multi-register", call, ("txn",))
    if not isinstance(call.value, tuple | type(None)):
        raise BadValue(f"a txn value must be an array of micro-ops; got {show(call.value)}")
    mops = []
    for mop in call.value or ():
        if not (isinstance(mop, tuple) and len(mop) == 3 and mop[0] in ("read", "r", "write", "w")):
            raise BadValue(f"a txn micro-op must be [read|write, k, v]; got {show(mop)}")
        is_write = mop[0] in ("write", "w")
        if is_write or (call.known and mop[2] is not None):
            mops.append((is_write, mop[1], mop[2]))
    if not mops:
        return None
    call.value = tuple(mops)
    return call


def _txn_step(s: Any, c: Call) -> Any:
    d = frozen_map(s)
    if d is None:
        return ILLEGAL
    changed = False
    for is_write, k, v in c.value:
        if is_write:
            d[k] = v
            changed = True
        elif d.get(k) != v:
            return ILLEGAL
    if not changed:
        return s
    return freeze_map(d)


def _txn_init(v: Any) -> Any:
    d = {} if v is None else frozen_map(freeze(v))
    if d is None:
        raise UsageError(
            f'the multi-register model needs init to be an object, e.g. {{"x": 0}}; got {show(v)}'
        )
    return freeze_map(d)


def _txn_readonly(c: Call) -> bool:
    return not any(w for w, _, _ in c.value)


def _txn_describe_op(c: Call) -> str:
    parts = [f"{'w' if w else 'r'} {k} {show(v)}" for w, k, v in c.value]
    return "txn [" + ", ".join(parts) + "]"


MULTI_REGISTER = Model(
    "multi-register",
    "registers read and written by txns: f txn, value [[read|write, k, v], ...]; "
    'a read of null constrains nothing; init an object, e.g. {"x": 0}',
    _txn_step,
    init={},
    prepare=_txn_prepare,
    readonly=_txn_readonly,
    describe_op=_txn_describe_op,
    describe_state=lambda s: (
        "the registers hold "
        + ", ".join(f"{k}={show(v)}" for k, v in (frozen_map(s) or {}).items())
    ),
    freeze_init=_txn_init,
)


# --- set, queues, mutex, counter ------------------------------------------------------


def _fs_prepare(model: str, fs: tuple[str, ...], read_f: str) -> Callable[[Call], Call | None]:
    def prepare(call: Call) -> Call | None:
        if call.f not in fs:
            raise _unknown_f(model, call, fs)
        if call.f == read_f and not call.known:
            return None
        return call

    return prepare


def _set_prepare(call: Call) -> Call | None:
    """A read becomes the frozenset it names -- unless it names an element twice: a set
    never returns duplicates, so that read stays a tuple, which equals no state (illegal,
    as in Knossos and Porcupine: reads compare exactly, as multisets)."""
    call = _fs_prepare("set", ("add", "read"), "read")(call)  # type: ignore[assignment]
    if call is not None and call.f == "read":
        if not isinstance(call.value, tuple | type(None)):
            raise BadValue(f"a set read returns an array of elements; got {show(call.value)}")
        items = call.value or ()
        elements = frozenset(items)
        call.value = elements if len(elements) == len(items) else items
    return call


def _set_step(s: Any, c: Call) -> Any:
    if c.f == "add":
        return s | {c.value}
    return s if c.value == s else ILLEGAL


SET = Model(
    "set",
    "a set: add v / read (returns all elements); init empty",
    _set_step,
    init=[],
    prepare=_set_prepare,
    readonly=lambda c: c.f == "read",
    freeze_init=lambda v: frozenset(freeze(v) or ()),
    describe_state=lambda s: f"the set is {show(s)}",
)

_Q_FS = ("enqueue", "dequeue")


def _queue_step(s: Any, c: Call) -> Any:
    if c.f == "enqueue":
        return (*s, c.value)
    if not c.known:
        return s[1:]
    if c.value is None:
        return s if not s else ILLEGAL
    return s[1:] if s and s[0] == c.value else ILLEGAL


FIFO_QUEUE = Model(
    "fifo-queue",
    "a FIFO queue: enqueue v / dequeue (returns the head, null when empty); init empty",
    _queue_step,
    init=[],
    prepare=_fs_prepare("fifo-queue", _Q_FS, ""),
    describe_state=lambda s: f"the queue holds {show(s)}",
)


def _remove_one(s: tuple[Any, ...], v: Any) -> Any:
    i = s.index(v)
    return s[:i] + s[i + 1 :]


def _uqueue_step(s: Any, c: Call) -> Any:
    if c.f == "enqueue":
        return tuple(sorted((*s, c.value), key=repr))
    if not c.known:
        return Choice({_remove_one(s, v) for v in s}) if s else s
    if c.value is None:
        return s if not s else ILLEGAL
    return _remove_one(s, c.value) if c.value in s else ILLEGAL


UNORDERED_QUEUE = Model(
    "unordered-queue",
    "a multiset queue: enqueue v / dequeue (returns any element, null when empty)",
    _uqueue_step,
    init=[],
    prepare=_fs_prepare("unordered-queue", _Q_FS, ""),
    freeze_init=lambda v: tuple(sorted(freeze(v) or (), key=repr)),
    describe_state=lambda s: f"the queue holds {show(s)}",
)


def _mutex_step(s: Any, c: Call) -> Any:
    if c.f == "acquire":
        return True if not s else ILLEGAL
    return False if s else ILLEGAL


MUTEX = Model(
    "mutex",
    "a lock: acquire (legal when free) / release (legal when held); init free",
    _mutex_step,
    init=False,
    prepare=_fs_prepare("mutex", ("acquire", "release"), ""),
    freeze_init=lambda v: bool(v),
    describe_op=lambda c: c.f,
    describe_state=lambda s: "the lock is held" if s else "the lock is free",
)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _counter_prepare(call: Call) -> Call | None:
    call = _fs_prepare("counter", ("add", "read"), "read")(call)  # type: ignore[assignment]
    if call is None or _is_number(call.value) or (call.f == "add" and call.value is None):
        return call
    need = "a number (or null for 1)" if call.f == "add" else "a number"
    raise BadValue(f"a counter {call.f} needs {need}; got {show(call.value)}")


def _counter_step(s: Any, c: Call) -> Any:
    if c.f == "read":
        return s if s == c.value else ILLEGAL
    return s + (1 if c.value is None else c.value)


COUNTER = Model(
    "counter",
    "an integer: add n (or increment by 1 when null) / read; init 0",
    _counter_step,
    init=0,
    prepare=_counter_prepare,
    readonly=_is_read,
    describe_state=lambda s: f"the counter is {s!r}",
)


MODELS: dict[str, Model] = {
    m.name: m
    for m in (
        REGISTER,
        CAS_REGISTER,
        KV,
        KV_NOPARTITION,
        MULTI_REGISTER,
        SET,
        FIFO_QUEUE,
        UNORDERED_QUEUE,
        MUTEX,
        COUNTER,
    )
}


_KEYED = {"register": "register", "cas-register": "cas"}
_BUILTIN = (REGISTER, CAS_REGISTER)


def independent(model: Model) -> Model:
    """The same model applied to each key of a keyed history (values ``[key, v]``)."""

    inner_prepare = model.prepare

    def prepare(call: Call) -> Call | None:
        v = call.value
        if type(v) is not tuple or len(v) != 2 or v[0] in _TAGS:
            _split_key(call, model.name)  # raises the BadValue
        key = call.key = v[0]
        call.value = v[1]
        inner = inner_prepare(call)
        if inner is not None:
            inner.key = key
        return inner

    return Model(
        f"independent {model.name}",
        model.description,
        model.step,
        init=model.init,
        prepare=prepare,
        readonly=model.readonly,
        partitioned=True,
        init_for=model.init_for,
        freeze_init=model.freeze_init,
        thaw_state=model.thaw_state,
        describe_op=model.describe_op,
        describe_state=model.describe_state,
        keyed_registers=_KEYED.get(model.name, "") if model in _BUILTIN else "",
    )
