"""A per-node simulated disk: files with write, fsync and read; crashes lose unsynced data.

Each file keeps two byte arrays: ``data`` (what reads see now) and ``synced`` (what survives
a crash).  ``fsync`` copies only the region written since the last sync, so an append-only
log costs O(bytes appended), not O(file size).  A crash resets ``data`` to ``synced``; with
``torn=True`` a random prefix of the last unsynced write survives too, as on a real disk
that lost power mid-write.  ``flip_bit`` corrupts durable data on demand.

Directory operations (create, delete, rename) are durable at once: a simplification of
real file systems, where they need an fsync of the directory.

``save_json`` / ``load_json`` keep a small JSON value (a node's term and vote, a counter)
in one file, replaced atomically: every system family persists its metadata with them.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any


class DiskError(Exception):
    """An I/O error raised by the simulated disk (e.g. reading a missing file)."""


@dataclass
class SimFile:
    data: bytearray = field(default_factory=bytearray)
    synced: bytearray = field(default_factory=bytearray)
    dirty_from: int | None = None
    last_write: tuple[int, bytes] | None = None

    def write(self, offset: int, payload: bytes) -> None:
        end = offset + len(payload)
        if offset > len(self.data):
            self.data.extend(b"\0" * (offset - len(self.data)))
        self.data[offset:end] = payload
        self.dirty_from = offset if self.dirty_from is None else min(self.dirty_from, offset)
        self.last_write = (offset, bytes(payload))

    def truncate(self, size: int) -> None:
        del self.data[size:]
        self.dirty_from = size if self.dirty_from is None else min(self.dirty_from, size)
        self.last_write = None

    def fsync(self) -> None:
        if self.dirty_from is None:
            return
        start = self.dirty_from
        self.synced[start:] = self.data[start:]
        self.dirty_from = None
        self.last_write = None

    def crash(self, rng: random.Random | None) -> None:
        lost = self.last_write if self.dirty_from is not None else None
        self.data = bytearray(self.synced)
        self.dirty_from = None
        self.last_write = None
        if rng is not None and lost is not None:
            offset, payload = lost
            keep = rng.randint(0, len(payload))
            if keep and offset <= len(self.data):
                self.write(offset, payload[:keep])
                self.fsync()


class SimDisk:
    """The files of one node.  Survives the node's crashes (minus unsynced data)."""

    def __init__(self, rng: random.Random) -> None:
        self._files: dict[str, SimFile] = {}
        self._rng = rng
        self.fsyncs = 0
        self.bytes_written = 0

    def exists(self, name: str) -> bool:
        return name in self._files

    def list(self, prefix: str = "") -> list[str]:
        return sorted(n for n in self._files if n.startswith(prefix))

    def size(self, name: str) -> int:
        return len(self._file(name).data)

    def read(self, name: str, offset: int = 0, length: int | None = None) -> bytes:
        data = self._file(name).data
        end = len(data) if length is None else offset + length
        return bytes(data[offset:end])

    def write(self, name: str, offset: int, payload: bytes) -> None:
        self._files.setdefault(name, SimFile()).write(offset, payload)
        self.bytes_written += len(payload)

    def append(self, name: str, payload: bytes) -> int:
        """Append and return the offset the payload was written at."""
        f = self._files.setdefault(name, SimFile())
        offset = len(f.data)
        f.write(offset, payload)
        self.bytes_written += len(payload)
        return offset

    def truncate(self, name: str, size: int) -> None:
        self._file(name).truncate(size)

    def fsync(self, name: str) -> None:
        self._file(name).fsync()
        self.fsyncs += 1

    def delete(self, name: str) -> None:
        self._files.pop(name, None)

    def rename(self, old: str, new: str) -> None:
        self._files[new] = self._files.pop(old)

    def crash(self, torn: bool = False) -> None:
        """Lose every unsynced write (keeping a torn prefix of the last one if ``torn``)."""
        for f in self._files.values():
            f.crash(self._rng if torn else None)

    def flip_bit(self, name: str, offset: int, bit: int = 0) -> None:
        """Corrupt one bit of a file, in both its current and its durable contents."""
        f = self._file(name)
        for buf in (f.data, f.synced):
            if offset < len(buf):
                buf[offset] ^= 1 << bit

    def _file(self, name: str) -> SimFile:
        try:
            return self._files[name]
        except KeyError:
            raise DiskError(f"no such file: {name}") from None


def save_json(disk: SimDisk, name: str, obj: Any) -> None:
    """Replace a small file with ``obj`` as JSON and fsync it, in one callback: no crash
    falls in between, so after a crash the file holds the old value or the new one."""
    disk.delete(name)
    disk.write(name, 0, json.dumps(obj).encode())
    disk.fsync(name)


def load_json(disk: SimDisk, name: str, default: Any) -> Any:
    """What ``save_json`` last stored durably in ``name``; ``default`` when nothing was."""
    if not disk.exists(name) or disk.size(name) == 0:
        return default
    return json.loads(disk.read(name))
