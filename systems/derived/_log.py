"""A log-based message broker node (Kafka-style): partitioned logs, offsets, groups.

Theory of operation
-------------------
Each partition is an append-only log of records ``[offset, value]`` stored in segment
files ``p{partition}-{base_offset}`` on the node's ``SimDisk`` (one JSON line a record).
Offsets are dense per partition.  A segment rolls after ``segment_records`` records;
*retention* deletes whole old segments once a partition holds more than
``retain_records`` records (the log start offset moves forward; a consumer whose position
fell below it is reset to the new start, and told so).

Durability: with ``durable=True`` a produce is fsynced before its reply.  The named
unsafe ``durable=False`` replies first and fsyncs once ``sync_every`` records are pending -- the
classic "ack before fsync" bug: a crash loses acknowledged records, and the offsets they
had are handed to later records.

Consumer groups: ``poll`` is also the heartbeat.  The broker keeps the live members of
each group (a member not heard from for ``session_ns`` is expired), assigns partitions
round-robin over the sorted members, serves records only for partitions assigned to the
polling member, and stores committed offsets durably (``offsets`` file, fsynced).  A
member's position lives in the client; a partition new to a member starts at the
group's committed offset.  ``commit_on_fetch`` (the flawed consumer's mode) commits the
end of the fetched batch before the client has handed the records to the application.
"""

from __future__ import annotations

import json
from typing import Any

from systems.sim import MS, Message, Runtime

OFFSETS = "offsets"


def read_records(rt: Runtime, name: str) -> list[Any]:
    """The JSON lines of a file, up to the first torn or corrupt one (the rest is lost)."""
    out = []
    if rt.disk.exists(name):
        for line in rt.disk.read(name).split(b"\n")[:-1]:
            try:
                out.append(json.loads(line))
            except ValueError:
                break
    return out


def _ok(**fields: Any) -> dict[str, Any]:
    return {"type": "ok", **fields}


def _error(code: str, definite: bool = True) -> dict[str, Any]:
    return {"type": "error", "code": code, "definite": definite}


class PartitionLog:
    """One partition: segments on disk plus an in-memory copy of the retained records."""

    def __init__(self, partition: int) -> None:
        self.partition = partition
        self.records: list[list[Any]] = []  # [offset, value], dense from start
        self.start = 0
        self.segments: list[int] = []  # base offsets of the segment files, ascending

    def seg_name(self, base: int) -> str:
        return f"p{self.partition}-{base:010d}"

    @property
    def end(self) -> int:
        return self.start + len(self.records)

    def recover(self, rt: Runtime) -> None:
        prefix = f"p{self.partition}-"
        self.segments = [int(n[len(prefix) :]) for n in rt.disk.list(prefix)]
        for i, base in enumerate(self.segments):
            name = self.seg_name(base)
            data = rt.disk.read(name)
            good = 0
            for line in data.split(b"\n")[:-1]:
                try:
                    rec = json.loads(line)
                except ValueError:
                    break
                self.records.append(rec)
                good += len(line) + 1
            if good < len(data):  # a torn tail: cut it off, and anything after it
                rt.disk.truncate(name, good)
                for later in self.segments[i + 1 :]:
                    rt.disk.delete(self.seg_name(later))
                del self.segments[i + 1 :]
                break
        self.start = self.records[0][0] if self.records else (self.segments or [0])[0]

    def append(self, rt: Runtime, value: Any, segment_records: int) -> tuple[int, str]:
        offset = self.end
        if not self.segments or offset - self.segments[-1] >= segment_records:
            self.segments.append(offset)
        name = self.seg_name(self.segments[-1])
        rt.disk.append(name, (json.dumps([offset, value]) + "\n").encode())
        self.records.append([offset, value])
        return offset, name

    def read(self, offset: int, limit: int) -> list[list[Any]]:
        i = max(0, offset - self.start)
        return self.records[i : i + limit]

    def enforce_retention(self, rt: Runtime, retain: int) -> None:
        """Delete whole oldest segments while the rest still holds ``retain`` records."""
        while len(self.segments) > 1 and self.end - self.segments[1] >= retain:
            rt.disk.delete(self.seg_name(self.segments.pop(0)))
            new_start = self.segments[0]
            del self.records[: new_start - self.start]
            self.start = new_start


class Group:
    def __init__(self) -> None:
        self.members: dict[str, int] = {}  # member -> last heard (node clock)
        self.generation = 0

    def heartbeat(self, member: str, now: int, session_ns: int) -> None:
        dead = [m for m, t in self.members.items() if now - t > session_ns and m != member]
        for m in dead:
            del self.members[m]
        if member not in self.members or dead:
            self.generation += 1
        self.members[member] = now

    def assignment(self, member: str, partitions: int) -> list[int]:
        live = sorted(self.members)
        return [p for p in range(partitions) if live[p % len(live)] == member]


class BrokerNode:
    """The broker: ``produce``, ``produce_batch``, ``fetch``, ``poll`` (group consume),
    ``commit``, ``committed``."""

    def __init__(
        self,
        partitions: int = 4,
        durable: bool = True,
        sync_every: int = 16,
        segment_records: int = 64,
        retain_records: int | None = None,
        session_ns: int = 300 * MS,
    ) -> None:
        self.logs = [PartitionLog(p) for p in range(partitions)]
        self.durable = durable
        self.sync_every = sync_every
        self.segment_records = segment_records
        self.retain_records = retain_records
        self.session_ns = session_ns
        self.groups: dict[str, Group] = {}
        self.committed: dict[tuple[str, int], int] = {}
        self.unsynced: set[str] = set()
        self.pending = 0

    # -- lifecycle ------------------------------------------------------------------------
    def on_start(self, rt: Runtime) -> None:
        for log in self.logs:
            log.recover(rt)
        for g, p, o in read_records(rt, OFFSETS):
            self.committed[(g, p)] = o

    def on_timer(self, rt: Runtime, name: str, payload: Any) -> None:
        pass

    def on_message(self, rt: Runtime, msg: Message) -> None:
        handler = getattr(self, "_on_" + str(msg.body.get("type")), None)
        if handler is None:
            rt.reply(msg, _error("unsupported"))
            return
        rt.reply(msg, handler(rt, msg.body))

    # -- produce / fetch ------------------------------------------------------------------
    def _partition(self, body: dict[str, Any]) -> PartitionLog | None:
        p = body.get("partition")
        if isinstance(p, int) and 0 <= p < len(self.logs):
            return self.logs[p]
        return None

    def _on_produce(self, rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
        log = self._partition(body)
        if log is None:
            return _error("unknown-partition")
        offset, seg = log.append(rt, body["value"], self.segment_records)
        self.unsynced.add(seg)
        self.pending += 1
        if self.durable or self.pending >= self.sync_every:
            self._sync(rt)
        if self.retain_records is not None:
            log.enforce_retention(rt, self.retain_records)
        return _ok(offset=offset, durable=not self.unsynced)

    def _on_produce_batch(self, rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
        """Append several values in order, one fsync for the batch (before the reply)."""
        log = self._partition(body)
        if log is None:
            return _error("unknown-partition")
        offsets = []
        for value in body["values"]:
            offset, seg = log.append(rt, value, self.segment_records)
            self.unsynced.add(seg)
            offsets.append(offset)
        self.pending += len(offsets)
        if self.durable or self.pending >= self.sync_every:
            self._sync(rt)
        if self.retain_records is not None:
            log.enforce_retention(rt, self.retain_records)
        return _ok(offsets=offsets)

    def _sync(self, rt: Runtime) -> None:
        for name in sorted(self.unsynced):
            if rt.disk.exists(name):
                rt.disk.fsync(name)
        self.unsynced.clear()
        self.pending = 0

    def _on_fetch(self, rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
        log = self._partition(body)
        if log is None:
            return _error("unknown-partition")
        offset = max(int(body["offset"]), log.start)
        recs = log.read(offset, int(body.get("max", 100)))
        return _ok(start=offset, records=recs, log_start=log.start, end=log.end)

    # -- consumer groups ------------------------------------------------------------------
    def _on_poll(self, rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
        gname, member = str(body["group"]), str(body["member"])
        group = self.groups.setdefault(gname, Group())
        group.heartbeat(member, rt.now(), self.session_ns)
        assigned = group.assignment(member, len(self.logs))
        for p, pos in body.get("commit", []):
            if p in assigned:
                self._commit(rt, gname, p, pos)
        positions = {p: pos for p, pos in body.get("positions", [])}
        out, resets = [], []
        for p in assigned:
            log = self.logs[p]
            pos = positions.get(p, self.committed.get((gname, p), log.start))
            if pos < log.start:
                pos = log.start
                resets.append(p)
            recs = log.read(pos, int(body.get("max", 100)))
            out.append([p, pos, recs])
            if body.get("commit_on_fetch") and recs:
                self._commit(rt, gname, p, recs[-1][0] + 1)
        starts = [[p, self.logs[p].start] for p in assigned]
        return _ok(
            assignment=assigned,
            records=out,
            resets=resets,
            log_starts=starts,
            generation=group.generation,
        )

    def _on_commit(self, rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
        self._commit(rt, str(body["group"]), int(body["partition"]), int(body["offset"]))
        return _ok()

    def _on_committed(self, rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
        key = (str(body["group"]), int(body["partition"]))
        return _ok(offset=self.committed.get(key))

    def _commit(self, rt: Runtime, group: str, p: int, offset: int) -> None:
        if self.committed.get((group, p)) == offset:
            return
        self.committed[(group, p)] = offset
        rt.disk.append(OFFSETS, (json.dumps([group, p, offset]) + "\n").encode())
        rt.disk.fsync(OFFSETS)
