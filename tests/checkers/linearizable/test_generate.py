from checkers.linearizable import check
from checkers.linearizable._generate import keyed_register_history

OPTS = {"model": "cas-register", "independent": True}


def test_generated_histories_are_deterministic_and_linearizable():
    a = keyed_register_history(2000, keys=10, concurrency=8, seed=3, info_rate=0.05)
    b = keyed_register_history(2000, keys=10, concurrency=8, seed=3, info_rate=0.05)
    assert [op.to_dict() for op in a] == [op.to_dict() for op in b]
    assert sum(op.type == "invoke" for op in a) == 2000
    assert {op.type for op in a} == {"invoke", "ok", "fail", "info"}
    r = check(a, OPTS)
    assert r["valid"] is True and r["partitions"] == 10


def test_stale_reads_are_caught_with_the_key():
    h = keyed_register_history(3000, keys=5, concurrency=4, seed=7, stale_reads=20)
    r = check(h, OPTS)
    assert r["valid"] is False
    w = r["anomalies"]["nonlinearizable"][0]
    assert w["key"] == r["failed_partition"]
    assert w["prefixes"][0]["blocked"]["f"] == "read"
