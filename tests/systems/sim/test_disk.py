import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systems.sim import DiskError, SimDisk, load_json, save_json


def test_crash_loses_only_unsynced_writes():
    d = SimDisk(random.Random(1))
    d.append("log", b"abc")
    d.fsync("log")
    d.append("log", b"def")
    assert d.read("log") == b"abcdef"
    d.crash()
    assert d.read("log") == b"abc"


def test_torn_write_keeps_a_prefix_of_the_last_write():
    d = SimDisk(random.Random(3))
    d.append("log", b"abc")
    d.fsync("log")
    d.append("log", b"0123456789")
    d.crash(torn=True)
    data = d.read("log")
    assert data.startswith(b"abc")
    assert b"abc0123456789".startswith(data)


def test_overwrite_then_sync_then_crash():
    d = SimDisk(random.Random(1))
    d.write("f", 0, b"xxxx")
    d.fsync("f")
    d.write("f", 1, b"YY")
    d.fsync("f")
    d.write("f", 0, b"Z")
    d.crash()
    assert d.read("f") == b"xYYx"


def test_bit_flip_corrupts_durable_data():
    d = SimDisk(random.Random(1))
    d.append("f", b"\x00\x00")
    d.fsync("f")
    d.flip_bit("f", 1, 3)
    d.crash()
    assert d.read("f") == b"\x00\x08"


def test_missing_file_is_a_disk_error():
    with pytest.raises(DiskError, match="no such file: nope"):
        SimDisk(random.Random(1)).read("nope")


@given(st.lists(st.tuples(st.sampled_from(["append", "fsync", "write"]), st.binary(max_size=6))))
def test_synced_prefix_always_survives(steps):
    d = SimDisk(random.Random(0))
    model_synced = b""
    current = b""
    for kind, payload in steps:
        if kind == "append":
            d.append("f", payload)
            current += payload
        elif kind == "write" and current:
            d.write("f", 0, payload[:1])
            current = payload[:1] + current[1:] if payload else current
        elif kind == "fsync" and d.exists("f"):
            d.fsync("f")
            model_synced = current
    assert (d.read("f") if d.exists("f") else b"") == current
    d.crash()
    assert (d.read("f") if d.exists("f") else b"") == model_synced


def test_save_json_survives_a_crash_and_load_json_defaults() -> None:
    """Guards the one save_json/load_json every family persists metadata with: the value
    is fsynced (a crash keeps it, even a torn one), a replacement leaves no trace of a
    longer old value, and a missing or empty file reads as the default."""
    disk = SimDisk(random.Random(1))
    assert load_json(disk, "meta", [0, None]) == [0, None]
    save_json(disk, "meta", {"term": 12, "voted_for": "n3", "pad": "x" * 40})
    save_json(disk, "meta", [3, "n1"])
    disk.crash(torn=True)
    assert load_json(disk, "meta", None) == [3, "n1"]
    disk.write("empty", 0, b"")
    assert load_json(disk, "empty", 7) == 7
