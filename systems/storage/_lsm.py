"""An LSM tree: memtable + write-ahead log, SSTables, size-tiered compaction, a manifest.

Theory of operation
-------------------
A put or delete appends a frame to the current WAL (fsynced before the reply unless the
caller batches with ``sync=False``), then updates the memtable (a dict; a delete stores a
``None`` tombstone).  When the memtable passes ``memtable_bytes`` it becomes the single
*immutable* memtable and a new WAL is started.

Background work is one ``compact_step()`` at a time:

* flush (two steps) -- write the immutable memtable as ``sst-N.sst`` (via ``table.tmp``,
  fsync, rename); then install a new ``MANIFEST`` (via ``MANIFEST.tmp``, fsync, rename)
  listing the tables and the first WAL still needed, and delete older WALs;
* compaction (size-tiered, contiguous as in RocksDB's universal style) -- gather the
  newest tables while the next older one is at most twice their total size; once
  ``fanout`` are gathered, merge them (newest version of each key wins) into one table,
  written ``batch`` entries per step and installed like a flush.  A tombstone is dropped
  only when the merged run includes the oldest table: otherwise an older table may still
  hold a value it must shadow.

Reads look in the memtable, the immutable memtable, then tables newest first; each table
is skipped when its Bloom filter says no, else one block is read (``Table.get``).  The
MANIFEST is the truth about which tables exist: recovery deletes ``*.tmp`` files and
tables it does not list (a flush or compaction that crashed before installing), then
replays every WAL from the listed one on (a torn tail is truncated).

The named unsafe option ``wal=False`` keeps the memtable only in memory: acknowledged
writes are lost if the node crashes before a flush.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from systems.storage._disk import Disk
from systems.storage._encoding import Field, decode, encode, schema
from systems.storage._errors import CorruptionError
from systems.storage._record import entry_bytes, frame, iter_entries, scan_file
from systems.storage._sstable import Entry, Table, TableWriter, write_table

MANIFEST = schema(
    "Manifest",
    Field(1, "tables", "uint", repeated=True),
    Field(2, "log_number", "uint", default=0),
    Field(3, "next_file", "uint", default=1),
)
WAL_NAME = re.compile(r"^wal-(\d{8})\.log$")
SST_NAME = re.compile(r"^sst-(\d{8})\.sst$")


def wal_name(n: int) -> str:
    return f"wal-{n:08d}.log"


def sst_name(n: int) -> str:
    return f"sst-{n:08d}.sst"


@dataclass
class Compaction:
    inputs: list[Table]
    entries: list[Entry]
    number: int
    writer: TableWriter | None = None
    done: int = 0


class LSMTree:
    contract = "WAL fsync per acknowledged write (or per group commit)"

    def __init__(
        self,
        disk: Disk,
        memtable_bytes: int = 4096,
        bits_per_key: float = 10.0,
        block_entries: int = 16,
        fanout: int = 4,
        batch: int = 64,
        wal: bool = True,
    ) -> None:
        self.disk = disk
        self.memtable_bytes = memtable_bytes
        self.bits_per_key = bits_per_key
        self.block_entries = block_entries
        self.fanout = fanout
        self.batch = batch
        self.use_wal = wal
        self.memtable: dict[bytes, bytes | None] = {}
        self.mem_size = 0
        self.immutable: dict[bytes, bytes | None] | None = None
        self.imm_log = 0
        self.flushed: Table | None = None
        self.tables: list[Table] = []  # oldest first
        self.compaction: Compaction | None = None
        self.log_number = 0
        self.next_file = 1
        self.wal = 0
        self.unsynced = False
        self.stats = {"flushes": 0, "compactions": 0, "tombstones_dropped": 0, "torn_tails": 0}
        self._recover()

    # --- reads and writes ---------------------------------------------------------------

    def get(self, key: bytes) -> bytes | None:
        for mem in (self.memtable, self.immutable or {}):
            if key in mem:
                return mem[key]
        for t in reversed(self.tables):
            found, v = t.get(key)
            if found:
                return v
        return None

    def put(self, key: bytes, value: bytes, sync: bool = True) -> None:
        self._write(key, value, sync)

    def delete(self, key: bytes, sync: bool = True) -> None:
        self._write(key, None, sync)

    def _write(self, key: bytes, value: bytes | None, sync: bool) -> None:
        if self.use_wal:
            self.disk.append(wal_name(self.wal), frame(entry_bytes(key, value)))
            self.unsynced = True
            if sync:
                self.sync()
        self.memtable[key] = value
        self.mem_size += len(key) + len(value or b"") + 8
        if self.mem_size >= self.memtable_bytes and self.immutable is None:
            self._freeze()

    def sync(self) -> None:
        if self.unsynced and self.disk.exists(wal_name(self.wal)):
            self.disk.fsync(wal_name(self.wal))
        self.unsynced = False

    def _freeze(self) -> None:
        self.sync()
        self.immutable, self.memtable, self.mem_size = self.memtable, {}, 0
        self.wal = self._new_number()
        self.imm_log = self.wal

    def scan(self, lo: bytes | None = None, hi: bytes | None = None) -> list[tuple[bytes, bytes]]:
        merged: dict[bytes, bytes | None] = {}
        for t in self.tables:
            merged.update(t.scan(lo, hi))
        for mem in (self.immutable or {}, self.memtable):
            merged.update(
                (k, v) for k, v in mem.items() if (lo is None or k >= lo) and (hi is None or k < hi)
            )
        return [(k, v) for k, v in sorted(merged.items()) if v is not None]

    # --- background work ----------------------------------------------------------------

    def needs_compaction(self) -> bool:
        return bool(self.immutable is not None or self.compaction or self._pick())

    def compact_step(self) -> bool:
        if self.immutable is not None:
            self._flush_step()
        elif self.compaction is not None:
            self._compaction_step()
        elif run := self._pick():
            self._plan(run)
        else:
            return False
        return True

    def flush(self) -> None:
        """Freeze the memtable (if any) and flush it now."""
        if self.immutable is None and self.memtable:
            self._freeze()
        while self.immutable is not None:
            self._flush_step()

    def _flush_step(self) -> None:
        assert self.immutable is not None
        if self.flushed is None:
            n = self._new_number()
            entries = sorted(self.immutable.items())
            write_table(self.disk, "table.tmp", entries, self.bits_per_key, self.block_entries)
            self.disk.rename("table.tmp", sst_name(n))
            self.flushed = Table(self.disk, sst_name(n), n)
            return
        self._install([*self.tables, self.flushed], self.imm_log)
        self.immutable, self.flushed = None, None
        self.stats["flushes"] += 1

    def _pick(self) -> list[Table]:
        """The newest tables, extended while the next older one is at most twice as big
        as those gathered so far; merged once there are ``fanout`` of them."""
        ts = self.tables
        start, gathered = len(ts), 0
        while start > 0 and (gathered == 0 or ts[start - 1].size <= 2 * gathered):
            start -= 1
            gathered += ts[start].size
        return ts[start:] if len(ts) - start >= self.fanout else []

    def _plan(self, run: list[Table]) -> None:
        bottom = run[0] is self.tables[0]
        newest: dict[bytes, bytes | None] = {}
        for t in run:  # oldest first: later tables overwrite
            newest.update(t.scan())
        entries = sorted(newest.items())
        if bottom:
            kept = [e for e in entries if e[1] is not None]
            self.stats["tombstones_dropped"] += len(entries) - len(kept)
            entries = kept
        self.compaction = Compaction(run, entries, self._new_number())

    def _compaction_step(self) -> None:
        c = self.compaction
        assert c is not None
        if c.writer is None:
            c.writer = TableWriter(self.disk, "compact.tmp", self.bits_per_key, self.block_entries)
        if c.done < len(c.entries):
            c.writer.add(c.entries[c.done : c.done + self.batch])
            c.done += self.batch
            return
        c.writer.finish()
        self.disk.rename("compact.tmp", sst_name(c.number))
        pos = self.tables.index(c.inputs[0])
        tables = list(self.tables)
        tables[pos : pos + len(c.inputs)] = [Table(self.disk, sst_name(c.number), c.number)]
        self._install(tables, self.log_number)
        for t in c.inputs:
            self.disk.delete(t.name)
        self.compaction = None
        self.stats["compactions"] += 1

    def _install(self, tables: list[Table], log_number: int) -> None:
        rec = {"tables": [t.number for t in tables], "log_number": log_number}
        rec["next_file"] = self.next_file
        self.disk.delete("MANIFEST.tmp")
        self.disk.append("MANIFEST.tmp", frame(encode(MANIFEST, rec)))
        self.disk.fsync("MANIFEST.tmp")
        self.disk.rename("MANIFEST.tmp", "MANIFEST")
        self.tables, self.log_number = tables, log_number
        for name in self.disk.list("wal-"):
            m = WAL_NAME.match(name)
            if m and int(m.group(1)) < log_number:
                self.disk.delete(name)

    def _new_number(self) -> int:
        n = self.next_file
        self.next_file += 1
        return n

    # --- recovery -----------------------------------------------------------------------

    def _recover(self) -> None:
        for name in self.disk.list():
            if name.endswith(".tmp"):
                self.disk.delete(name)
        numbers: list[int] = []
        if self.disk.exists("MANIFEST"):
            frames = scan_file(self.disk, "MANIFEST", repair=False)
            if not frames:
                raise CorruptionError("MANIFEST is empty or torn")
            rec = decode(MANIFEST, frames[-1][1])
            numbers, self.log_number = rec["tables"], rec["log_number"]
            self.next_file = rec["next_file"]
        self._open_tables(numbers)
        self._replay_wals()
        self.wal = self._new_number()

    def _open_tables(self, numbers: list[int]) -> None:
        listed = set(numbers)
        for name in self.disk.list("sst-"):
            m = SST_NAME.match(name)
            if m and int(m.group(1)) not in listed:
                self.disk.delete(name)  # an uninstalled flush or compaction output
            if m:
                self.next_file = max(self.next_file, int(m.group(1)) + 1)
        for n in numbers:
            if not self.disk.exists(sst_name(n)):
                raise CorruptionError(f"MANIFEST lists missing table {sst_name(n)}")
            self.tables.append(Table(self.disk, sst_name(n), n))

    def _replay_wals(self) -> None:
        wals = sorted(int(m.group(1)) for n in self.disk.list("wal-") if (m := WAL_NAME.match(n)))
        for n in wals:
            self.next_file = max(self.next_file, n + 1)
            if n < self.log_number:
                self.disk.delete(wal_name(n))
                continue
            before = self.disk.size(wal_name(n))
            for _, k, v in iter_entries(scan_file(self.disk, wal_name(n), repair=True)):
                self.memtable[k] = v
                self.mem_size += len(k) + len(v or b"") + 8
            if self.disk.size(wal_name(n)) != before:
                self.stats["torn_tails"] += 1

    def info(self) -> dict[str, Any]:
        return {
            "tables": [(t.name, t.size) for t in self.tables],
            "memtable": len(self.memtable),
            **self.stats,
        }
