"""Holes found by mutation testing (issue #19): each test names the surviving mutant it kills.

Every mutation below was applied by hand, the test seen to fail, and the source restored.
Line numbers are those of the sources at the time (2026-12-04).
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


def _sans_ops(ws: list[dict]) -> list[dict]:
    """Witnesses without their ``ops`` list (which the vocabulary work adds to every
    witness): the fields pinned here are the ones the mutants touched."""
    return [{k: v for k, v in w.items() if k != "ops"} for w in ws]


def _set_history() -> HistoryBuilder:
    b = HistoryBuilder()
    b.op(0, "add", 1)
    b.op(0, "add", 2)
    b.op(0, "add", 3, type_="info")
    b.op(1, "read", None, result=[1, 3, 9, 9])
    return b


def test_set_witnesses_and_counts_exact():
    """Kills, in ``_set.py``: ``_duplicates`` counting ``+ 2`` per sighting (every element
    read once became 'duplicated'); ``_unexpected`` ``"op"`` -> ``"XXopXX"``; ``_judge``
    ``"recovered"`` -> ``"XXrecoveredXX"`` in the counts and ``acknowledged`` summing
    ``2`` per acknowledged add."""
    r = check_set(_set_history().history(), {})
    assert {k: _sans_ops(ws) for k, ws in r["anomalies"].items()} == {
        "lost": [
            {
                "element": 2,
                "known_op": 3,
                "missing_op": 7,
                "explanation": "2 was known by op 3, but the last read (op 7) lacks it",
            }
        ],
        "unexpected": [
            {
                "element": 9,
                "op": 7,
                "explanation": "the read at op 7 returned 9, which no op ever tried to add",
            }
        ],
        "duplicated": [
            {"element": 9, "op": 7, "explanation": "the read at op 7 returned 9 2 times"}
        ],
    }
    assert (r["attempted"], r["acknowledged"]) == (3, 2)
    assert r["counts"]["recovered"] == 1 and r["recovered"] == [3]
    assert (r["counts"]["stable"], r["counts"]["lost"], r["counts"]["unexpected"]) == (1, 1, 1)


def test_a_linearizable_consistency_model_makes_stale_reads_an_anomaly():
    """Kills ``_set.py:check_set`` ``options.get("consistency_model")`` -> ``get(None)``
    and ``== "linearizable"`` -> ``== "LINEARIZABLE"`` (the CLI's --model linearizable
    was ignored), and ``_witness`` ``"missing_op"`` -> ``"XXmissing_opXX"``."""
    b = HistoryBuilder()
    b.op(0, "add", 1)
    b.op(1, "read", None, result=[])
    b.op(1, "read", None, result=[1])
    r = check_set(b.history(), {"consistency_model": "linearizable"})
    assert r["anomaly_types"] == ["stale"]
    (w,) = r["anomalies"]["stale"]
    assert (w["element"], w["known_op"], w["missing_op"], w["present_op"]) == (1, 1, 3, 5)
    assert check_set(b.history(), {"consistency_model": "sequential"})["valid"] is True


def test_queue_witnesses_and_counts_exact():
    """Kills, in ``_queue.py``: ``_dup`` ``thaw(e)`` -> ``thaw(None)``; ``_unexpected``
    ``show(e)`` -> ``show(None)`` in the explanation; ``_judge`` ``enqueued=len(enq)`` and
    ``delivered=len(deq)`` -> ``None``."""
    b = HistoryBuilder()
    for e in (1, 2, 3):
        b.op(0, "enqueue", e)
    for d in (2, 1, 1, 7):
        b.op(1, "dequeue", None, result=d)
    b.op(1, "drain", None, result=[3])
    r = check_queue(b.history(), {"model": "fifo"})
    assert _sans_ops(r["anomalies"]["duplicated"]) == [
        {"element": 1, "count": 2, "explanation": "1 was dequeued 2 times"}
    ]
    assert _sans_ops(r["anomalies"]["unexpected"]) == [
        {"element": 7, "explanation": "7 was dequeued but never enqueued"}
    ]
    assert (r["enqueued"], r["delivered"], r["drained"]) == (3, 4, True)


def _final(b: HistoryBuilder, node: str, state: object, f: str = "final-read") -> None:
    extra = {"final": True} if f == "read" else {}
    b.op(9, f, ["x", None], result=["x", state], node=node, **extra)


def test_divergent_final_states_are_named_by_replica():
    """Kills ``_convergence.py:_divergence`` ``str(n)`` -> ``str(None)`` as the states'
    keys (both replicas' states collapsed into one entry under 'None')."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.write(0, "x", 2)
    _final(b, "n1", 1)
    _final(b, "n2", 2)
    (w,) = check_convergence(b.history(), {})["anomalies"]["divergence"]
    assert w["states"] == {"n1": 1, "n2": 2}
    assert w["ops"] == [5, 7]


def test_a_read_marked_final_is_a_final_read():
    """Kills ``_convergence.py:_is_final`` ``p.inv.f == "read"`` -> ``"READ"`` and
    ``bool(p.extra("final"))`` -> ``bool(None)``: a plain read flagged ``final`` (as the
    runner's final-read phase records them) was not taken as a replica's final state,
    so the divergence went unseen (unknown: no final reads)."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.write(0, "x", 2)
    _final(b, "n1", 1, f="read")
    _final(b, "n2", 2, f="read")
    r = check_convergence(b.history(), {})
    assert r["anomaly_types"] == ["divergence"]


def test_an_unexpected_final_value_is_explained_with_its_key():
    """Kills ``_convergence.py:_unexpected`` ``"key"`` -> ``"KEY"`` and
    ``"explanation"`` -> ``"XXexplanationXX"``."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    _final(b, "n1", 6)
    _final(b, "n2", 6)
    r = check_convergence(b.history(), {})
    assert _sans_ops(r["anomalies"]["unexpected"]) == [
        {
            "key": "x",
            "value": 6,
            "explanation": 'a final read of key "x" holds 6, which no op wrote',
        }
    ]


def test_unkeyed_convergence_takes_the_value_itself():
    """Kills ``_convergence.py:_writes`` ``if keyed`` -> ``if keyed or True`` (an unkeyed
    write's value was indexed as ``[key, v]``: a traceback, or a wrong key)."""
    b = HistoryBuilder()
    b.op(0, "write", 1)
    b.op(0, "write", 2)
    b.op(9, "final-read", None, result=2, node="n1")
    b.op(9, "final-read", None, result=2, node="n2")
    assert check_convergence(b.history(), {"keyed": False})["valid"] is True
    b.op(9, "final-read", None, result=3, node="n3")
    r = check_convergence(b.history(), {"keyed": False})
    assert r["anomaly_types"] == ["divergence", "unexpected"]


# -- third pass (issue #19, seed-1 sample of 1740 mutants; see docs/testing.md) --------------


def test_a_counter_witness_names_the_value_read():
    """Kills ``_counter._witness`` ``"value"`` -> ``"XXvalueXX"``."""
    b = HistoryBuilder()
    b.op(0, "add", 2)
    b.op(1, "read", None, result=5)
    (w,) = check_counter(b.history(), {})["anomalies"]["out-of-bounds"]
    assert (w["value"], w["lower"], w["upper"]) == (5, 2, 2)


def test_a_resurrected_delete_is_explained_with_the_value():
    """Kills ``_deletes._witness`` ``show(freeze(v))`` -> ``show(freeze(None))`` in the
    explanation (it said 'null was written')."""
    b = HistoryBuilder()
    b.write(0, 1, 7)
    b.write(1, 1, None, delete=True)
    b.read(0, 1, 7)
    (w,) = check_deletes(b.history(), {})["anomalies"]["resurrected-delete"]
    assert w["explanation"] == (
        "7 was written to key 1 (op 1), then the key was deleted (op 3, acknowledged), yet "
        "the read at op 5 returned 7: the delete was undone"
    )


def test_an_overtaken_element_is_explained():
    """Kills ``_queue._overtaken`` ``"explanation"`` -> ``"XXexplanationXX"``."""
    b = HistoryBuilder()
    for e in (1, 2):
        b.op(0, "enqueue", e)
    for d in (2, 1):
        b.op(1, "dequeue", None, result=d)
    (w,) = check_queue(b.history(), {"model": "fifo"})["anomalies"]["out-of-order"]
    assert w["elements"] == [1, 2]
    assert w["explanation"] == (
        "1 was enqueued (op 1) before 2 was enqueued (op 3), but 2 was dequeued before 1's "
        "dequeue began"
    )


def test_a_divergence_is_explained_with_each_replicas_state():
    """Kills ``_convergence._divergence`` ``show(freeze(nodes[n][0]))`` -> ``show(freeze(None))``
    (every replica 'has null')."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.write(0, "x", 2)
    _final(b, "n1", 1)
    _final(b, "n2", 2)
    (w,) = check_convergence(b.history(), {})["anomalies"]["divergence"]
    assert w["explanation"] == (
        'the final reads of key "x" disagree: n1 has 1 (op 5); n2 has 2 (op 7)'
    )


def test_convergence_and_set_take_keys_and_elements_of_mixed_types():
    """Kills ``_convergence._judge`` ``sorted(..., key=lambda kv: repr(kv[0]))`` ->
    ``sorted(...)`` and ``_set._judge`` ``sorted(recovered, key=repr)`` -> ``key=None``:
    keys or elements of mixed types (a number and a string, both legal) do not compare,
    and the checker raised ``TypeError`` instead of judging."""
    b = HistoryBuilder()
    b.write(0, 1, 1)
    b.write(0, "a", 2)
    for n in ("n1", "n2"):
        b.op(9, "final-read", [1, None], result=[1, 1], node=n)
        b.op(9, "final-read", ["a", None], result=["a", 2], node=n)
    assert check_convergence(b.history(), {})["valid"] is True
    s = HistoryBuilder()
    s.op(0, "add", 1, type_="info")
    s.op(0, "add", "a", type_="info")
    s.op(1, "read", None, result=[1, "a"])
    assert check_set(s.history(), {})["recovered"] == ["a", 1]


def test_a_durable_set_add_lost_in_a_crash_is_reported_and_crashes_are_counted():
    """Kills ``_durability._sweep_key`` ``("append", "add")`` -> ``("append", "ADD")`` (a
    set's add judged as a register write) and ``check_durability``'s ``"crashes"`` ->
    ``"CRASHES"``: the add of 7 is missing from the read after the crash."""
    b = HistoryBuilder()
    b.op(0, "add", ["s", 7], durable=True)
    b.op(0, "add", ["s", 8], durable=True)
    b.nemesis("crash")
    b.read(1, "s", [8])
    r = check_durability(b.history(), {})
    assert [w["value"] for w in r["anomalies"]["lost-durable-writes"]] == [7]
    # one crash (invoke and info) is one crash: it used to count 2
    assert r["checked_writes"] == 2 and r["crashes"] == 1


# -- fifth pass (issue #19, fresh samples seed 7 and seed 9 of 1769 mutants; docs/testing.md) -


def _adds_then_finals(states: dict[str, list[int]]) -> HistoryBuilder:
    b = HistoryBuilder()
    b.op(0, "add", ["s", 1])
    b.op(0, "add", ["s", 2])
    for node, state in states.items():
        b.op(9, "final-read", ["s", None], result=["s", state], node=node)
    return b


def test_converged_set_replicas_compare_their_elements():
    """Kills ``_convergence._normal`` ``freeze(e)`` -> ``freeze(None)`` for an ``add`` key
    (every element of a set read as null: each acknowledged add 'lost' on every replica,
    and replicas holding different elements taken as agreeing)."""
    r = check_convergence(_adds_then_finals({"n1": [2, 1], "n2": [1, 2]}).history(), {})
    assert r["valid"] is True
    r = check_convergence(_adds_then_finals({"n1": [1, 2], "n2": [1]}).history(), {})
    assert r["anomaly_types"] == ["divergence", "lost-writes"]
    (w,) = r["anomalies"]["lost-writes"]
    assert (w["value"], w["replicas"]) == (2, ["n2"])


def test_an_unexpected_set_element_is_reported_by_value():
    """Kills ``_convergence._unexpected_elements`` ``_unexpected(key, x, ...)`` ->
    ``_unexpected(key, None, ...)`` (the element nobody added was reported as null)."""
    r = check_convergence(_adds_then_finals({"n1": [1, 2, 9], "n2": [9, 2, 1]}).history(), {})
    assert r["anomaly_types"] == ["unexpected"]
    (w,) = r["anomalies"]["unexpected"]
    assert (w["key"], w["value"], w["ops"]) == ("s", 9, [5, 7])
    assert w["explanation"] == 'a final read of key "s" holds 9, which no op wrote'


def test_a_value_written_by_cas_and_then_deleted_is_resurrected_when_read():
    """Kills ``_deletes._written`` ``p.inv.f == "cas"`` -> ``== "XXcasXX"``: a cas's
    written value is the new half of ``[old, new]``; taken whole, the read of the new
    value matched no write and the undone delete went unseen (unknown, or valid)."""
    b = HistoryBuilder()
    b.write(0, 1, 6)
    b.op(0, "cas", [1, [6, 7]])
    b.write(1, 1, None, delete=True)
    b.read(0, 1, 7)
    r = check_deletes(b.history(), {})
    assert r["anomaly_types"] == ["resurrected-delete"]
    (w,) = r["anomalies"]["resurrected-delete"]
    assert (w["value"], w["ops"]) == (7, [3, 5, 7])


def test_durability_without_durable_writes_still_counts_the_crashes():
    """Kills ``check_durability`` dropping ``crashes=events`` from the "no write marked
    durable" unknown result (a caller could not see the crashes that went unchecked)."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    b.nemesis("crash")
    b.read(1, "x", 1)
    r = check_durability(b.history(), {})
    assert r["valid"] == "unknown" and "no write marked durable" in r["reason"]
    assert (r["durable_writes"], r["crashes"]) == (0, 1)


def test_unique_ids_counts_attempts_acknowledgements_and_distinct_ids():
    """Kills ``check_unique_ids`` ``attempted = 0`` -> ``= 1`` (one attempt too many) and
    ``unique=len(seen)`` -> ``unique=None``."""
    b = HistoryBuilder()
    b.op(0, "generate", None, result=10)
    b.op(1, "generate", None, result=10)
    b.op(2, "generate", None, result=11)
    b.op(3, "generate", None, type_="info")
    r = check_unique_ids(b.history(), {})
    assert r["anomaly_types"] == ["duplicated"]
    assert (r["attempted"], r["acknowledged"], r["unique"]) == (4, 3, 2)


def test_a_lost_queue_element_names_its_enqueue_op():
    """Kills ``_queue._lost`` ``"ops"`` -> ``"XXopsXX"`` (the lost element's witness had no
    ``ops``, which every witness carries for the reports)."""
    b = HistoryBuilder()
    b.op(0, "enqueue", 1)
    b.op(0, "enqueue", 2)
    b.op(1, "dequeue", None, result=2)
    b.op(1, "drain", None, result=[])
    assert check_queue(b.history(), {})["anomalies"]["lost"] == [
        {
            "element": 1,
            "op": 1,
            "ops": [1],
            "explanation": "1 was enqueued (op 1, acknowledged) and never dequeued, "
            "not even by the drain",
        }
    ]


def test_a_malformed_queue_history_names_the_queue_checker():
    """Kills ``check_queue`` ``admit(history, "queue", ...)`` -> ``"QUEUE"``: the bad-input
    message (exit 3) names the checker as the CLI spells it."""
    b = HistoryBuilder()
    b.op(0, "enqueue", 1)
    b.op(1, "drain", None, result=5)
    with pytest.raises(HistoryFormatError, match="the queue checker expects"):
        check_queue(b.history(), {})


# -- fifth pass, seed 11 (drawn after the tests above) ----------------------------------------


def test_nothing_to_check_says_what_was_missing():
    """Kills ``check_convergence``'s and ``check_set``'s unknown reasons mutated
    (``'no final reads ...'`` and ``"no ok reads ..."`` -> ``"XX...XX"``): the reason is
    what the user reads beside exit 4."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    r = check_convergence(b.history(), {})
    assert (r["valid"], r["reason"]) == (
        "unknown",
        'no final reads (f "final-read", or extra final=true)',
    )
    s = HistoryBuilder()
    s.op(0, "add", 1)
    r = check_set(s.history(), {})
    assert (r["valid"], r["reason"]) == (
        "unknown",
        "no ok reads (f read) to check the adds against",
    )


def test_convergence_with_every_named_replica_read_is_valid():
    """Kills ``check_convergence`` ``{str(n) for n, _ in states}`` -> ``{str(None) ...}``
    (the replicas read were not subtracted from ``options["nodes"]``: every named replica
    'never read', a valid history turned unknown); and pins the unknown for one that was
    never read."""
    b = HistoryBuilder()
    b.write(0, "x", 1)
    _final(b, "n1", 1)
    _final(b, "n2", 1)
    r = check_convergence(b.history(), {"nodes": ["n1", "n2"]})
    assert r["valid"] is True and r["replicas"] == ["n1", "n2"]
    r = check_convergence(b.history(), {"nodes": ["n1", "n2", "n3"]})
    assert (r["valid"], r["reason"]) == ("unknown", "no final read from replicas ['n3']")


def test_a_durable_element_lost_in_a_crash_shows_the_read_that_lacks_it():
    """Kills ``_durability._sweep_key`` ``_witness(w, key, x, crash, r, state)`` ->
    ``_witness(..., None)`` on the append/add path (the witness showed the read as null)."""
    b = HistoryBuilder()
    b.op(0, "add", ["s", 7], durable=True)
    b.op(0, "add", ["s", 8], durable=True)
    b.nemesis("crash")
    b.read(1, "s", [8])
    (w,) = check_durability(b.history(), {})["anomalies"]["lost-durable-writes"]
    assert w["read"] == {"op": 7, "value": [8]}
    assert w["explanation"] == (
        '7 was written durably to key "s" (op 1), the system crashed (op 4), and the read '
        "at op 7 returned [8], without it"
    )


def test_queue_recovered_lists_only_indeterminate_enqueues_that_were_delivered():
    """Kills ``_queue._judge``'s ``recovered`` filter ``p.outcome != "ok" and e in deq``
    mutated to ``... or e in deq`` and to ``!= "OK"`` (acknowledged enqueues, or
    undelivered indeterminate ones, listed as recovered)."""
    b = HistoryBuilder()
    b.op(0, "enqueue", 1)
    b.op(0, "enqueue", 2, type_="info")
    b.op(0, "enqueue", 3, type_="info")
    b.op(1, "dequeue", None, result=1)
    b.op(1, "dequeue", None, result=2)
    r = check_queue(b.history(), {})
    assert r["valid"] is True
    assert (r["recovered"], r["remaining"], r["drained"]) == ([2], [], False)


def test_a_drain_that_is_the_first_op_counts_as_a_drain():
    """Kills ``_queue._judge`` ``drained=drained >= 0`` -> ``>= 1``: a drain invoked at
    index 0 was reported as no drain."""
    b = HistoryBuilder()
    b.op(1, "drain", None, result=[])
    b.op(0, "enqueue", 1)
    r = check_queue(b.history(), {})
    assert (r["valid"], r["drained"], r["remaining"]) == (True, True, [1])
