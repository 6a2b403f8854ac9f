"""Holes found by mutation testing (issue #19), fifth pass continued: the survivors of the
fresh seed-13 and seed-15 samples (``test_mutation_holes.py`` holds the earlier passes and
seeds 7, 9 and 11 of this one).

Each test names the mutant it kills; every mutation was applied by hand, the test seen to
fail, and the source restored (2026-12-04).  docs/testing.md lists the equivalent
survivors with their reasons.
"""

from __future__ import annotations

import pytest

from checkers.invariants import (
    check_convergence,
    check_counter,
    check_deletes,
    check_durability,
    check_queue,
    check_set,
    check_unique_ids,
)
from checkers.session.testing import HistoryBuilder
from ddialab.errors import HistoryFormatError
from ddialab.history import NEMESIS


def _final(b: HistoryBuilder, node: str, state: object) -> None:
    b.op(9, "final-read", ["x", None], result=["x", state], node=node)


def _adds_then_finals(states: dict[str, list[int]]) -> HistoryBuilder:
    b = HistoryBuilder()
    b.op(0, "add", ["s", 1])
    b.op(0, "add", ["s", 2])
    for node, state in states.items():
        b.op(9, "final-read", ["s", None], result=["s", state], node=node)
    return b


# -- fifth pass, seed 13 (80 mutants, drawn after the tests above) ----------------------------


def test_a_lost_set_element_names_its_key_and_the_replicas_in_name_order():
    """Kills ``_convergence._lost`` ``"key"`` -> ``"KEY"`` and ``sorted(..., key=str)`` ->
    ``key=None`` (replicas 9 and 10 ordered as numbers, not by name as everywhere else;
    a replica named by a number beside one named by a string raised ``TypeError``)."""
    b = _adds_then_finals({})
    for node, state in ((9, [1]), (10, [1]), ("n1", [1, 2])):
        b.op(9, "final-read", ["s", None], result=["s", state], node=node)
    (w,) = check_convergence(b.history(), {})["anomalies"]["lost-writes"]
    assert (w["key"], w["value"], w["replicas"]) == ("s", 2, ["10", "9"])


def test_unknown_reasons_of_durability_and_unique_ids():
    """Kills ``check_durability``'s ``"no crash events in the history"`` and
    ``check_unique_ids``'s ``"no ok generate ops: ..."`` reasons mutated (``XX...XX``,
    upper-cased): the reason is what the user reads beside exit 4."""
    b = HistoryBuilder()
    b.write(0, "x", 1, durable=True)
    b.read(1, "x", 1)
    r = check_durability(b.history(), {})
    assert (r["valid"], r["reason"], r["durable_writes"]) == (
        "unknown",
        "no crash events in the history",
        1,
    )
    g = HistoryBuilder()
    g.op(0, "generate", None, type_="info")
    r = check_unique_ids(g.history(), {})
    assert (r["valid"], r["reason"]) == ("unknown", "no ok generate ops: no ids to compare")


def test_fifo_overtaking_is_found_whatever_the_element_values():
    """Kills ``_queue._out_of_order`` ``ends = [r[0] ...]`` -> ``[r[1] ...]`` (the bisection
    over enqueue completions ran over the elements instead: with elements 1 and 2 it
    found the overtaking by accident, with 100 and 200 it did not)."""
    b = HistoryBuilder()
    for e in (100, 200):
        b.op(0, "enqueue", e)
    for d in (200, 100):
        b.op(1, "dequeue", None, result=d)
    (w,) = check_queue(b.history(), {"model": "fifo"})["anomalies"]["out-of-order"]
    assert (w["elements"], w["ops"]) == ([100, 200], [1, 3])


def test_a_failed_enqueue_is_not_enqueued():
    """Kills ``check_queue`` ``p.outcome != "fail"`` -> ``!= "XXfailXX"``: a failed
    enqueue counted as enqueued, and its element, dequeued, taken as recovered instead
    of unexpected."""
    b = HistoryBuilder()
    b.op(0, "enqueue", 1)
    b.op(0, "enqueue", 2, type_="fail")
    b.op(1, "dequeue", None, result=1)
    b.op(1, "dequeue", None, result=2)
    r = check_queue(b.history(), {})
    assert (r["enqueued"], r["recovered"]) == (1, [])
    assert r["anomaly_types"] == ["unexpected"]


def _stale_set(elements: list[object]) -> HistoryBuilder:
    b = HistoryBuilder()
    for e in elements:
        b.op(0, "add", e)
    b.op(1, "read", None, result=elements)
    b.op(1, "read", None, result=[])
    b.op(1, "read", None, result=elements)
    return b


def test_stale_set_elements_of_mixed_types_are_listed_and_witnessed():
    """Kills ``_set._judge`` ``sorted(stale..., key=repr)`` -> no key (a number and a
    string do not compare: ``TypeError``) and ``_set._witness`` ``"ops"`` ->
    ``"XXopsXX"`` on a stale witness."""
    r = check_set(_stale_set([1, "a"]).history(), {"consistency_model": "linearizable"})
    assert r["stale"] == ["a", 1]
    assert sorted(w["ops"] for w in r["anomalies"]["stale"]) == [[1, 7, 9], [3, 7, 9]]


def test_a_set_history_whose_reads_all_failed_is_unknown():
    """Kills ``check_set`` ``op.type == "ok"`` -> ``!= "ok"`` in the "any ok read" test
    (every read's invocation matched it, so a history with no ok read was judged on
    nothing and called valid instead of unknown)."""
    b = HistoryBuilder()
    b.op(0, "add", 1)
    b.op(1, "read", None, type_="fail")
    r = check_set(b.history(), {})
    assert (r["valid"], r["reason"]) == (
        "unknown",
        "no ok reads (f read) to check the adds against",
    )


# -- fifth pass, seed 15 (80 mutants, drawn after the tests above) ----------------------------


def test_only_ok_ops_are_final_reads_and_keys_are_counted():
    """Kills ``_convergence._is_final`` ``return False`` -> ``return True`` for a non-ok
    pair (a failed write taken as a final read: the history 'had not quiesced', unknown)
    and ``_judge`` dropping ``keys=len(by_key)``."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.write(0, "x", 2, type_="fail")
    _final(b, "n1", 1)
    _final(b, "n2", 1)
    r = check_convergence(b.history(), {})
    assert (r["valid"], r["keys"], r["replicas"]) == (True, 1, ["n1", "n2"])


def test_unexpected_register_values_of_mixed_types_are_listed_by_repr():
    """Kills ``_convergence._unexpected_values`` ``sorted(..., key=repr)`` -> no key (a
    number and a string nobody wrote do not compare: ``TypeError``)."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    _final(b, "n1", 5)
    _final(b, "n2", "a")
    r = check_convergence(b.history(), {})
    assert [w["value"] for w in r["anomalies"]["unexpected"]] == ["a", 5]


def test_malformed_convergence_and_set_histories_name_their_checker():
    """Kills ``admit(history, "convergence", ...)`` -> ``"CONVERGENCE"`` and
    ``admit(history, "set", ...)`` -> ``"XXsetXX"``: the exit-3 message names the checker
    as the CLI spells it."""
    b = HistoryBuilder()
    b.op(0, "write", 1)
    with pytest.raises(HistoryFormatError, match="the convergence checker expects"):
        check_convergence(b.history(), {})
    s = HistoryBuilder()
    s.op(0, "add", 1)
    s.op(1, "read", None, result=5)
    with pytest.raises(HistoryFormatError, match="the set checker expects"):
        check_set(s.history(), {})


def test_a_decrement_cannot_raise_the_counters_upper_bound():
    """Kills ``_counter._events`` ``max(0, v)`` -> ``max(1, v)`` for the invoked adds (a
    decrement counted as a possible +1: a read of 0 after an acknowledged -1 passed)
    and ``check_counter`` ``adds=len(adds)`` -> ``adds=None``."""
    b = HistoryBuilder()
    b.op(0, "add", -1)
    b.op(1, "read", None, result=0)
    r = check_counter(b.history(), {})
    (w,) = r["anomalies"]["out-of-bounds"]
    assert (w["value"], w["lower"], w["upper"]) == (0, -1, -1)
    assert (r["reads"], r["adds"]) == (1, 1)


def test_a_nemesis_op_flagged_crash_is_a_crash():
    """Kills ``check_durability`` ``op.extra.get("crash") is True`` -> ``is False``: a
    nemesis op of another name flagged ``crash=true`` was not a crash (unknown), and one
    flagged ``crash=false`` was."""
    b = HistoryBuilder()
    b.write(0, "x", 1, durable=True)
    b.invoke(NEMESIS, "pause", None, crash=True)
    b.complete(NEMESIS, "pause", None, type_="info", crash=True)
    b.read(1, "x", None)
    r = check_durability(b.history(), {})
    assert (r["anomaly_types"], r["crashes"]) == (["lost-durable-writes"], 1)
    b = HistoryBuilder()
    b.write(0, "x", 1, durable=True)
    b.invoke(NEMESIS, "pause", None, crash=False)
    b.read(1, "x", None)
    assert check_durability(b.history(), {})["reason"] == "no crash events in the history"


def test_an_unexpected_set_element_is_witnessed_by_its_first_read():
    """Kills ``_set._stream`` ``seen |= elements`` -> ``seen &= elements`` (every read's
    elements taken as first seen: the unexpected element's op was its last read)."""
    b = HistoryBuilder()
    b.op(0, "add", 1)
    for value in ([1, 9], [1], [1, 9]):
        b.op(1, "read", None, result=value)
    (w,) = check_set(b.history(), {})["anomalies"]["unexpected"]
    assert (w["element"], w["op"]) == (9, 3)


def test_a_failed_set_add_is_not_an_attempt():
    """Kills ``check_set`` ``p.outcome != "fail"`` -> ``!= "XXfailXX"``: a failed add was
    counted as attempted, and its element, read, taken as recovered, not unexpected."""
    b = HistoryBuilder()
    b.op(0, "add", 1)
    b.op(0, "add", 2, type_="fail")
    b.op(1, "read", None, result=[1, 2])
    r = check_set(b.history(), {})
    assert (r["attempted"], r["recovered"], r["anomaly_types"]) == (1, [], ["unexpected"])


# -- fifth pass, seed 17 (80 mutants, drawn after the tests above) ----------------------------


def test_final_reads_racing_a_write_are_listed():
    """Kills ``check_convergence`` dropping ``racing_final_reads=racing`` from the "had not
    quiesced" unknown result (the caller could not see which reads raced)."""
    b = HistoryBuilder()
    b.invoke(0, "write", ["x", 1])
    _final(b, "n1", None)
    b.complete(0, "write", ["x", 1])
    r = check_convergence(b.history(), {})
    assert (r["valid"], r["racing_final_reads"]) == ("unknown", [2])


def test_a_lost_durable_write_names_its_key():
    """Kills ``_durability._witness`` ``"key"`` -> ``"KEY"``."""
    b = HistoryBuilder()
    b.write(0, "x", 1, durable=True)
    b.nemesis("crash")
    b.read(1, "x", None)
    (w,) = check_durability(b.history(), {})["anomalies"]["lost-durable-writes"]
    assert (w["key"], w["value"], w["read"]) == ("x", 1, {"op": 5, "value": None})


def test_fifo_check_goes_on_past_an_undelivered_element():
    """Kills ``_queue._out_of_order`` ``continue`` -> ``break`` on an element never
    dequeued (every enqueue after it went unchecked)."""
    b = HistoryBuilder()
    for e in (5, 1, 2):
        b.op(0, "enqueue", e)
    for d in (2, 1):
        b.op(1, "dequeue", None, result=d)
    (w,) = check_queue(b.history(), {"model": "fifo"})["anomalies"]["out-of-order"]
    assert w["elements"] == [1, 2]


def test_duplicates_in_every_set_read_are_all_reported():
    """Kills ``_set._stream`` ``sw.duplicated += ...`` -> ``=`` (only the last read's
    duplicates were kept)."""
    b = HistoryBuilder()
    b.op(0, "add", 1)
    b.op(1, "read", None, result=[1, 1])
    b.op(1, "read", None, result=[1, 1, 1])
    ws = check_set(b.history(), {})["anomalies"]["duplicated"]
    assert [(w["element"], w["op"]) for w in ws] == [(1, 3), (1, 5)]


def test_crashes_are_counted_even_for_a_nemesis_f_that_is_the_empty_string():
    """Kills ``_durability._crash_events`` ``open_f = None`` -> ``open_f = ""`` after a
    fault closes (a legal, if odd, nemesis ``f`` of ``""`` then looked still open, and
    the next crash was taken as its completion: 1 crash counted, not 2)."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    for _ in range(3):  # Jepsen style: info opens, info closes, info opens again
        b.complete(NEMESIS, "", None, type_="info", crash=True)
    r = check_durability(b.history(), {})
    assert (r["valid"], r["crashes"]) == ("unknown", 2)


# -- fifth pass, seed 19 (80 mutants, drawn after the tests above) ----------------------------


def test_a_lost_set_element_names_the_acknowledged_add():
    """Kills ``_convergence._lost`` ``"op"`` -> ``"XXopXX"``."""
    (w,) = check_convergence(_adds_then_finals({"n1": [1, 2], "n2": [2]}).history(), {})[
        "anomalies"
    ]["lost-writes"]
    assert (w["value"], w["op"], w["ops"]) == (1, 1, [1, 7])


def test_a_deletes_history_without_client_ops_is_valid():
    """Kills ``check_deletes`` ``nothing_to_check(history, ...)`` ->
    ``nothing_to_check(None, ...)`` (a ``TypeError`` on an empty or nemesis-only
    history, which is valid: nothing was claimed)."""
    b = HistoryBuilder()
    b.nemesis("crash")
    assert check_deletes(b.history(), {})["valid"] is True


def test_a_failed_read_after_a_crash_proves_nothing_lost():
    """Kills ``check_durability`` ``... if r.outcome == "ok" else None`` -> ``if ... or
    True`` (a failed read's ``[key, null]`` taken as the state read: a durable write
    reported rolled back on no evidence)."""
    b = HistoryBuilder()
    b.write(0, "x", 1, durable=True)
    b.nemesis("crash")
    b.op(1, "read", ["x", None], type_="fail")
    r = check_durability(b.history(), {})
    assert (r["valid"], r["checked_writes"]) == ("unknown", 0)


# -- fifth pass, seed 21 (80 mutants, drawn after the tests above) ----------------------------


def test_a_final_value_only_a_failed_write_tried_is_unexpected():
    """Kills ``_convergence._writes`` ``p.outcome == "fail"`` -> ``== "FAIL"`` (a failed
    write's value counted as attempted: a final read holding it passed)."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.write(0, "x", 2, type_="fail")
    _final(b, "n1", 2)
    _final(b, "n2", 2)
    r = check_convergence(b.history(), {})
    assert [w["value"] for w in r["anomalies"]["unexpected"]] == [2]


def test_two_crash_invocations_in_a_row_are_two_crashes():
    """Kills ``_durability._crash_events`` ``op.type != "invoke"`` -> ``!= "XXinvokeXX"``
    (a second ``invoke`` of the open fault's ``f`` taken as its completion)."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.invoke(NEMESIS, "crash", None)
    b.invoke(NEMESIS, "crash", None)
    assert check_durability(b.history(), {})["crashes"] == 2


def test_malformed_durability_input_is_rejected_and_only_writes_are_durable_writes():
    """Kills ``check_durability`` ``KEYED if keyed else {}`` -> ``KEYED if keyed and False
    ...`` (a keyed write without ``[key, value]`` was not bad input, exit 3) and
    ``client_pairs(history, WRITE_FS)`` -> ``client_pairs(history)`` (a read flagged
    ``durable`` counted as a durable write)."""
    b = HistoryBuilder()
    b.op(0, "write", 1, durable=True)
    with pytest.raises(HistoryFormatError, match="the durability checker expects"):
        check_durability(b.history(), {})
    b = HistoryBuilder()
    b.nemesis("crash")
    b.read(1, "x", 1, durable=True)
    assert check_durability(b.history(), {})["durable_writes"] == 0


def test_fifo_overtaking_is_judged_against_every_earlier_enqueue():
    """Kills ``_queue._out_of_order`` keeping the prefix maximum (``best.append(max(best[-1],
    cur) if best else cur)`` -> ``cur``): ``a`` is overtaken by ``c`` and by ``b``, but
    only the pair with the enqueue just before ``b`` was compared."""
    b = HistoryBuilder()
    for e in ("a", "c", "b"):
        b.op(0, "enqueue", e)
    for d in ("c", "b", "a"):
        b.op(1, "dequeue", None, result=d)
    ws = check_queue(b.history(), {"model": "fifo"})["anomalies"]["out-of-order"]
    assert sorted(w["elements"] for w in ws) == [["a", "b"], ["a", "c"]]


def test_queue_and_set_unknowns_say_why_and_lost_elements_of_mixed_types_sort():
    """Kills ``check_queue``'s reason ``"no ok dequeue or drain: ..."`` -> ``"XX...XX"`` and
    ``_set._judge`` ``sorted(lost..., key=repr)`` -> ``key=None`` (``TypeError`` on a
    number and a string both lost)."""
    q = HistoryBuilder()
    q.op(0, "enqueue", 1)
    r = check_queue(q.history(), {})
    assert r["reason"] == "no ok dequeue or drain: nothing was delivered to check"
    s = HistoryBuilder()
    s.op(0, "add", 1)
    s.op(0, "add", "a")
    s.op(1, "read", None, result=[1, "a"])
    s.op(1, "read", None, result=[])
    assert check_set(s.history(), {})["lost"] == ["a", 1]


# -- fifth pass, seed 23 (80 mutants, drawn after the tests above) ----------------------------


def test_unexpected_register_values_of_every_key_are_kept_and_early_reads_listed():
    """Kills ``_convergence._judge`` ``anomalies["unexpected"] += ...`` -> ``=`` for
    registers (only the last key's unexpected values kept) and ``check_convergence``
    ``early_final_reads=early`` -> ``None``."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.write(0, "y", 1)
    for key in ("x", "y"):
        for n in ("n1", "n2"):
            b.op(9, "final-read", [key, None], result=[key, 7], node=n)
    r = check_convergence(b.history(), {})
    assert [w["key"] for w in r["anomalies"]["unexpected"]] == ["x", "y"]
    e = HistoryBuilder()
    e.write(0, "x", 1)
    e.invoke(9, "final-read", ["x", None], node="n1")
    e.nemesis("partition")
    e.complete(9, "final-read", ["x", 1], node="n1")
    r = check_convergence(e.history(), {})
    assert (r["valid"], r["early_final_reads"]) == ("unknown", [5])


def test_malformed_deletes_and_unique_ids_histories_name_their_checker():
    """Kills ``admit(history, "deletes", ...)`` -> ``"DELETES"`` and ``admit(history,
    "unique-ids", ...)`` -> ``"XXunique-idsXX"`` in the exit-3 messages."""
    b = HistoryBuilder()
    b.op(0, "read", None, result=5)
    with pytest.raises(HistoryFormatError, match="the deletes checker expects"):
        check_deletes(b.history(), {})
    g = HistoryBuilder()
    g.complete(0, "generate", 1)
    with pytest.raises(HistoryFormatError, match="the unique-ids checker needs"):
        check_unique_ids(g.history(), {})


def test_durable_elements_of_mixed_types_lost_in_a_crash_are_all_reported():
    """Kills ``_durability._missing_elements`` ``sorted(gone, key=repr)`` -> ``key=None``
    (a number and a string both lost: ``TypeError``)."""
    b = HistoryBuilder()
    b.op(0, "add", ["s", 1], durable=True)
    b.op(0, "add", ["s", "a"], durable=True)
    b.nemesis("crash")
    b.read(1, "s", [])
    ws = check_durability(b.history(), {})["anomalies"]["lost-durable-writes"]
    assert [w["value"] for w in ws] == ["a", 1]


def test_a_durable_register_write_rolled_back_to_an_older_value_whatever_its_value():
    """Kills ``_durability._rolled_back`` bisecting on ``e[1]`` (the value) for ``e[0]``
    (the write's invocation): a durable write of 0 was never 'newer' than the older
    value read back."""
    b = HistoryBuilder()
    b.write(0, "x", 5)
    b.write(0, "x", 0, durable=True)
    b.nemesis("crash")
    b.read(1, "x", 5)
    (w,) = check_durability(b.history(), {})["anomalies"]["lost-durable-writes"]
    assert (w["value"], w["read"]["value"]) == (0, 5)


def test_a_durable_write_after_the_last_crash_is_not_due():
    """Kills ``check_durability`` ``i < len(crashes)`` -> ``<=`` (an ``IndexError`` for a
    durable write acknowledged after every crash)."""
    b = HistoryBuilder()
    b.nemesis("crash")
    b.write(0, "x", 1, durable=True)
    b.read(1, "x", None)
    r = check_durability(b.history(), {})
    assert (r["valid"], r["checked_writes"]) == ("unknown", 0)


def test_unique_ids_count_only_generate_ops():
    """Kills ``check_unique_ids`` ``client_pairs(history, ("generate",))`` -> no filter
    (a read's value taken as a generated id: a false duplicate)."""
    b = HistoryBuilder()
    b.op(0, "generate", None, result=10)
    b.op(1, "read", None, result=10)
    r = check_unique_ids(b.history(), {})
    assert (r["valid"], r["attempted"]) == (True, 1)


def test_a_set_of_unhashable_elements_is_read_element_by_element():
    """Kills ``_set._elements`` ``freeze(e)`` -> ``freeze(None)`` on the unhashable path
    (list elements all read as null: false duplicates and lost elements)."""
    b = HistoryBuilder()
    b.op(0, "add", [1])
    b.op(0, "add", [2])
    b.op(1, "read", None, result=[[1], [2]])
    assert check_set(b.history(), {})["valid"] is True


# -- fifth pass, seed 25 (80 mutants, drawn after the tests above) ----------------------------


def test_a_key_without_writes_does_not_end_the_convergence_check():
    """Kills ``_convergence._judge`` ``continue`` -> ``break`` after a key with no write in
    the vocabulary (every key sorted after it went unjudged)."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    for key, state in (("a", 3), ("x", 9)):
        for n in ("n1", "n2"):
            b.op(9, "final-read", [key, None], result=[key, state], node=n)
    r = check_convergence(b.history(), {})
    assert [w["key"] for w in r["anomalies"]["unexpected"]] == ["x"]


def test_a_delete_invoked_before_the_write_completed_does_not_overwrite_it():
    """Kills ``_deletes._Deletes.__init__`` ``range(n - 1, -1, -1)`` -> ``range(n - 1, -2,
    -1)`` (one suffix minimum too many shifts the table: the delete invoked before the
    write was acknowledged was taken as certainly after it, a false resurrection)."""
    b = HistoryBuilder()
    b.invoke(1, "write", [1, None])
    b.invoke(0, "write", [1, 7])
    b.complete(0, "write", [1, 7])
    b.complete(1, "write", [1, None])
    b.invoke(2, "write", [1, None])
    b.invoke(0, "read", [1, None])
    b.complete(0, "read", [1, 7])
    b.complete(2, "write", [1, None])
    r = check_deletes(b.history(), {})
    assert (r["valid"], r["checked_reads"], r["deletes"]) == (True, 1, 2)


def test_unkeyed_durability_reads_bare_values():
    """Kills ``check_durability`` ``options.get("keyed", True)`` -> ``get(None, True)``
    (``keyed: false`` ignored: bare values rejected as bad input)."""
    b = HistoryBuilder()
    b.op(0, "write", 1, durable=True)
    b.nemesis("crash")
    b.op(1, "read", None, result=None)
    r = check_durability(b.history(), {"keyed": False})
    assert r["anomaly_types"] == ["lost-durable-writes"]


# -- fifth pass, seed 27 (80 mutants, drawn after the tests above) ----------------------------


def test_a_divergence_names_its_key():
    """Kills ``_convergence._divergence`` ``"key"`` -> ``"XXkeyXX"``."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    _final(b, "n1", 1)
    _final(b, "n2", None)
    (w,) = check_convergence(b.history(), {})["anomalies"]["divergence"]
    assert w["key"] == "x"


def test_a_counter_init_that_is_not_an_integer_counts_as_zero():
    """Kills ``check_counter`` ``init if is_int(init) else 0`` -> ``... or True`` (a null
    ``init`` added to the bounds: ``TypeError``)."""
    b = HistoryBuilder()
    b.op(0, "add", 2)
    b.op(1, "read", None, result=2)
    r = check_counter(b.history(), {"init": None})
    assert (r["valid"], r["final"]["lower"], r["final"]["upper"]) == (True, 2, 2)


def test_a_failed_set_read_is_not_a_read():
    """Kills ``check_set`` ``p.inv.f == "read" and p.outcome == "ok" and ...`` -> ``... or
    ...`` (a failed read, value null, taken as a read: ``TypeError``)."""
    b = HistoryBuilder()
    b.op(0, "add", 1)
    b.op(1, "read", None, result=[1])
    b.op(1, "read", None, type_="fail")
    assert check_set(b.history(), {})["valid"] is True
