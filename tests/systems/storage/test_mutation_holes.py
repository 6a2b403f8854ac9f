"""Storage engines: holes found by mutation testing (issue #19, sixth pass).

The survivors of fresh samples of ``tools/mutation.py run systems/storage --sample 60
--seed S`` (seeds 71, 73, 75; docs/testing.md): encodings pinned byte for byte, split points,
counters, the real disk's bookkeeping and refusals, error texts; and the third pass's
"not analysed" node replies (``unsupported`` text, the client's timeout completion).
Seed 75's LSM and B-tree survivors (the WAL numbering after recovery, the flush boundary,
an empty leveled output, the redo record's page filter, the free-list cap) are at the end.
Each test names its mutant; each mutation was applied by hand and the test seen to fail.
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import pytest

from systems import SYSTEMS
from systems.sim import MS, SimDisk, World, run_simulated
from systems.storage import Bitcask, BTree, CorruptionError, LSMTree, RealDisk
from systems.storage._bloom import expected_fp_rate
from systems.storage._btree import REDO, WAL, Node, _balanced_mid
from systems.storage._encoding import (
    Field,
    Schema,
    decode,
    decode_avro,
    encode,
    encode_avro,
    to_json,
)
from systems.storage._record import entry_bytes, entry_key, key_bytes, key_from_bytes, scan_file


def test_a_page_splits_at_the_first_key_reaching_half_its_bytes() -> None:
    """Kills ``_btree._balanced_mid`` ``acc >= half`` -> ``acc > half``: four equal
    entries split two and two (a leaf) and an internal node of four equal keys promotes
    its second (index 1), not the third: the halves are as even as the bytes allow."""
    keys = [b"k%d" % i for i in range(4)]
    assert _balanced_mid(Node(True, list(keys), [b"v"] * 4)) == 2
    assert _balanced_mid(Node(False, list(keys), [], list(range(5)))) == 1
    assert _balanced_mid(Node(True, list(keys[:2]), [b"v"] * 2)) == 1


def test_btree_counters_start_at_zero_and_count_each_event() -> None:
    """Kills ``BTree.__init__`` ``dict.fromkeys(..., 0)`` -> ``1``: the statistics (the
    benchmarks' cache hit rates, split and checkpoint counts) start at zero."""
    b = BTree(SimDisk(random.Random(0)))
    assert set(b.stats.values()) == {0}
    b.put(b"a", b"1")
    b.get(b"a")
    assert b.stats["hits"] == 2 and b.stats["misses"] == 0 and b.stats["splits"] == 0


@pytest.mark.parametrize("name", ["", ".", "..", "a/b"])
def test_the_real_disk_refuses_names_outside_its_directory(tmp_path: Path, name: str) -> None:
    """Kills ``RealDisk._p`` ``name in ("", ".", "..")`` -> ``("XXXX", ...)``: an empty
    name (the directory itself) is refused like ``.``, ``..`` and a path."""
    disk = RealDisk(str(tmp_path / "d"))
    with pytest.raises(ValueError, match=r"^bad file name "):
        disk.write(name, 0, b"x")


def test_the_real_disks_size_follows_positioned_writes(tmp_path: Path) -> None:
    """Kills ``RealDisk.write`` ``max(size, offset + len(payload))`` -> ``offset -
    len``: a write past the end grows the file to its end, so ``size``, an ``append``
    after it and a whole-file ``read`` see every byte."""
    disk = RealDisk(str(tmp_path / "d"))
    disk.write("f", 0, b"abc")
    assert disk.size("f") == 3
    disk.write("f", 5, b"xy")
    assert disk.size("f") == 7
    assert disk.append("f", b"!") == 7
    assert disk.read("f") == b"abc\x00\x00xy!"
    disk.write("f", 1, b"B")  # inside: the size stays
    assert disk.size("f") == 8


def test_a_field_tag_out_of_range_is_named() -> None:
    """Kills ``_encoding.Field.__post_init__``'s message -> ``ValueError(None)``: a
    schema author is told which field and which tag."""
    for tag in (0, 2**29):
        with pytest.raises(ValueError, match=rf"^field x: tag {tag} out of range$"):
            Field(tag, "x", "bytes")
    with pytest.raises(ValueError, match=r"^field x: unknown type 'decimal'$"):
        Field(1, "x", "decimal")


def test_a_long_key_is_read_back_from_its_entry() -> None:
    """Kills ``_record.entry_key`` ``parse_entry(payload)`` -> ``parse_entry(None)``:
    a key of 128 bytes or more (a two-byte length) is read by the full decode."""
    for key in (b"k", b"k" * 127, b"k" * 128, b"k" * 300):
        assert entry_key(entry_bytes(key, b"v")) == key
        assert entry_key(entry_bytes(key, None)) == key


def test_key_bytes_are_pinned_and_sort_as_the_keys() -> None:
    """Kills ``_record.key_bytes`` ``-(2**63) <=`` -> ``-(2*63) <=`` (integers below
    -126 encoded as JSON, sorting after every string) and the string tag ``b"\\x02"`` ->
    ``b"XX\\x02XX"`` (the on-disk encoding changed: files written before unreadable)."""
    assert key_bytes("k") == b"\x02k"
    assert key_bytes(-1000) == b"\x01" + (2**63 - 1000).to_bytes(8, "big")
    keys = [-(2**63), -1000, -127, 0, 2**63 - 1, "", "a", "b", 2**63, None]
    encoded = [key_bytes(k) for k in keys]
    assert encoded == sorted(encoded[:7]) + encoded[7:]
    assert [key_from_bytes(b) for b in encoded] == keys
    assert key_bytes(2**63)[:1] == key_bytes(-(2**63) - 1)[:1] == b"\x03"


def _replies(system: str, steps: list[Any], crash: bool = False) -> list[dict[str, Any]]:
    """The node's replies to ``steps``, or the client's completions of them as ops when
    ``crash`` (the node crashed first: every request times out)."""

    async def main() -> list[dict[str, Any]]:
        world = World(1)
        s = SYSTEMS[system].build()
        s.setup(world)
        world.start_all()
        async with world.running():
            if crash:
                world.host("n1").crash()
                client = s.client(world, 0)
                await client.open("n1")
                return [await client.invoke(step) for step in steps]
            c = world.client("c1")
            replies = [await c.request("n1", step, 500 * MS) for step in steps]
            return [{k: v for k, v in r.items() if k != "in_reply_to"} for r in replies]

    return run_simulated(main, seed=1)


def test_an_unknown_request_and_a_cas_mismatch_are_explained() -> None:
    """Kills ``StorageNode.on_message``'s ``unsupported`` reply without its text and the
    ``cas-mismatch`` text: an error reply says which request was not understood and what
    value the cas found."""
    replies = _replies(
        "bitcask",
        [
            {"type": "frobnicate"},
            {"type": "write", "key": 1, "value": "a"},
            {"type": "cas", "key": 1, "value": ["b", "c"]},
        ],
    )
    assert replies[0] == {
        "type": "error",
        "code": "unsupported",
        "definite": True,
        "text": "unknown request 'frobnicate'",
    }
    assert replies[2] == {
        "type": "error",
        "code": "cas-mismatch",
        "definite": True,
        "text": "expected 'b', found 'a'",
    }


def test_a_request_to_a_crashed_node_completes_as_info_timeout() -> None:
    """Kills ``StorageClient.invoke``'s timeout completion (error text, type or value):
    a write whose node never answers is indeterminate -- ``info``, ``error: timeout``,
    the value it tried to write -- and carries no ``durable`` mark."""
    (out,) = _replies("lsm", [{"f": "write", "value": [1, 5]}], crash=True)
    assert out == {"type": "info", "value": [1, 5], "error": "timeout"}


# -- seed 73 ----------------------------------------------------------------------------


def test_the_real_disk_counts_fsyncs_from_zero(tmp_path: Path) -> None:
    """Kills ``RealDisk.__init__`` ``fsyncs = 0`` -> ``1``: the count (the benchmarks'
    and durability tests' measure of group commit) is of this disk's fsyncs."""
    disk = RealDisk(str(tmp_path / "d"))
    assert disk.fsyncs == 0
    disk.write("f", 0, b"x")
    disk.fsync("f")
    assert disk.fsyncs == 1


def test_the_bloom_filters_false_positive_rate_uses_the_best_hash_count() -> None:
    """Kills ``_bloom.expected_fp_rate`` ``k = max(1, round(ln 2 * bits))`` -> ``k = 1``
    (the estimate of a one-hash filter): at 10 bits a key, 7 hashes, about 0.82%."""
    assert expected_fp_rate(10) == pytest.approx((1 - math.exp(-0.7)) ** 7)
    assert expected_fp_rate(10) == pytest.approx(0.00819, abs=1e-5)
    assert expected_fp_rate(1) == pytest.approx(1 - math.exp(-1))


def test_a_truncated_fixed64_field_is_corruption() -> None:
    """Kills ``_encoding._get_raw`` ``pos + 8 > len(data)`` -> ``pos - 8 > ...``: a float
    cut short is reported as corruption (recovery refuses it), not a ``struct.error``."""
    s = Schema("t", (Field(1, "x", "float"),))
    data = encode(s, {"x": 1.5})
    assert decode(s, data)["x"] == 1.5
    with pytest.raises(CorruptionError, match=r"^truncated fixed64$"):
        decode(s, data[:-3])


def test_to_json_sorts_its_keys() -> None:
    """Kills ``_encoding.to_json`` ``json.dumps(..., sort_keys=True)`` -> unsorted: the
    JSON form is canonical (keys sorted, whatever the schema's field order), so equal
    records give equal text (the encoding comparisons measure it)."""
    s = Schema("t", (Field(1, "zeta", "uint"), Field(2, "alpha", "string")))
    assert to_json(s, {"zeta": 3, "alpha": "a"}) == '{"alpha":"a","zeta":3}'


def test_a_deleted_key_stays_deleted_after_recovery_from_hints() -> None:
    """Kills ``Bitcask._commit`` the hint record's ``"tombstone"`` key written as
    ``"TOMBSTONE"`` (an unknown field, so every hint said live): a tombstone a merge kept
    came back into the index on recovery from the hint file (``keys`` counted it)."""
    disk = SimDisk(random.Random(0))
    options = {"segment_bytes": 120, "merge_fanout": 2, "merge_batch": 4, "major_every": 100}
    b = Bitcask(disk, **options)  # type: ignore[arg-type]
    for i in range(30):
        b.put(b"k%d" % (i % 5), b"v%d" % i)
    b.delete(b"k1")
    for i in range(30):
        b.put(b"k%d" % (i % 3 + 2), b"w%d" % i)
    while b.needs_compaction():
        b.compact_step()
    b.sync()
    assert any(name.endswith(".hint") for name in disk.list())
    again = Bitcask(disk, **options)  # type: ignore[arg-type]
    assert again.info()["hint_loads"] == 1
    assert again.info()["keys"] == b.info()["keys"] == 4
    assert again.get(b"k1") is None
    assert [k for k, _ in again.scan()] == [b"k0", b"k2", b"k3", b"k4"]


# -- seed 75 ----------------------------------------------------------------------------


def test_a_torn_tail_is_counted_once() -> None:
    """Kills ``Bitcask._replay`` ``stats["torn_tails"] += 1`` -> ``+= 2``: recovery over
    a segment whose last frame was cut short counts one torn tail and keeps the writes
    before it."""
    disk = SimDisk(random.Random(0))
    b = Bitcask(disk)
    b.put(b"a", b"1")
    b.sync()
    (seg,) = [n for n in disk.list() if n.endswith(".data")]
    disk.append(seg, b"\x00\x00")  # the first bytes of a frame header, then the crash
    again = Bitcask(disk)
    assert again.info()["torn_tails"] == 1 and again.get(b"a") == b"1"


def test_bytes_after_the_last_avro_field_are_counted() -> None:
    """Kills ``_encoding.decode_avro``'s message ``len(data) - pos`` -> ``len(data) +
    pos``: the corruption says how many bytes are left over."""
    s = Schema("t", (Field(1, "x", "uint", required=True),))
    data = encode_avro(s, {"x": 5})
    assert decode_avro(s, s, data) == {"x": 5}
    with pytest.raises(CorruptionError, match=r"^t: 3 bytes after the last field$"):
        decode_avro(s, s, data + b"abc")


def test_each_storage_system_is_described() -> None:
    """Kills ``_entries._entry`` ``SystemEntry(name, text, ...)`` -> ``(name, None,
    ...)``: ``ddialab list`` shows each storage system's description."""
    assert SYSTEMS["bitcask"].description == (
        "log-structured hash index (Bitcask): fsync per write, merges keep tombstones"
    )


def test_a_field_key_never_seen_before_is_encoded() -> None:
    """Kills ``_encoding._key_bytes`` ``put_varint(buf, key)`` -> ``put_varint(key)``
    (a ``TypeError`` on the first field of a (tag, type) not yet in the module's cache:
    under mutmut's fork every tag the other tests used is cached already, so this one
    uses a tag no other test does)."""
    tag = 2**28 + 12345
    s = Schema("t", (Field(tag, "x", "sint"),))
    data = encode(s, {"x": -7})
    assert data == bytes.fromhex("c8838680080d")  # varint(tag << 3 | VARINT), zigzag(-7)
    assert decode(s, data) == {"x": -7}


def test_a_write_after_recovery_survives_the_next_crash_with_two_live_logs() -> None:
    """Kills ``LSMTree._replay_wals`` ``next_file = max(next_file, n + 1)`` -> ``n - 1``
    (seed 75's survivor): a crash with an immutable memtable leaves two live WALs, 1 and 2.
    Recovery must number the new WAL past both; the mutant reuses 1, so a write made after
    recovery lands in the *older* log, and the next recovery replays log 2 over it: the
    acknowledged ``v2`` comes back as ``v1`` (a lost update)."""
    disk = SimDisk(random.Random(0))
    e = LSMTree(disk, memtable_bytes=200)
    i = 10
    while e.immutable is None:  # fill the memtable until it turns immutable (no flush runs)
        e.put(key_bytes(i), b"x" * 20)
        i += 1
    e.put(key_bytes(1), b"v1")
    assert sorted(disk.list("wal-")) == ["wal-00000001.log", "wal-00000002.log"]
    disk.crash()
    e = LSMTree(disk, memtable_bytes=200)
    assert e.wal == 3 and e.get(key_bytes(1)) == b"v1"
    e.put(key_bytes(1), b"v2")
    disk.crash()
    assert LSMTree(disk, memtable_bytes=200).get(key_bytes(1)) == b"v2"


def test_the_memtable_freezes_when_it_reaches_its_size() -> None:
    """Kills ``LSMTree._write`` ``mem_size >= memtable_bytes`` -> ``>`` (seed 75): the
    memtable turns immutable *at* ``memtable_bytes`` (docs/storage.md), not one byte
    later; a put one byte short leaves it mutable.  Each entry counts key + value + 8."""
    e = LSMTree(SimDisk(random.Random(0)), memtable_bytes=20)
    e.put(b"ab", b"x" * 9)  # 19 bytes: below the boundary
    assert e.immutable is None and e.mem_size == 19
    e = LSMTree(SimDisk(random.Random(0)), memtable_bytes=20)
    e.put(b"ab", b"x" * 10)  # exactly 20
    assert e.immutable == {b"ab": b"x" * 10} and e.memtable == {} and e.mem_size == 0
    assert e.wal == e.imm_log == 2  # the next write goes to a new log


def test_a_leveled_merge_of_tombstones_only_installs_no_empty_table() -> None:
    """Kills ``LSMTree._finish_output`` ``empty and style == "leveled"`` inverted (seed
    75): a leveled merge at the bottom whose every entry is a dropped tombstone writes an
    empty output, which must be deleted, not renamed into an ``sst-`` file and installed
    in L1 (an empty table nothing overlaps, kept forever and counted in L1's size)."""
    disk = SimDisk(random.Random(0))
    e = LSMTree(disk, compaction="leveled", fanout=4)
    for round_ in range(4):  # four L0 tables: puts, then three of deletes
        for i in range(4):
            if round_ == 0:
                e.put(key_bytes(i), b"v")
            else:
                e.delete(key_bytes(i))
        e.flush()
    assert len(e.levels[0]) == 4
    while e.compact_step():
        pass
    assert e.info()["compactions"] == 1 and e.info()["tombstones_dropped"] == 4
    assert e.levels == [[], []] and disk.list("sst-") == []
    assert LSMTree(disk, compaction="leveled").levels == [[]]


def _btree_filled_then_emptied(disk: SimDisk) -> BTree:
    """A 128-byte-page B-tree of 200 keys (62 splits), checkpointed, then every key
    deleted in order: each leftmost leaf is merged into its right sibling."""
    b = BTree(disk, page_size=128)
    for i in range(200):
        b.put(key_bytes(i), b"v%d" % i)
    b.checkpoint()
    for i in range(200):
        b.delete(key_bytes(i))
    return b


def test_a_redo_record_logs_a_page_once_image_or_logical() -> None:
    """Kills ``BTree._log`` filtering the logical ops on ``op[1]`` (the key) instead of
    ``op[0]`` (the page) against ``touched`` (seed 75): a delete that is logged as a
    logical op on a leaf and then merges that leaf writes the leaf's full after-image;
    the record must not carry the logical op as well (docs: a changed page gets its
    image *or*, if already imaged, a small logical record), so the log stays short."""
    disk = SimDisk(random.Random(0))
    b = _btree_filled_then_emptied(disk)
    records = [decode(REDO, p) for _, p in scan_file(disk, WAL, repair=False)]
    assert len(records) == 200 and b.info()["merges"] == 62
    assert sum(len(r["op_pages"]) for r in records) == 150  # logical ops were logged
    for r in records:
        assert not set(r["pages"]) & set(r["op_pages"]), r
    disk.crash()
    assert BTree(disk, page_size=128).scan() == []


def test_the_free_list_keeps_at_most_an_eighth_of_a_page_of_numbers() -> None:
    """Kills ``BTree._release`` ``len(free) < capacity // 8`` -> ``<=`` (seed 75): the
    free list (stored in the meta page) is capped at ``capacity // 8`` page numbers;
    pages released past the cap are dropped, not kept (the mutant keeps one more).
    The full list survives a checkpoint and a crash, and is reused before new pages."""
    disk = SimDisk(random.Random(0))
    b = _btree_filled_then_emptied(disk)
    assert b.info()["merges"] > b.capacity // 8 == 15
    assert b.info()["free"] == 15 and b.info()["pages"] == 67
    b.checkpoint()
    disk.crash()
    again = BTree(disk, page_size=128)
    assert again.info()["free"] == 15
    i = 0
    while again.info()["free"]:
        again.put(key_bytes(i), b"w%d" % i)
        i += 1
    assert again.info()["pages"] == 67  # every new page so far came off the free list
