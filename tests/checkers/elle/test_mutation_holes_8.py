"""Tests for the survivors of a fresh mutation sample of ``checkers/elle`` (seed 111,
fourth session), each named in its docstring with the breakage it guards.  The sample's
equivalent survivors are recorded in ``tools/mutation_equivalents.json``."""

from __future__ import annotations

from checkers.elle import check
from checkers.elle._txns import collect
from checkers.elle.synth import APPEND_PLANTS, synth_history
from ddialab.history import History, Op

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
