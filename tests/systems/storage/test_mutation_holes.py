"""Storage engines: holes found by mutation testing (issue #19, sixth pass).

The survivors of fresh samples of ``tools/mutation.py run systems/storage --sample 60
--seed S`` (seeds 71, 73; docs/testing.md): encodings pinned byte for byte, split points,
counters, the real disk's bookkeeping and refusals, error texts.  Each test names its
mutant; each mutation was applied by hand and the test seen to fail.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from systems.sim import SimDisk
from systems.storage import BTree, RealDisk
from systems.storage._btree import Node, _balanced_mid
from systems.storage._encoding import Field
from systems.storage._record import entry_bytes, entry_key, key_bytes, key_from_bytes


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
