"""The protocol: contexts, plain values as generators, PENDING."""

from __future__ import annotations

import copy
import pickle

import pytest

from ddialab import generator as gen
from ddialab.errors import UsageError
from ddialab.generator import PENDING, Context


def ctx3(**kw: object) -> Context:
    return Context.initial(3, **kw)  # type: ignore[arg-type]


def test_initial_context() -> None:
    ctx = ctx3(time=5)
    assert ctx.all_threads == (0, 1, 2, "nemesis")
    assert ctx.free_processes() == [0, 1, 2, "nemesis"]
    assert ctx.some_free_process() == 0
    assert ctx.time == 5 and ctx.all_free()


def test_busy_free_and_next_process() -> None:
    ctx = ctx3().busy(0).busy(1)
    assert ctx.some_free_process() == 2
    ctx = ctx.free(0).with_next_process(0)
    assert ctx.workers[0] == 3
    assert ctx.thread_of(3) == 0 and ctx.thread_of("nemesis") == "nemesis"
    assert ctx.some_free_process() == 2
    assert ctx.with_next_process("nemesis").workers["nemesis"] == "nemesis"


def test_dict_fills_in_and_emits_once() -> None:
    ctx = ctx3(time=7)
    o, g = gen.op({"f": "read"}, ctx)  # type: ignore[misc]
    assert o == {"f": "read", "type": "invoke", "process": 0, "time": 7}
    assert g is None and gen.op(g, ctx) is None


def test_dict_keeps_given_fields_and_does_not_mutate() -> None:
    d = {"f": "w", "value": 1, "process": 2, "time": 9}
    o, _ = gen.op(d, ctx3())  # type: ignore[misc]
    assert o == {**d, "type": "invoke"} and "type" not in d


def test_dict_pending_when_no_client_free() -> None:
    ctx = ctx3().busy(0).busy(1).busy(2)
    assert gen.op({"f": "read"}, ctx) == (PENDING, {"f": "read"})
    assert gen.op({"f": "r", "process": 1}, ctx3().busy(1))[0] is PENDING  # type: ignore[index]


def test_dict_on_nemesis_only_context() -> None:
    ctx = ctx3().restrict(gen.is_nemesis)
    o, _ = gen.op({"f": "kill"}, ctx)  # type: ignore[misc]
    assert o["process"] == "nemesis"


def test_list_runs_each_in_turn() -> None:
    ops = [e["f"] for e in gen.simulate([{"f": "a"}, {"f": "b"}])]
    assert ops == ["a", "a", "b", "b"]
    assert gen.op([], ctx3()) is None


def test_function_called_again_until_none() -> None:
    calls = iter(range(3))

    def next_op() -> dict[str, object] | None:
        i = next(calls, None)
        return None if i is None else {"f": "w", "value": i}

    invs = [e for e in gen.simulate(next_op) if e["type"] == "invoke"]
    assert [e["value"] for e in invs] == [0, 1, 2]


def test_function_of_context() -> None:
    o, _ = gen.op(lambda ctx: {"f": "t", "value": ctx.time}, ctx3(time=4))  # type: ignore[misc]
    assert o["value"] == 4


def test_function_returning_generator() -> None:
    events = gen.simulate(gen.limit(4, lambda: [{"f": "a"}, {"f": "b"}]))
    assert [e["f"] for e in events if e["type"] == "invoke"] == ["a", "b", "a", "b"]


def test_not_a_generator() -> None:
    with pytest.raises(UsageError):
        gen.op(42, ctx3())


def test_pending_survives_copy_and_pickle() -> None:
    assert copy.deepcopy(PENDING) is PENDING
    assert pickle.loads(pickle.dumps(PENDING)) is PENDING
    assert repr(PENDING) == "PENDING"


def test_update_of_plain_values_is_identity() -> None:
    ev = {"type": "ok", "f": "r", "process": 0, "time": 0}
    d = {"f": "r"}
    assert gen.update(d, ctx3(), ev) is d
    assert gen.update(None, ctx3(), ev) is None


def test_secs_to_ns() -> None:
    assert gen.secs_to_ns(1.5) == 1_500_000_000 and gen.secs_to_ns(0) == 0


def test_goes_in_history() -> None:
    assert not gen.goes_in_history(gen.sleep(1)) and not gen.goes_in_history(gen.log("x"))
    assert gen.goes_in_history({"type": "invoke"})


def test_restrict_follows_worker_changes() -> None:
    ctx = ctx3()
    clients = ctx.restrict(gen.is_client)
    assert dict(clients.workers) == {0: 0, 1: 1, 2: 2}
    moved = ctx.with_next_process(1).restrict(gen.is_client)
    assert dict(moved.workers) == {0: 0, 1: 4, 2: 2}
    assert ctx.busy(0).restrict(gen.is_client).free_threads == {1, 2}
    unhashable = ctx.restrict([0].__contains__)  # a bound method of a list is hashable...
    assert set(unhashable.workers) == {0}


def test_unhashable_callable_generator() -> None:
    class Maker:
        __hash__ = None  # type: ignore[assignment]

        def __call__(self) -> dict[str, object]:
            return {"f": "x"}

    assert len(gen.simulate(gen.limit(2, Maker()))) == 4


def test_for_thread_gives_distinct_seeds() -> None:
    ctx = ctx3(seed=9)
    seeds = {ctx.for_thread(t).seed for t in ctx.all_threads}
    assert len(seeds) == 4
    assert ctx.for_thread(1).all_threads == (1,)


def test_a_function_emitting_single_ops_continues_as_itself() -> None:
    """Guards the flat fast path of function generators: after a single op the
    continuation is the function generator itself (no ``Seq`` wrapper, no extra ``op``
    calls per history op), and it still emits the same op at every step."""
    ctx = Context.initial(2)
    first = gen.op(lambda: {"f": "read", "value": None}, ctx)
    assert first is not None
    g = first[1]
    for _ in range(3):
        res = gen.op(g, ctx)
        assert res is not None
        o, nxt = res
        assert (o["f"], o["process"]) == ("read", 0)
        assert nxt is g  # identity: an equal but fresh wrapper per op is what this guards
        g = gen.update(nxt, ctx, {**o, "type": "invoke"})


def test_contexts_made_on_the_hot_path_are_whole_frozen_contexts() -> None:
    """Guards the fast constructor behind ``with_time``/``busy``/``free``/``restrict``:
    each must give a context equal to one built by ``Context(...)``, every field in its
    place (a swapped or missing slot breaks equality or raises on read), and still frozen.
    """
    import dataclasses

    ctx = ctx3(time=5, seed=9)
    made = [ctx.with_time(7), ctx.busy(1), ctx.free(1), ctx.restrict(gen.is_client)]
    want = [
        Context(7, ctx.free_threads, ctx.workers, 3, 9),
        Context(5, frozenset({0, 2, "nemesis"}), ctx.workers, 3, 9),
        Context(5, ctx.free_threads, ctx.workers, 3, 9),
        Context(5, frozenset({0, 1, 2}), {0: 0, 1: 1, 2: 2}, 3, 9),
    ]
    assert made == want
    assert [repr(m) for m in made] == [repr(w) for w in want]
    with pytest.raises(dataclasses.FrozenInstanceError):
        made[0].time = 1  # type: ignore[misc]


def test_hot_wrappers_equal_their_dataclass_construction() -> None:
    """Guards the fast constructors of ``time_limit``, ``stagger`` and ``on_threads``
    (used when they emit an op): the generator they return must equal the same wrapper
    built field by field, so a slot filled with the wrong value is caught."""
    ctx = ctx3(time=0, seed=1)
    stack = gen.time_limit(1.0, gen.clients(gen.stagger(0.01, {"f": "read"}, seed=3)))
    o, nxt = gen.op(stack, ctx)  # type: ignore[misc]
    spaced = nxt.gen.gen
    assert type(nxt).__name__ == "TimeLimit" and nxt.cutoff == 10**9
    assert nxt == type(nxt)(10**9, 10**9, type(nxt.gen)(gen.is_client, spaced))
    assert spaced.next_time is not None and 0 <= spaced.next_time < 2 * 10**7
    assert spaced == type(spaced)(10**7, spaced.next_time, spaced.state, None, True)
    assert o["f"] == "read" and o["process"] == 0


def test_a_remembered_restriction_follows_time_and_seed() -> None:
    """Guards the restriction cache's re-timed path: a context that differs from the last
    one restricted only in time or seed must get a restriction with *its* time and seed
    (a stale one would hand a generator the wrong clock or random stream)."""
    ctx = ctx3(time=5, seed=1)
    first = ctx.restrict(gen.is_client)
    assert ctx.restrict(gen.is_client) is first
    later = ctx.with_time(9).restrict(gen.is_client)
    reseeded = ctx.with_seed(4).restrict(gen.is_client)
    assert (later.time, later.seed, reseeded.time, reseeded.seed) == (9, 1, 5, 4)
    assert later.free_threads == reseeded.free_threads == frozenset({0, 1, 2})
    assert ctx.busy(2).with_time(9).restrict(gen.is_client).free_threads == {0, 1}
