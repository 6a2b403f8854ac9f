"""Tests for the survivors of a fresh mutation sample of ``checkers/elle`` (seed 111,
fourth session), each named in its docstring with the breakage it guards.  The sample's
equivalent survivors are recorded in ``tools/mutation_equivalents.json``."""

from __future__ import annotations

from checkers.elle import _check as elle_check
from checkers.elle import check, check_bank
from checkers.elle._compact import collect_compact
from checkers.elle._mops import Source
from checkers.elle._txns import collect
from checkers.elle.synth import APPEND_PLANTS, synth_history
from ddialab.history import CompactHistory, History, Op, dumps_op, read_compact

from ._helpers import concurrent

RW_REGISTER = {"model": "rw-register"}


def test_an_unfinished_search_names_its_components_size():
    """Kills ``_check._cycles`` 26 (the ``scc_size`` key renamed): a search cut short by
    the time limit reports, per component, how many txns it held and what was not
    searched; a reader (and the report) looks the size up under that name."""
    h, _ = synth_history(300, ["G-single", "G2-item", "G0-realtime"], seed=4)
    r = check(h, {"time_limit": 0})
    assert r["incomplete"]
    for entry in r["incomplete"]:
        assert set(entry) == {"scc_size", "not_searched"}
        assert entry["scc_size"] >= 2 and entry["not_searched"]


def test_an_invocation_never_completed_is_an_info_txn():
    """Kills ``_txns._Collector.finish`` 18 (``"info"`` -> ``"INFO"``): an invocation with
    no completion may have taken effect, so it is a graph node of type info (Elle's
    rule), never an unknown type that checks comparing with "info" would miss."""
    rows = [("invoke", 0, [["append", "x", 1]])]
    g, failed = collect(History(Op(i, i, t, p, "txn", v) for i, (t, p, v) in enumerate(rows)))
    assert [(t.type, t.index, t.invoke) for t in g.txns] == [("info", 0, 0)]
    assert failed == []


def test_an_aborted_read_witness_names_the_reading_mop():
    """Kills ``_register._check_read`` 21 (the G1a witness's ``mop`` key renamed): the
    witness schema names the reading micro-op, which the explanation and report cite."""
    h, _ = synth_history(20, ["G1a"], seed=1, model="rw-register")
    (w,) = check(h, RW_REGISTER)["anomalies"]["G1a"]
    assert (w["mop"], w["read"], w["element"]) == (0, 1, 1)


def test_an_intermediate_read_witness_names_its_key():
    """Kills ``_register._check_read`` 61 (the G1b witness's ``key`` renamed ``KEY``): the
    witness schema's field is ``key``, for every anomaly."""
    h, _ = synth_history(20, ["G1b"], seed=1, model="rw-register")
    (w,) = check(h, RW_REGISTER)["anomalies"]["G1b"]
    assert "KEY" not in w
    assert isinstance(w["key"], int) and (w["read"], w["final"]) == (1, 2)


def test_a_write_write_step_is_explained_as_ww():
    """Kills ``_register.RegisterAnalysis.explain`` 60 (``"ww"`` -> ``"WW"``): a cycle's
    step over a version order is a ``ww`` step, the vocabulary's edge name that the
    explanation text and the drawn graph use."""
    rows = concurrent((0, [["w", "x", 1], ["r", "y", 1]]), (1, [["w", "x", 2], ["w", "y", 1]]))
    ops = [Op(i, i, t, p, "txn", v) for i, (t, p, v) in enumerate(rows)]
    ops[-1].extra["version_order"] = [["x", [1, 2]]]
    r = check(History(ops), RW_REGISTER)
    assert r["anomaly_types"] == ["G1c"]
    steps = r["anomalies"]["G1c"][0]["steps"]
    assert [(s["type"], s["key"]) for s in steps] == [("ww", "x"), ("wr", "y")]


def test_every_plant_appends_one_to_n_per_key():
    """Kills ``synth._cycle_plants`` 455 (G2-item-realtime's first append ``1`` -> ``2``):
    each planted shape appends 1, 2, ... n to each of its keys, as the clean generator
    does, so a witness shows the documented minimal shape (and the corpus of planted
    anomalies stays the one its tests were written against)."""
    for name, plant in APPEND_PLANTS.items():
        per_key: dict[str, list[int]] = {}
        for _slot, _type, mops in plant.txns(lambda s: s):
            for f, k, v in mops:
                if f == "append":
                    per_key.setdefault(k, []).append(v)
        for k, values in per_key.items():
            assert sorted(values) == list(range(1, len(values) + 1)), (name, k, values)


def test_the_default_time_limit_bounds_the_search(monkeypatch):
    """Kills ``_check._check`` 30 (the default ``time_limit`` dropped for no limit): a
    check given no ``time_limit`` still runs under ``DEFAULT_TIME_LIMIT`` (Elle bounds its
    search too), and reports what it could not search when that runs out."""
    monkeypatch.setattr(elle_check, "DEFAULT_TIME_LIMIT", 0)
    h, _ = synth_history(300, ["G-single", "G2-item", "G0-realtime"], seed=4)
    r = check(h, {})
    assert r["incomplete"] and r["valid"] is False


def test_an_empty_history_is_valid_with_no_boundary():
    """Kills ``_check._no_txns`` 12 (``also_not`` renamed): an empty history is valid and,
    like every Elle result, says which models it rules out (none) under ``not`` and
    ``also_not``."""
    r = check(History([]), {})
    assert (r["valid"], r["not"], r["also_not"]) == (True, [], [])


def test_a_bank_history_without_reads_says_it_read_none():
    """Kills ``_bank.check_bank`` 29 (``reads=0`` -> ``None``): a bank history with
    transfers but no ok read is unknown, and says it saw zero reads (a count, not a
    missing value)."""
    ops = [
        Op(0, 0, "invoke", 0, "transfer", {"from": 0, "to": 1, "amount": 1}),
        Op(1, 1, "ok", 0, "transfer", {"from": 0, "to": 1, "amount": 1}),
    ]
    r = check_bank(History(ops), {"total": 10})
    assert (r["valid"], r["reads"]) == ("unknown", 0)


def test_back_to_back_completions_share_one_time_node_on_the_compact_path(tmp_path):
    """Kills ``_compact._RowCollector.take`` 77 (the inline ok path leaving ``invoked``
    set): completions with no invocation between them share one time node, on the compact
    path as on the full reader's (a node per completion would still be sound, but the two
    paths must build the same graph)."""
    rows = [
        ("invoke", 0, [["append", "x", 1]]),
        ("invoke", 1, [["append", "y", 1]]),
        ("ok", 0, [["append", "x", 1]]),
        ("ok", 1, [["append", "y", 1]]),
        ("invoke", 2, [["r", "x", None]]),
        ("ok", 2, [["r", "x", [1]]]),
    ]
    path = tmp_path / "h.jsonl"
    path.write_text(
        "".join(dumps_op(Op(i, i, t, p, "txn", v)) + "\n" for i, (t, p, v) in enumerate(rows)),
        encoding="utf-8",
    )
    history = read_compact(str(path))
    assert isinstance(history, CompactHistory)
    g, _ = collect_compact(history, True, True, Source(str(path), "list-append"))
    full, _ = collect(History(Op(i, i, t, p, "txn", v) for i, (t, p, v) in enumerate(rows)))
    assert len(g.out) - g.n_txns == len(full.out) - full.n_txns == 2
    assert [list(a) for a in g.out] == [list(a) for a in full.out]
