"""A log-structured hash index (Bitcask): append-only segments and an in-memory offset map.

Theory of operation
-------------------
Every put or delete appends one checksummed frame (an ``ENTRY``; a delete is a tombstone)
to the *active* segment; the in-memory index maps each live key to ``(file, offset,
length)``.  A read is one index lookup and one ``read`` of one frame, whose checksum is
verified.  When the active segment reaches ``segment_bytes`` it is fsynced and frozen.

Files are named ``seg-LO-HI-GEN.data``: a fresh segment ``n`` is ``n-n-0``; merging the
contiguous files covering ids ``LO..HI`` writes one file ``LO-HI-GEN`` with a ``GEN`` above
every existing one.  A file *supersedes* every file whose id range it covers with a lower
generation, so recovery can tell outputs from inputs whatever moment a crash hit.

Merging (``compact_step``, one bounded step at a time so crashes interleave with it):

1. plan -- pick the newest ``merge_fanout`` frozen files once there are more than that
   (a minor merge), or after ``major_every`` minor merges all frozen files; list the
   frames to keep: values the index still points at, and for each deleted key its last
   tombstone -- dropped only when the range starts at the oldest file (no older value can
   remain to resurrect).  The named unsafe option ``unsafe_tombstones`` drops tombstones
   from *any* range.  The active file is fsynced first: a frame is dropped only for a
   newer record that will survive a crash;
2. copy -- append up to ``merge_batch`` kept frames to ``merge.tmp``;
3. commit -- fsync it, write and fsync a *hint file* (key, offset, length, tombstone per
   frame), rename both into place (the data rename is the commit point), delete the inputs,
   and repoint index entries that still point at the inputs.

Recovery lists the files, deletes ``*.tmp`` and superseded files, then replays each live
file oldest first -- from its hint file when there is a valid one, else by scanning its
frames (a torn tail is truncated, corruption raises ``CorruptionError``).  Writes then go
to a new segment.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from systems.storage._disk import Disk
from systems.storage._encoding import Field, decode, encode, schema
from systems.storage._errors import CorruptionError
from systems.storage._record import (
    HEADER,
    Scan,
    entry_bytes,
    frame,
    iter_entries,
    parse_entry,
    scan_file,
    unframe,
)

NAME = re.compile(r"^seg-(\d{8})-(\d{8})-(\d{4})\.data$")
HINT = schema(
    "Hint",
    Field(1, "key", "bytes", required=True),
    Field(2, "offset", "uint", default=0),
    Field(3, "length", "uint", default=0),
    Field(4, "tombstone", "bool", default=False),
)
Loc = tuple[str, int, int]  # file, offset, frame length


@dataclass(frozen=True, order=True)
class SegFile:
    lo: int
    hi: int
    gen: int

    @functools.cached_property
    def name(self) -> str:
        return f"seg-{self.lo:08d}-{self.hi:08d}-{self.gen:04d}.data"

    @property
    def hint(self) -> str:
        return self.name[: -len(".data")] + ".hint"

    def covers(self, other: SegFile) -> bool:
        return self.lo <= other.lo and other.hi <= self.hi and self.gen > other.gen


@dataclass
class Merge:
    inputs: list[SegFile]
    output: SegFile
    keep: list[tuple[bytes, bytes | None, Loc]]
    done: int = 0
    placed: list[tuple[bytes, bytes | None, Loc, Loc]] = field(default_factory=list)


class Bitcask:
    contract = "fsync per acknowledged write (or per group commit)"

    def __init__(
        self,
        disk: Disk,
        segment_bytes: int = 4096,
        merge_fanout: int = 3,
        merge_batch: int = 16,
        major_every: int = 2,
        unsafe_tombstones: bool = False,
    ) -> None:
        self.disk = disk
        self.segment_bytes = segment_bytes
        self.merge_fanout = merge_fanout
        self.merge_batch = merge_batch
        self.major_every = major_every
        self.minors = 0
        self.unsafe_tombstones = unsafe_tombstones
        self.index: dict[bytes, Loc] = {}
        self.files: list[SegFile] = []
        self.active: SegFile | None = None
        self.merge: Merge | None = None
        self.unsynced = False
        self.stats = {"merges": 0, "tombstones_dropped": 0, "torn_tails": 0, "hint_loads": 0}
        self._recover()

    # --- reads and writes ---------------------------------------------------------------

    def get(self, key: bytes) -> bytes | None:
        loc = self.index.get(key)
        if loc is None:
            return None
        name, off, n = loc
        payload, _ = unframe(self.disk.read(name, off, n))
        k, v = parse_entry(payload)
        if k != key:
            raise CorruptionError(f"{name}@{off}: index points at key {k!r}, not {key!r}")
        return v

    def put(self, key: bytes, value: bytes, sync: bool = True) -> None:
        self._append(key, value, sync)

    def delete(self, key: bytes, sync: bool = True) -> None:
        if key in self.index:
            self._append(key, None, sync)
        elif sync:
            self.sync()  # the key's absence may rest on an unsynced tombstone

    def scan(self, lo: bytes | None = None, hi: bytes | None = None) -> list[tuple[bytes, bytes]]:
        keys = sorted(k for k in self.index if (lo is None or k >= lo) and (hi is None or k < hi))
        return [(k, v) for k in keys if (v := self.get(k)) is not None]

    def sync(self) -> None:
        if self.unsynced and self.active is not None:
            self.disk.fsync(self.active.name)
        self.unsynced = False

    def _append(self, key: bytes, value: bytes | None, sync: bool) -> None:
        if self.active is None:
            n = max((f.hi for f in self.files), default=0) + 1
            self.active = SegFile(n, n, 0)
            self.files.append(self.active)
        name = self.active.name
        data = frame(entry_bytes(key, value))
        off = self.disk.append(name, data)
        self.unsynced = True
        if sync:
            self.sync()
        if value is None:
            self.index.pop(key, None)
        else:
            self.index[key] = (name, off, len(data))
        if off + len(data) >= self.segment_bytes:
            self.sync()
            self.active = None

    # --- merging ------------------------------------------------------------------------

    def frozen(self) -> list[SegFile]:
        return [f for f in self.files if f != self.active]

    def needs_compaction(self) -> bool:
        return self.merge is not None or bool(self._pick())

    def _pick(self) -> list[SegFile]:
        """A minor merge of the newest files, or now and then a major merge of all."""
        frozen = self.frozen()
        if len(frozen) > self.merge_fanout:
            return frozen[-self.merge_fanout :]
        if len(frozen) >= 2 and self.minors >= self.major_every:
            return frozen
        return []

    def compact_step(self) -> bool:
        """Do one bounded step of merging; False when there was nothing to do."""
        if self.merge is None:
            return self._plan()
        if self.merge.done < len(self.merge.keep):
            self._copy()
        else:
            self._commit()
        return True

    def _plan(self) -> bool:
        inputs = self._pick()
        if not inputs:
            return False
        # the plan drops every frame a newer record supersedes; that is safe only if the
        # newer record survives a crash, so make the active file's records durable first
        # (else a merge could drop a synced tombstone for an unsynced put, and a crash
        # would resurrect the value the tombstone deleted)
        self.sync()
        oldest = inputs[0] == self.files[0]
        self.minors = 0 if oldest else self.minors + 1
        keep: list[tuple[bytes, bytes | None, Loc]] = []
        last_tomb: dict[bytes, int] = {}
        for f in inputs:
            for off, k, v, n in self._frames(f):
                loc = (f.name, off, n)
                if v is not None and self.index.get(k) == loc:
                    keep.append((k, v, loc))
                elif v is None and k not in self.index:
                    last_tomb[k] = len(keep)
                    keep.append((k, None, loc))
        keep = [e for i, e in enumerate(keep) if e[1] is not None or last_tomb[e[0]] == i]
        if oldest or self.unsafe_tombstones:
            self.stats["tombstones_dropped"] += sum(1 for e in keep if e[1] is None)
            keep = [e for e in keep if e[1] is not None]
        gen = max(f.gen for f in self.files) + 1
        self.merge = Merge(inputs, SegFile(inputs[0].lo, inputs[-1].hi, gen), keep)
        self.disk.delete("merge.tmp")
        self.disk.delete("hint.tmp")
        return True

    def _frames(self, f: SegFile) -> list[tuple[int, bytes, bytes | None, int]]:
        frames = scan_file(self.disk, f.name, repair=False)
        sizes = {off: HEADER.size + len(payload) for off, payload in frames}
        return [(off, k, v, sizes[off]) for off, k, v in iter_entries(frames)]

    def _raw_entry(self, loc: Loc) -> bytes:
        """The checksummed payload at ``loc``, copied as is (no re-encoding)."""
        payload, _ = unframe(self.disk.read(*loc))
        return payload

    def _copy(self) -> None:
        m = self.merge
        assert m is not None
        base = self.disk.size("merge.tmp") if self.disk.exists("merge.tmp") else 0
        buf = bytearray()
        for k, v, loc in m.keep[m.done : m.done + self.merge_batch]:
            data = frame(entry_bytes(k, v) if v is None else self._raw_entry(loc))
            m.placed.append((k, v, loc, (m.output.name, base + len(buf), len(data))))
            buf += data
        self.disk.append("merge.tmp", bytes(buf))
        m.done = min(len(m.keep), m.done + self.merge_batch)

    def _commit(self) -> None:
        m = self.merge
        assert m is not None
        if not self.disk.exists("merge.tmp"):
            self.disk.write("merge.tmp", 0, b"")
        self.disk.fsync("merge.tmp")
        hints = bytearray()
        for k, v, _, (_, off, n) in m.placed:
            rec = {"key": k, "offset": off, "length": n, "tombstone": v is None}
            hints += frame(encode(HINT, rec))
        if m.placed:
            self.disk.append("hint.tmp", bytes(hints))
            self.disk.fsync("hint.tmp")
        self.disk.rename("merge.tmp", m.output.name)
        if m.placed:
            self.disk.rename("hint.tmp", m.output.hint)
        for f in m.inputs:
            self._remove(f)
        for k, v, old, new in m.placed:
            if v is not None and self.index.get(k) == old:
                self.index[k] = new
        pos = self.files.index(m.inputs[0])
        self.files[pos : pos + len(m.inputs)] = [m.output]
        self.stats["merges"] += 1
        self.merge = None

    def _remove(self, f: SegFile) -> None:
        self.disk.delete(f.hint)
        self.disk.delete(f.name)

    # --- recovery -----------------------------------------------------------------------

    def _recover(self) -> None:
        for name in self.disk.list():
            if name.endswith(".tmp"):
                self.disk.delete(name)
        names = [m.groups() for n in self.disk.list("seg-") if (m := NAME.match(n))]
        found = sorted(SegFile(*map(int, g)) for g in names)
        live = [f for f in found if not any(g.covers(f) for g in found)]
        for f in found:
            if f not in live:
                self._remove(f)
        for name in self.disk.list("seg-"):
            if name.endswith(".hint") and not self.disk.exists(name[:-5] + ".data"):
                self.disk.delete(name)
        self.files = sorted(live, key=lambda f: f.lo)
        for f in self.files:
            self._replay(f)

    def _replay(self, f: SegFile) -> None:
        if self._replay_hint(f):
            return
        before = self.disk.size(f.name)
        frames = scan_file(self.disk, f.name, repair=f.gen == 0)
        if self.disk.size(f.name) != before:
            self.stats["torn_tails"] += 1
        data = self.disk.read(f.name)
        for off, k, v in iter_entries(frames):
            _, end = unframe(data, off)
            self._apply(k, v, (f.name, off, end - off))

    def _replay_hint(self, f: SegFile) -> bool:
        if not self.disk.exists(f.hint):
            return False
        s = Scan(self.disk.read(f.hint))
        if s.torn or s.corrupt:
            return False  # hints are a shortcut; the data file is the truth
        for _, payload in s.frames:
            h = decode(HINT, payload)
            loc = (f.name, h["offset"], h["length"])
            self._apply(h["key"], None if h["tombstone"] else b"", loc)
        self.stats["hint_loads"] += 1
        return True

    def _apply(self, key: bytes, value: bytes | None, loc: Loc) -> None:
        if value is None:
            self.index.pop(key, None)
        else:
            self.index[key] = loc

    def info(self) -> dict[str, Any]:
        return {"files": [f.name for f in self.files], "keys": len(self.index), **self.stats}
