"""The small disk interface every engine is written against, over a real directory too.

``Disk`` is the method set of ``systems.sim.SimDisk``: ``exists``, ``list``, ``size``,
``read``, ``write``, ``append``, ``truncate``, ``fsync``, ``delete``, ``rename``.  An engine
that uses only these runs identically on the simulated disk (where a crash loses unsynced
data, optionally keeping a torn prefix of the last write) and on ``RealDisk``, a flat
directory of files driven with ``os.pwrite`` / ``os.fsync``.

``RealDisk`` keeps one file descriptor per file.  As on the simulated disk, directory
operations (create, rename, delete) are made durable at once: the directory is fsynced
after each rename and delete, and after the first fsync of a newly created file.

``CountingDisk`` wraps any disk and counts bytes and calls (for amplification figures);
``CrashingDisk`` raises ``Crash`` at the n-th mutating call, so a test can stop an engine
at every point of a flush, compaction or split and then recover from what is left.
"""

from __future__ import annotations

import os
from typing import Protocol


class Disk(Protocol):
    def exists(self, name: str) -> bool: ...
    def list(self, prefix: str = "") -> list[str]: ...
    def size(self, name: str) -> int: ...
    def read(self, name: str, offset: int = 0, length: int | None = None) -> bytes: ...
    def write(self, name: str, offset: int, payload: bytes) -> None: ...
    def append(self, name: str, payload: bytes) -> int: ...
    def truncate(self, name: str, size: int) -> None: ...
    def fsync(self, name: str) -> None: ...
    def delete(self, name: str) -> None: ...
    def rename(self, old: str, new: str) -> None: ...


class RealDisk:
    """A flat directory of files with the ``Disk`` interface."""

    def __init__(self, path: str) -> None:
        os.makedirs(path, exist_ok=True)
        self.path = path
        self._fds: dict[str, int] = {}
        self._sizes: dict[str, int] = {}
        self._new: set[str] = set()
        self.fsyncs = 0
        self.bytes_written = 0

    def _p(self, name: str) -> str:
        if "/" in name or name in ("", ".", ".."):
            raise ValueError(f"bad file name {name!r}")
        return os.path.join(self.path, name)

    def _fd(self, name: str, create: bool = False) -> int:
        fd = self._fds.get(name)
        if fd is None:
            if not create and not os.path.exists(self._p(name)):
                raise FileNotFoundError(name)
            if create and not os.path.exists(self._p(name)):
                self._new.add(name)
            fd = os.open(self._p(name), os.O_RDWR | os.O_CREAT, 0o644)
            self._fds[name] = fd
            self._sizes[name] = os.fstat(fd).st_size
        return fd

    def exists(self, name: str) -> bool:
        return name in self._fds or os.path.exists(self._p(name))

    def list(self, prefix: str = "") -> list[str]:
        return sorted(n for n in os.listdir(self.path) if n.startswith(prefix))

    def size(self, name: str) -> int:
        self._fd(name)
        return self._sizes[name]

    def read(self, name: str, offset: int = 0, length: int | None = None) -> bytes:
        fd = self._fd(name)
        if length is None:
            length = max(0, self._sizes[name] - offset)
        return os.pread(fd, length, offset)

    def write(self, name: str, offset: int, payload: bytes) -> None:
        fd = self._fd(name, create=True)
        os.pwrite(fd, payload, offset)
        self._sizes[name] = max(self._sizes[name], offset + len(payload))
        self.bytes_written += len(payload)

    def append(self, name: str, payload: bytes) -> int:
        fd = self._fd(name, create=True)
        offset = self._sizes[name]
        os.pwrite(fd, payload, offset)
        self._sizes[name] = offset + len(payload)
        self.bytes_written += len(payload)
        return offset

    def truncate(self, name: str, size: int) -> None:
        os.ftruncate(self._fd(name), size)
        self._sizes[name] = size

    def fsync(self, name: str) -> None:
        os.fsync(self._fd(name))
        self.fsyncs += 1
        if name in self._new:
            self._new.discard(name)
            self._sync_dir()

    def delete(self, name: str) -> None:
        self._close(name)
        self._new.discard(name)
        try:
            os.unlink(self._p(name))
        except FileNotFoundError:
            return
        self._sync_dir()

    def rename(self, old: str, new: str) -> None:
        self._close(old)
        self._close(new)
        os.replace(self._p(old), self._p(new))
        if old in self._new:
            self._new.discard(old)
            self._new.add(new)
        self._sync_dir()

    def close(self) -> None:
        for name in list(self._fds):
            self._close(name)

    def _close(self, name: str) -> None:
        fd = self._fds.pop(name, None)
        self._sizes.pop(name, None)
        if fd is not None:
            os.close(fd)

    def _sync_dir(self) -> None:
        fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class CountingDisk:
    """Delegates to ``inner``; counts reads, bytes read and written, and fsyncs."""

    def __init__(self, inner: Disk) -> None:
        self.inner = inner
        self.reads = 0
        self.bytes_read = 0
        self.bytes_written = 0
        self.fsyncs = 0

    def exists(self, name: str) -> bool:
        return self.inner.exists(name)

    def list(self, prefix: str = "") -> list[str]:
        return self.inner.list(prefix)

    def size(self, name: str) -> int:
        return self.inner.size(name)

    def read(self, name: str, offset: int = 0, length: int | None = None) -> bytes:
        data = self.inner.read(name, offset, length)
        self.reads += 1
        self.bytes_read += len(data)
        return data

    def write(self, name: str, offset: int, payload: bytes) -> None:
        self.bytes_written += len(payload)
        self.inner.write(name, offset, payload)

    def append(self, name: str, payload: bytes) -> int:
        self.bytes_written += len(payload)
        return self.inner.append(name, payload)

    def truncate(self, name: str, size: int) -> None:
        self.inner.truncate(name, size)

    def fsync(self, name: str) -> None:
        self.fsyncs += 1
        self.inner.fsync(name)

    def delete(self, name: str) -> None:
        self.inner.delete(name)

    def rename(self, old: str, new: str) -> None:
        self.inner.rename(old, new)


class Crash(Exception):
    """Raised by ``CrashingDisk`` in place of its n-th mutating call."""


class CrashingDisk(CountingDisk):
    """A disk that 'loses power' at its ``crash_at``-th mutating call (0-based).

    The call that crashes has not happened (a torn prefix of it may be simulated by the
    underlying ``SimDisk.crash(torn=True)``, which keeps part of the last write).
    """

    def __init__(self, inner: Disk, crash_at: int | None) -> None:
        super().__init__(inner)
        self.crash_at = crash_at
        self.mutations = 0

    def _tick(self) -> None:
        if self.crash_at is not None and self.mutations >= self.crash_at:
            raise Crash(f"crash at mutation {self.mutations}")
        self.mutations += 1

    def write(self, name: str, offset: int, payload: bytes) -> None:
        self._tick()
        super().write(name, offset, payload)

    def append(self, name: str, payload: bytes) -> int:
        self._tick()
        return super().append(name, payload)

    def truncate(self, name: str, size: int) -> None:
        self._tick()
        super().truncate(name, size)

    def fsync(self, name: str) -> None:
        self._tick()
        super().fsync(name)

    def delete(self, name: str) -> None:
        self._tick()
        super().delete(name)

    def rename(self, old: str, new: str) -> None:
        self._tick()
        super().rename(old, new)
