"""Sorted string tables: immutable sorted runs with a sparse index and a Bloom filter.

Layout::

    frame(entry) ...             data: entries in key order, in blocks of ``block_entries``
    frame(index)                 the first key and offset of every block, and the data end
    frame(bloom)                 the table's Bloom filter
    footer: index_off:u64 bloom_off:u64 crc32:u32

A lookup asks the Bloom filter, bisects the sparse index for the one block that could hold
the key, reads that block and checks each frame's checksum while scanning it.  Tables are
written to a temporary name, fsynced, and renamed into place: a table file either is
complete or does not exist under its final name.
"""

from __future__ import annotations

import bisect
import struct
import zlib
from collections.abc import Iterator

from systems.storage._bloom import BloomFilter
from systems.storage._disk import Disk
from systems.storage._encoding import Field, decode, encode, schema
from systems.storage._errors import CorruptionError
from systems.storage._record import entry_bytes, entry_key, frame, parse_entry, unframe

FOOTER = struct.Struct(">QQI")
INDEX = schema(
    "SparseIndex",
    Field(1, "keys", "bytes", repeated=True),
    Field(2, "offsets", "uint", repeated=True),
    Field(3, "end", "uint", default=0),
    Field(4, "count", "uint", default=0),
    Field(5, "last", "bytes"),  # added later: tables without it compute it on open
)
Entry = tuple[bytes, bytes | None]


class TableWriter:
    """Appends sorted entries to ``name``; ``finish`` writes index, filter and footer."""

    def __init__(self, disk: Disk, name: str, bits_per_key: float, block_entries: int) -> None:
        self.disk, self.name = disk, name
        self.bits_per_key, self.block_entries = bits_per_key, block_entries
        self.keys: list[bytes] = []
        self.block_keys: list[bytes] = []
        self.offsets: list[int] = []
        self.end = 0
        disk.delete(name)
        disk.write(name, 0, b"")

    def add(self, entries: list[Entry]) -> None:
        buf = bytearray()
        for k, v in entries:
            if len(self.keys) % self.block_entries == 0:
                self.block_keys.append(k)
                self.offsets.append(self.end + len(buf))
            self.keys.append(k)
            buf += frame(entry_bytes(k, v))
        if buf:
            self.disk.append(self.name, bytes(buf))
            self.end += len(buf)

    def finish(self) -> int:
        bloom = BloomFilter.for_keys(len(self.keys), self.bits_per_key)
        for k in self.keys:
            bloom.add(k)
        rec = {"keys": self.block_keys, "offsets": self.offsets, "end": self.end}
        rec["count"] = len(self.keys)
        rec["last"] = self.keys[-1] if self.keys else None
        index_off = self.disk.append(self.name, frame(encode(INDEX, rec)))
        bloom_off = self.disk.append(self.name, frame(bloom.to_bytes()))
        head = struct.pack(">QQ", index_off, bloom_off)
        self.disk.append(self.name, head + zlib.crc32(head).to_bytes(4, "big"))
        self.disk.fsync(self.name)
        return self.disk.size(self.name)


def write_table(
    disk: Disk, name: str, entries: list[Entry], bits_per_key: float, block_entries: int
) -> int:
    w = TableWriter(disk, name, bits_per_key, block_entries)
    w.add(entries)
    return w.finish()


class Table:
    """An open table: its sparse index and filter in memory, its blocks on disk."""

    def __init__(self, disk: Disk, name: str, number: int) -> None:
        self.disk, self.name, self.number = disk, name, number
        self.size = disk.size(name)
        if self.size < FOOTER.size:
            raise CorruptionError(f"{name}: too short for a table")
        index_off, bloom_off, crc = FOOTER.unpack(disk.read(name, self.size - FOOTER.size))
        if zlib.crc32(struct.pack(">QQ", index_off, bloom_off)) != crc:
            raise CorruptionError(f"{name}: footer checksum mismatch")
        tail = disk.read(name, index_off, self.size - FOOTER.size - index_off)
        index_payload, nxt = unframe(tail, 0)
        bloom_payload, _ = unframe(tail, nxt)
        index = decode(INDEX, index_payload)
        self.block_keys: list[bytes] = index["keys"]
        self.offsets: list[int] = index["offsets"]
        self.end: int = index["end"]
        self.count: int = index["count"]
        self.bloom = BloomFilter.from_bytes(bloom_payload)
        self.first: bytes = self.block_keys[0] if self.block_keys else b""
        self.last: bytes = index["last"] if index["last"] is not None else self._last_key()
        self.probes = self.block_reads = self.bloom_negatives = 0

    def _last_key(self) -> bytes:
        last = b""
        if self.offsets:
            for k, _ in self._block(len(self.offsets) - 1):
                last = k
        return last

    def get(self, key: bytes) -> tuple[bool, bytes | None]:
        """(found, value); a found ``None`` is a tombstone."""
        self.probes += 1
        if not self.bloom.might_contain(key):
            self.bloom_negatives += 1
            return False, None
        i = bisect.bisect_right(self.block_keys, key) - 1
        if i < 0:
            return False, None
        for payload in self._payloads(i):
            k = entry_key(payload)
            if k == key:
                return True, parse_entry(payload)[1]
            if k > key:
                break
        return False, None

    def _payloads(self, i: int) -> Iterator[bytes]:
        start = self.offsets[i]
        stop = self.offsets[i + 1] if i + 1 < len(self.offsets) else self.end
        self.block_reads += 1
        data = self.disk.read(self.name, start, stop - start)
        pos = 0
        while pos < len(data):
            payload, pos = unframe(data, pos)
            yield payload

    def _block(self, i: int) -> Iterator[Entry]:
        for payload in self._payloads(i):
            yield parse_entry(payload)

    def scan(self, lo: bytes | None = None, hi: bytes | None = None) -> Iterator[Entry]:
        first = 0 if lo is None else max(0, bisect.bisect_right(self.block_keys, lo) - 1)
        for i in range(first, len(self.offsets)):
            if hi is not None and self.block_keys[i] >= hi:
                return
            for k, v in self._block(i):
                if hi is not None and k >= hi:
                    return
                if lo is None or k >= lo:
                    yield k, v
