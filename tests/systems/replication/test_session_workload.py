"""The session and text workloads: op shapes, unique values, per-replica final reads."""

from __future__ import annotations

import random
from typing import Any

from workloads import get_workload
from workloads.session import final_generator, generator


class _Ctx:
    """Just what the generator asks of a context: the free processes."""

    def free_processes(self) -> list[Any]:
        return [0, 1, 2, "nemesis"]


def _ops(options: dict[str, Any], n: int = 200) -> list[dict[str, Any]]:
    make = generator(random.Random(1), options)
    return [make(_Ctx()) for _ in range(n)]


def test_ops_go_to_random_free_client_processes() -> None:
    assert {op["process"] for op in _ops({})} == {0, 1, 2}
    assert all("process" not in op for op in _ops({"spread": False}))


def test_writes_are_unique_per_key() -> None:
    ops = _ops({"keys": 2})
    writes = [tuple(op["value"]) for op in ops if op["f"] == "write"]
    assert writes and len(writes) == len(set(writes))
    assert {op["f"] for op in ops} == {"read", "write"}


def test_modes_choose_the_write_op() -> None:
    assert {op["f"] for op in _ops({"mode": "append"})} == {"read", "append"}
    assert {op["f"] for op in _ops({"mode": "set"})} == {"read", "add"}
    counter = [op for op in _ops({"mode": "counter"}) if op["f"] == "incr"]
    assert counter and all(op["value"][1] in (-1, 1, 2) for op in counter)


def test_final_reads_cover_every_replica_index_and_key() -> None:
    finals = final_generator(random.Random(0), {"keys": 2, "replicas": 3})
    assert {(op["replica"], op["value"][0]) for op in finals} == {
        (i, k) for i in range(3) for k in range(2)
    }
    assert all(op["f"] == "final-read" for op in finals)


def test_both_workloads_are_registered() -> None:
    assert get_workload("session").checkers({}) == {
        "session": ("session", {}),
        "convergence": ("convergence", {}),
    }
    text = get_workload("text")
    op = text.generator(random.Random(0), {})()
    assert op["f"] in ("insert", "delete", "read")
