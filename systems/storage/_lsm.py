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

import bisect
import re
from dataclasses import dataclass, field
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
    Field(4, "levels", "uint", repeated=True),  # added with leveled compaction; absent: L0
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
    level: int  # where the output goes
    outputs: list[int] = field(default_factory=list)  # finished output tables
    writer: TableWriter | None = None
    number: int = 0  # the table being written
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
        compaction: str = "tiered",
        level_bytes: int = 0,
        level_ratio: int = 10,
        table_bytes: int = 0,
    ) -> None:
        if compaction not in ("tiered", "leveled"):
            raise ValueError(f"compaction must be 'tiered' or 'leveled', not {compaction!r}")
        self.disk = disk
        self.memtable_bytes = memtable_bytes
        self.bits_per_key = bits_per_key
        self.block_entries = block_entries
        self.fanout = fanout
        self.batch = batch
        self.use_wal = wal
        self.style = compaction
        self.level_bytes = level_bytes or 4 * memtable_bytes
        self.level_ratio = level_ratio
        self.table_bytes = table_bytes or 2 * memtable_bytes
        self.cursor: dict[int, bytes] = {}
        self.memtable: dict[bytes, bytes | None] = {}
        self.mem_size = 0
        self.immutable: dict[bytes, bytes | None] | None = None
        self.imm_log = 0
        self.flushed: Table | None = None
        self.levels: list[list[Table]] = [[]]  # L0 oldest first; L1.. by key range
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
        for t in reversed(self.levels[0]):
            found, v = t.get(key)
            if found:
                return v
        for level in self.levels[1:]:
            i = bisect.bisect_left([t.last for t in level], key)
            if i < len(level) and level[i].first <= key:
                found, v = level[i].get(key)
                if found:
                    return v
        return None

    @property
    def tables(self) -> list[Table]:
        """Level 0: every table of a size-tiered tree, the newest of a leveled one."""
        return self.levels[0]

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
        for level in [*reversed(self.levels[1:]), self.levels[0]]:  # oldest data first
            for t in level:
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
        elif picked := self._pick():
            self._plan(*picked)
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
        self._install([[*self.levels[0], self.flushed], *self.levels[1:]], self.imm_log)
        self.immutable, self.flushed = None, None
        self.stats["flushes"] += 1

    def _pick(self) -> tuple[list[Table], int] | None:
        """The tables to merge next and the level the output goes to, if any."""
        if self.style == "leveled":
            return self._pick_leveled()
        run = self._pick_tiered()
        return (run, 0) if run else None

    def _pick_tiered(self) -> list[Table]:
        """The newest tables, extended while the next older one is at most twice as big
        as those gathered so far; merged once there are ``fanout`` of them."""
        ts = self.levels[0]
        start, gathered = len(ts), 0
        while start > 0 and (gathered == 0 or ts[start - 1].size <= 2 * gathered):
            start -= 1
            gathered += ts[start].size
        return ts[start:] if len(ts) - start >= self.fanout else []

    def _pick_leveled(self) -> tuple[list[Table], int] | None:
        """All of L0 once it has ``fanout`` tables, with the L1 tables they overlap; else
        the next table (round robin) of the first level over its size, with the tables
        of the level below that it overlaps."""
        l0 = self.levels[0]
        if len(l0) >= self.fanout:
            lo, hi = min(t.first for t in l0), max(t.last for t in l0)
            return [*l0, *self._overlapping(1, lo, hi)], 1
        for i in range(1, len(self.levels)):
            level = self.levels[i]
            if sum(t.size for t in level) > self.level_bytes * self.level_ratio ** (i - 1):
                t = next((t for t in level if t.first > self.cursor.get(i, b"")), level[0])
                self.cursor[i] = t.last
                return [t, *self._overlapping(i + 1, t.first, t.last)], i + 1
        return None

    def _overlapping(self, level: int, lo: bytes, hi: bytes) -> list[Table]:
        if level >= len(self.levels):
            return []
        return [t for t in self.levels[level] if not (t.last < lo or t.first > hi)]

    def _level_of(self, t: Table) -> int:
        return next(i for i, level in enumerate(self.levels) if t in level)

    def _plan(self, inputs: list[Table], level: int) -> None:
        if self.style == "leveled":  # tombstones may go only if nothing older lies below
            bottom = not any(self.levels[level + 1 :])
        else:  # a contiguous run of L0: bottom when it starts at the oldest table
            bottom = inputs[0] is self.levels[0][0]
        newest: dict[bytes, bytes | None] = {}
        for t in sorted(inputs, key=self._level_of, reverse=True):  # oldest data first
            newest.update(t.scan())
        entries = sorted(newest.items())
        if bottom:
            kept = [e for e in entries if e[1] is not None]
            self.stats["tombstones_dropped"] += len(entries) - len(kept)
            entries = kept
        self.compaction = Compaction(inputs, entries, level)

    def _compaction_step(self) -> None:
        c = self.compaction
        assert c is not None
        if c.writer is None:
            c.number = self._new_number()
            c.writer = TableWriter(self.disk, "compact.tmp", self.bits_per_key, self.block_entries)
        if c.done < len(c.entries):
            c.writer.add(c.entries[c.done : c.done + self.batch])
            c.done += self.batch
            if self.style == "leveled" and c.writer.end >= self.table_bytes:
                self._finish_output(c)
            return
        self._finish_output(c)
        self._install_compaction(c)
        self.compaction = None
        self.stats["compactions"] += 1

    def _finish_output(self, c: Compaction) -> None:
        if c.writer is None:
            return
        empty = not c.writer.keys
        c.writer.finish()
        c.writer = None
        if empty and self.style == "leveled":
            self.disk.delete("compact.tmp")
            return
        self.disk.rename("compact.tmp", sst_name(c.number))
        c.outputs.append(c.number)

    def _install_compaction(self, c: Compaction) -> None:
        new = [Table(self.disk, sst_name(n), n) for n in c.outputs]
        levels = [list(level) for level in self.levels]
        if self.style == "tiered":
            pos = levels[0].index(c.inputs[0])
            levels[0][pos : pos + len(c.inputs)] = new
        else:
            gone = {t.number for t in c.inputs}
            levels = [[t for t in level if t.number not in gone] for level in levels]
            levels += [[] for _ in range(c.level + 1 - len(levels))]
            levels[c.level] = sorted(levels[c.level] + new, key=lambda t: t.first)
        self._install(levels, self.log_number)
        for t in c.inputs:
            self.disk.delete(t.name)

    def _install(self, levels: list[list[Table]], log_number: int) -> None:
        rec: dict[str, Any] = {"log_number": log_number, "next_file": self.next_file}
        rec["tables"] = [t.number for level in levels for t in level]
        rec["levels"] = [i for i, level in enumerate(levels) for _ in level]
        self.disk.delete("MANIFEST.tmp")
        self.disk.append("MANIFEST.tmp", frame(encode(MANIFEST, rec)))
        self.disk.fsync("MANIFEST.tmp")
        self.disk.rename("MANIFEST.tmp", "MANIFEST")
        self.levels, self.log_number = levels, log_number
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
        levels: list[int] = []
        if self.disk.exists("MANIFEST"):
            frames = scan_file(self.disk, "MANIFEST", repair=False)
            if not frames:
                raise CorruptionError("MANIFEST is empty or torn")
            rec = decode(MANIFEST, frames[-1][1])
            numbers, self.log_number = rec["tables"], rec["log_number"]
            self.next_file = rec["next_file"]
            levels = rec["levels"] if len(rec["levels"]) == len(numbers) else [0] * len(numbers)
        self._open_tables(numbers, levels)
        self._replay_wals()
        self.wal = self._new_number()

    def _open_tables(self, numbers: list[int], levels: list[int]) -> None:
        listed = set(numbers)
        for name in self.disk.list("sst-"):
            m = SST_NAME.match(name)
            if m and int(m.group(1)) not in listed:
                self.disk.delete(name)  # an uninstalled flush or compaction output
            if m:
                self.next_file = max(self.next_file, int(m.group(1)) + 1)
        for n, level in zip(numbers, levels, strict=True):
            if not self.disk.exists(sst_name(n)):
                raise CorruptionError(f"MANIFEST lists missing table {sst_name(n)}")
            self.levels += [[] for _ in range(level + 1 - len(self.levels))]
            self.levels[level].append(Table(self.disk, sst_name(n), n))

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
            "levels": [[(t.name, t.size) for t in level] for level in self.levels],
            "memtable": len(self.memtable),
            **self.stats,
        }
