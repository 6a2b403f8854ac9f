"""The three engines: behaviour, crashes at every disk operation, bit flips, real directories."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from systems.sim import SimDisk
from systems.storage import (
    BTree,
    CorruptionError,
    Crash,
    CrashingDisk,
    Disk,
    LSMTree,
    RealDisk,
    TooLarge,
    make_engine,
)
from systems.storage._record import key_bytes

SMALL: dict[str, dict[str, Any]] = {
    "bitcask": {"segment_bytes": 256, "merge_fanout": 2, "merge_batch": 4},
    "lsm": {"memtable_bytes": 160, "block_entries": 4, "fanout": 3, "batch": 4},
    "lsm-leveled": {"memtable_bytes": 160, "block_entries": 4, "fanout": 2, "batch": 4,
                    "compaction": "leveled", "level_bytes": 400, "table_bytes": 200},
    "btree": {"page_size": 128, "cache_pages": 4, "dirty_limit": 4},
}  # fmt: skip
ENGINES = sorted(SMALL)


def engine(name: str, disk: Disk) -> Any:
    return make_engine(name.split("-")[0], disk, **SMALL[name])


def k(i: int) -> bytes:
    return key_bytes(i)


def script(seed: int, n: int, keys: int = 12) -> list[tuple[str, bytes, bytes | None]]:
    rng = random.Random(seed)
    ops: list[tuple[str, bytes, bytes | None]] = []
    for i in range(n):
        key = k(rng.randrange(keys))
        if rng.random() < 0.25:
            ops.append(("delete", key, None))
        else:
            ops.append(("put", key, f"v{i}".encode() * rng.randint(1, 3)))
    return ops


def apply(e: Any, op: tuple[str, bytes, bytes | None], model: dict[bytes, bytes]) -> None:
    f, key, value = op
    if f == "put":
        assert value is not None
        e.put(key, value)
        model[key] = value
    else:
        e.delete(key)
        model.pop(key, None)


def background(e: Any) -> None:
    while e.needs_compaction() and e.compact_step():
        pass


@pytest.mark.parametrize("name", ENGINES)
def test_reads_writes_deletes_and_scans(name: str) -> None:
    disk = SimDisk(random.Random(0))
    e = engine(name, disk)
    model: dict[bytes, bytes] = {}
    for i, op in enumerate(script(1, 400, keys=40)):
        apply(e, op, model)
        if i % 3 == 0:
            background(e)
        assert e.get(op[1]) == model.get(op[1])
    assert e.scan() == sorted(model.items())
    assert e.scan(k(5), k(20)) == sorted(x for x in model.items() if k(5) <= x[0] < k(20))
    disk.crash()
    assert engine(name, disk).scan() == sorted(model.items())


@pytest.mark.parametrize("name", ENGINES)
def test_the_script_exercises_background_work(name: str) -> None:
    e = engine(name, SimDisk(random.Random(0)))
    model: dict[bytes, bytes] = {}
    for op in script(2, 150):
        apply(e, op, model)
        background(e)
    stats = e.stats
    wanted = {"bitcask": ["merges", "tombstones_dropped"], "lsm": ["flushes", "compactions"],
              "lsm-leveled": ["flushes", "compactions", "tombstones_dropped"],
              "btree": ["splits", "merges", "checkpoints"]}[name]  # fmt: skip
    assert all(stats[w] > 0 for w in wanted), stats
    if name == "lsm-leveled":
        assert len(e.levels) >= 3 and all(_disjoint(level) for level in e.levels[1:])


def _disjoint(level: list[Any]) -> bool:
    return all(a.last < b.first for a, b in itertools.pairwise(level))


@pytest.mark.parametrize("name", ENGINES)
@pytest.mark.parametrize("torn", [False, True])
def test_a_crash_at_any_disk_operation_loses_only_the_unacknowledged(name: str, torn: bool) -> None:
    """Stop the engine at its n-th mutating disk call -- inside appends, fsyncs, merges,
    flushes, compactions, splits, checkpoints -- for every n; recover from what is left.
    Every acknowledged (returned) write must be there; the one in flight may or may not."""
    ops = script(3, 100)
    total = _mutations(name, ops)
    assert total > 200
    stride = total // 60  # ~60 crash points per engine and mode, offset between the modes
    where = {"write": 0, "background": 0}
    for n in range(stride // 2 if torn else 0, total, stride):
        sim = SimDisk(random.Random(n))
        disk = CrashingDisk(sim, n)
        e = engine(name, disk)
        model: dict[bytes, bytes] = {}
        inflight: tuple[str, bytes, bytes | None] | None = None
        try:
            for op in ops:
                inflight = op
                apply(e, op, model)
                inflight = None
                background(e)
        except Crash:
            where["write" if inflight else "background"] += 1
        sim.crash(torn=torn)
        got = dict(engine(name, sim).scan())
        _same_but_inflight(got, model, inflight, n)
    # crashes landed both inside writes (appends, fsyncs, splits) and inside background
    # work (merges, flushes, compactions, checkpoints)
    assert min(where.values()) >= 5, where


def _mutations(name: str, ops: list[tuple[str, bytes, bytes | None]]) -> int:
    disk = CrashingDisk(SimDisk(random.Random(0)), None)
    e = engine(name, disk)
    for op in ops:
        apply(e, op, {})
        background(e)
    return disk.mutations


def _same_but_inflight(got: dict[bytes, bytes], model: dict[bytes, bytes], inflight: Any,
                       n: int) -> None:  # fmt: skip
    if inflight is None:
        assert got == model, f"crash at mutation {n}"
        return
    _, key, value = inflight
    others = {x: v for x, v in got.items() if x != key}
    assert others == {x: v for x, v in model.items() if x != key}, f"crash at mutation {n}"
    assert got.get(key) in (model.get(key), value), f"crash at mutation {n}"


@pytest.mark.parametrize("name", ENGINES)
def test_flipped_bits_are_detected_never_served(name: str) -> None:
    rng = random.Random(4)
    base = SimDisk(random.Random(0))
    e = engine(name, base)
    model: dict[bytes, bytes] = {}
    for op in script(5, 200):
        apply(e, op, model)
        background(e)
    files = {f: base.size(f) for f in base.list() if base.size(f)}
    detected = 0
    for _ in range(60):
        disk = _copy(base)
        f = rng.choice(sorted(files))
        disk.flip_bit(f, rng.randrange(files[f]), rng.randrange(8))
        try:
            e2 = engine(name, disk)
            for key in {k(i) for i in range(12)}:
                assert e2.get(key) == model.get(key)
        except CorruptionError:
            detected += 1
    assert detected > 10


def _copy(disk: SimDisk) -> SimDisk:
    out = SimDisk(random.Random(0))
    for f in disk.list():
        out.write(f, 0, disk.read(f))
        out.fsync(f)
    return out


@pytest.mark.parametrize("name", ENGINES)
def test_engines_run_on_a_real_directory(name: str, tmp_path: Path) -> None:
    disk = RealDisk(str(tmp_path))
    e = engine(name, disk)
    model: dict[bytes, bytes] = {}
    for op in script(6, 100):
        apply(e, op, model)
        background(e)
    disk.close()
    again = RealDisk(str(tmp_path))
    assert engine(name, again).scan() == sorted(model.items())
    again.close()


def test_real_disk_file_operations(tmp_path: Path) -> None:
    d = RealDisk(str(tmp_path))
    assert d.append("a", b"hello") == 0 and d.append("a", b" world") == 5
    d.fsync("a")
    assert d.read("a") == b"hello world" and d.read("a", 6, 5) == b"world"
    d.write("a", 0, b"J")
    d.truncate("a", 5)
    assert d.size("a") == 5 and d.read("a") == b"Jello"
    d.rename("a", "b")
    assert d.list() == ["b"] and not d.exists("a")
    d.delete("b")
    d.delete("b")
    assert d.list() == []
    with pytest.raises(ValueError):
        d.read("../x")
    d.close()


def _tombstone_scenario(make: Callable[[Disk], Any]) -> tuple[SimDisk, Any]:
    disk = SimDisk(random.Random(0))
    e = make(disk)
    e.put(k(1), b"old" * 30)
    for i in range(30):  # push the value into an older segment / table
        e.put(k(100 + i), b"x" * 20)
    e.delete(k(1))
    for i in range(30):
        e.put(k(200 + i), b"y" * 20)
    return disk, e


@pytest.mark.parametrize("unsafe", [False, True])
def test_bitcask_tombstones_survive_minor_merges(unsafe: bool) -> None:
    def make(d: Disk) -> Any:
        return make_engine("bitcask", d, segment_bytes=256, merge_fanout=2, major_every=10**6,
                           unsafe_tombstones=unsafe)  # fmt: skip

    disk, e = _tombstone_scenario(make)
    background(e)  # minor merges only: the oldest segment, holding "old", is never merged
    assert e.stats["merges"] > 3 and e.files[0].lo == 1 and e.get(k(1)) is None
    assert e.stats["tombstones_dropped"] == (1 if unsafe else 0)
    disk.crash()
    assert make(disk).get(k(1)) == (b"old" * 30 if unsafe else None)


def test_lsm_keeps_tombstones_above_the_bottom_table() -> None:
    disk = SimDisk(random.Random(0))
    e = LSMTree(disk, memtable_bytes=100_000, fanout=2)
    e.put(k(1), b"old")
    e.flush()
    e.put(k(2), b"x" * 2000)
    e.flush()  # a big table between
    e.delete(k(1))
    e.flush()
    e.put(k(3), b"z")
    e.flush()
    picked = e._pick()
    assert picked and picked[0][0] is not e.tables[0]
    background(e)
    assert e.stats["compactions"] >= 1 and e.get(k(1)) is None
    disk.crash()
    assert LSMTree(disk).get(k(1)) is None


def test_lsm_bloom_filters_skip_tables() -> None:
    e = LSMTree(SimDisk(random.Random(0)), memtable_bytes=200, fanout=100)
    for i in range(200):
        e.put(k(i), b"v")
    e.flush()
    for i in range(1000, 1200):
        assert e.get(k(i)) is None
    probes = sum(t.probes for t in e.tables)
    negatives = sum(t.bloom_negatives for t in e.tables)
    assert probes > 100 and negatives / probes > 0.9


def test_btree_rejects_entries_too_big_for_a_page() -> None:
    e = BTree(SimDisk(random.Random(0)), page_size=128)
    with pytest.raises(TooLarge):
        e.put(k(1), b"x" * 100)


def test_btree_grows_and_shrinks() -> None:
    e = BTree(SimDisk(random.Random(0)), page_size=128)
    for i in range(300):
        e.put(k(i), b"v%d" % i)
    deep = e.root
    for i in range(300):
        e.delete(k(i))
    assert e.scan() == [] and e.stats["merges"] > 20 and e.root != deep
    assert e._node(e.root).leaf


def test_lsm_reads_files_written_before_levels_existed() -> None:
    """Schema evolution on disk: a MANIFEST without the ``levels`` field (every table is
    then L0) and a table index without ``last`` (computed on open) still read."""
    from systems.storage._encoding import decode, encode, schema
    from systems.storage._lsm import MANIFEST
    from systems.storage._record import frame, scan_file

    disk = SimDisk(random.Random(0))
    e = LSMTree(disk, memtable_bytes=100_000)
    for i in range(50):
        e.put(k(i), b"v%d" % i)
        if i % 10 == 9:
            e.flush()
    rec = decode(MANIFEST, scan_file(disk, "MANIFEST", repair=False)[-1][1])
    old = schema("Manifest", *[f for f in MANIFEST.fields if f.name != "levels"])
    disk.delete("MANIFEST")
    disk.append("MANIFEST", frame(encode(old, rec)))
    disk.fsync("MANIFEST")
    again = LSMTree(disk)
    assert len(again.levels) == 1 and len(again.tables) == 5
    assert again.scan() == [(k(i), b"v%d" % i) for i in range(50)]
    t = again.tables[0]
    assert t.last == t._last_key() == k(9)
