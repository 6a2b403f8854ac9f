"""Raft's durable state on a simulated disk: term and vote, the log, the snapshot.

Theory of operation
-------------------
``meta`` holds ``[term, voted_for]``; it is replaced and fsynced before a node votes or
campaigns.  ``log`` is an append-only file of JSON lines ``[index, term, command]``.  A
conflicting suffix is never cut out of the file: the replacing entry is simply appended
with its index, and recovery replays lines in order ("entry ``i`` is this; everything after
``i`` is gone").  So truncation costs one append and one fsync, like any other write.

A snapshot (``snapshot``: the state machine as of ``base``, with ``base_term`` and the
configuration then in force) lets the log forget entries up to ``base``: the snapshot file is
written and fsynced first, then the log is rewritten to a temporary file, fsynced and
renamed over the old one.  A crash in between leaves an old log whose lines up to ``base``
recovery skips.

A torn final line (a power cut mid-append) is dropped at recovery and the file cut back to
the last complete line, so later appends do not glue onto garbage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from systems.sim import SimDisk, load_json, save_json

META, LOG, SNAPSHOT = "meta", "log", "snapshot"


@dataclass
class Snapshot:
    base: int = 0
    base_term: int = 0
    #: the state machine's own serialization (see ``StateMachine.dump``)
    state: Any = None
    members: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"base": self.base, "base_term": self.base_term, "state": self.state,
                "members": self.members}  # fmt: skip


class RaftLog:
    """The in-memory log after a snapshot: entry ``i`` (1-based) is ``entries[i-base-1]``."""

    def __init__(self) -> None:
        self.snap = Snapshot()
        self.entries: list[list[Any]] = []  # [term, command]

    # -- positions ------------------------------------------------------------------------
    @property
    def base(self) -> int:
        return self.snap.base

    def last_index(self) -> int:
        return self.snap.base + len(self.entries)

    def last_term(self) -> int:
        return self.entries[-1][0] if self.entries else self.snap.base_term

    def term_at(self, index: int) -> int | None:
        """The entry's term; ``None`` if compacted away (below base) or beyond the end."""
        if index == self.snap.base:
            return self.snap.base_term
        if index < self.snap.base or index > self.last_index():
            return None
        return int(self.entries[index - self.snap.base - 1][0])

    def command(self, index: int) -> Any:
        return self.entries[index - self.snap.base - 1][1]

    def slice(self, start: int, limit: int) -> list[list[Any]]:
        """Entries from ``start`` (> base), at most ``limit`` of them."""
        lo = start - self.snap.base - 1
        return self.entries[lo : lo + limit]

    def members(self, initial: list[str]) -> list[str]:
        """The latest configuration in the log (in force as soon as it is appended)."""
        for _, cmd in reversed(self.entries):
            if cmd[0] == "config":
                return list(cmd[1])
        return list(self.snap.members) or list(initial)

    # -- durable changes ------------------------------------------------------------------
    def put(self, disk: SimDisk, index: int, entries: list[list[Any]]) -> None:
        """Make ``entries`` the log from ``index`` on (dropping what followed); fsync."""
        del self.entries[index - self.snap.base - 1 :]
        lines = []
        for i, e in enumerate(entries):
            self.entries.append(e)
            lines.append(json.dumps([index + i, e[0], e[1]]) + "\n")
        disk.append(LOG, "".join(lines).encode())
        disk.fsync(LOG)

    def compact(self, disk: SimDisk, snap: Snapshot) -> None:
        """Install ``snap``; keep only the entries after it (if they agree with it)."""
        if self.term_at(snap.base) == snap.base_term and snap.base <= self.last_index():
            keep = self.entries[snap.base - self.snap.base :]
        else:
            keep = []
        save_json(disk, SNAPSHOT, snap.as_json())
        self.snap, self.entries = snap, keep
        text = "".join(
            json.dumps([snap.base + 1 + i, e[0], e[1]]) + "\n" for i, e in enumerate(keep)
        )
        disk.delete(LOG + ".tmp")
        disk.write(LOG + ".tmp", 0, text.encode())
        disk.fsync(LOG + ".tmp")
        disk.rename(LOG + ".tmp", LOG)

    def recover(self, disk: SimDisk) -> None:
        snap = load_json(disk, SNAPSHOT, None)
        self.snap = Snapshot(**snap) if snap else Snapshot()
        self.entries = []
        if not disk.exists(LOG):
            return
        raw = disk.read(LOG)
        good = 0
        for line in raw.split(b"\n")[:-1]:  # the part after the last newline is torn
            try:
                index, term, cmd = json.loads(line)
            except ValueError:
                break
            good += len(line) + 1
            if index > self.snap.base:
                del self.entries[index - self.snap.base - 1 :]
                self.entries.append([term, cmd])
        if good < len(raw):
            disk.truncate(LOG, good)
            disk.fsync(LOG)
