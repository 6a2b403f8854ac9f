"""A B-tree of fixed-size pages with a redo log, a page cache and checkpoints.

Theory of operation
-------------------
``btree.db`` is an array of ``page_size`` pages; page 0 holds the meta record (root page,
next unused page, free list).  A page is ``crc32:u32 length:u32 payload`` padded with zeros,
the payload a ``Page`` record (leaf flag, keys, values or child page numbers) in the schema
encoding.  An internal page with keys ``k1..kn`` has children ``c0..cn``; ``ci`` holds keys
in ``[ki, ki+1)``.

A put or delete changes pages in the cache only: a page that overflows is split (a root
split grows the tree), a page that falls under a quarter full is merged into a sibling when
the two fit in one page (a root left with one child is collapsed).  Then *one* redo record
is appended to ``btree.wal`` and fsynced before the reply.  It holds the full after-image
of every page the operation changed -- except a leaf whose full image is already in the log
since the last checkpoint, which gets a small logical record (page, key, value or delete)
applied on top of that image at replay (as PostgreSQL logs a full page image only on the
first change after a checkpoint).  A split or merge is atomic because its record is either
whole (checksum) or ignored.  Changed pages stay *dirty* (pinned) in the cache.

A checkpoint (``compact_step`` once enough pages are dirty or the log is long) fsyncs the
log, writes every dirty page in place, fsyncs ``btree.db``, then empties the log.  A crash
can tear a page being written, but every dirty page's after-image is still in the log,
and recovery replays the log's images over the pages (full-page redo is idempotent); a
checksum failure on any page not covered by the log is corruption and raises.

The cache holds up to ``cache_pages`` clean pages (LRU) besides the dirty ones; hits and
misses are counted.
"""

from __future__ import annotations

import bisect
import struct
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from systems.storage._disk import Disk
from systems.storage._encoding import Field, decode, encode, schema
from systems.storage._errors import CorruptionError, TooLarge
from systems.storage._record import frame, scan_file

DB, WAL = "btree.db", "btree.wal"
PAGE_HEADER = struct.Struct(">II")
PAGE = schema(
    "Page",
    Field(1, "leaf", "bool", default=False),
    Field(2, "keys", "bytes", repeated=True),
    Field(3, "values", "bytes", repeated=True),
    Field(4, "children", "uint", repeated=True),
)
META = schema(
    "Meta",
    Field(1, "root", "uint", default=1),
    Field(2, "next_page", "uint", default=2),
    Field(3, "free", "uint", repeated=True),
)
REDO = schema(
    "Redo",
    Field(1, "pages", "uint", repeated=True),
    Field(2, "images", "bytes", repeated=True),
    Field(3, "op_pages", "uint", repeated=True),
    Field(4, "op_keys", "bytes", repeated=True),
    Field(5, "op_values", "bytes", repeated=True),
    Field(6, "op_deletes", "bool", repeated=True),
)


@dataclass
class Node:
    leaf: bool
    keys: list[bytes] = field(default_factory=list)
    values: list[bytes] = field(default_factory=list)
    children: list[int] = field(default_factory=list)

    def payload(self) -> bytes:
        rec = {"leaf": self.leaf, "keys": self.keys}
        rec.update({"values": self.values, "children": self.children})
        return encode(PAGE, rec)

    def size_bound(self) -> int:
        """An upper bound on ``len(self.payload())`` without encoding (tag + length <= 3
        bytes per key or value up to 16 KiB, <= 6 bytes per child)."""
        n = 2 + 3 * (len(self.keys) + len(self.values)) + 6 * len(self.children)
        return n + sum(map(len, self.keys)) + sum(map(len, self.values))

    @classmethod
    def parse(cls, payload: bytes) -> Node:
        r = decode(PAGE, payload)
        return cls(r["leaf"], r["keys"], r["values"], r["children"])


def _leaf_put(node: Node, key: bytes, value: bytes | None) -> None:
    """Set (or with ``None`` remove) ``key`` in a leaf."""
    i = bisect.bisect_left(node.keys, key)
    found = i < len(node.keys) and node.keys[i] == key
    if value is None:
        if found:
            del node.keys[i], node.values[i]
    elif found:
        node.values[i] = value
    else:
        node.keys.insert(i, key)
        node.values.insert(i, value)


def _balanced_mid(node: Node) -> int:
    """Split point by bytes, not count: each half of an overflowing page then fits."""
    sizes = [len(k) + 4 for k in node.keys]
    for i, v in enumerate(node.values):
        sizes[i] += len(v)
    half, acc = sum(sizes) / 2, 0
    for i, n in enumerate(sizes):
        acc += n
        if acc >= half:
            return max(1, min(len(sizes) - 1, i + (1 if node.leaf else 0)))
    return len(sizes) // 2


class BTree:
    contract = "redo-log fsync per acknowledged write (or per group commit)"

    def __init__(
        self,
        disk: Disk,
        page_size: int = 4096,
        cache_pages: int = 64,
        dirty_limit: int = 32,
        wal_limit: int = 256 * 1024,
    ) -> None:
        self.disk = disk
        self.page_size = page_size
        self.capacity = page_size - PAGE_HEADER.size
        self.cache_pages = cache_pages
        self.dirty_limit = dirty_limit
        self.wal_limit = wal_limit
        self.cache: OrderedDict[int, Node] = OrderedDict()
        self.dirty: set[int] = set()
        self.touched: set[int] = set()
        self.logical: list[tuple[int, bytes, bytes | None]] = []
        self.root, self.next_page, self.free = 1, 2, list[int]()
        self.unsynced = False
        self.stats = dict.fromkeys(
            ("hits", "misses", "page_reads", "page_writes", "splits", "merges", "checkpoints"), 0
        )
        self._recover()

    # --- pages --------------------------------------------------------------------------

    def _node(self, pid: int) -> Node:
        node = self.cache.get(pid)
        if node is not None:
            self.cache.move_to_end(pid)
            self.stats["hits"] += 1
            return node
        self.stats["misses"] += 1
        node = Node.parse(self._read_page(pid))
        self.cache[pid] = node
        self._evict()
        return node

    def _read_page(self, pid: int) -> bytes:
        self.stats["page_reads"] += 1
        raw = self.disk.read(DB, pid * self.page_size, self.page_size)
        if len(raw) < PAGE_HEADER.size:
            raise CorruptionError(f"page {pid} is missing")
        crc, n = PAGE_HEADER.unpack_from(raw)
        payload = raw[PAGE_HEADER.size : PAGE_HEADER.size + n]
        if len(payload) != n or zlib.crc32(n.to_bytes(4, "big") + payload) != crc:
            raise CorruptionError(f"page {pid}: checksum mismatch")
        return payload

    def _evict(self) -> None:
        if len(self.cache) <= self.cache_pages + len(self.dirty) + len(self.touched):
            return
        clean = [p for p in self.cache if p not in self.dirty and p not in self.touched]
        for pid in clean[: max(0, len(self.cache) - self.cache_pages - len(self.dirty))]:
            del self.cache[pid]

    def _touch(self, pid: int, node: Node) -> None:
        self.cache[pid] = node
        self.touched.add(pid)

    def _alloc(self, node: Node) -> int:
        if self.free:
            pid = self.free.pop()
        else:
            pid, self.next_page = self.next_page, self.next_page + 1
        self._touch(pid, node)
        self.touched.add(0)
        return pid

    def _release(self, pid: int) -> None:
        if len(self.free) < self.capacity // 8:  # the free list must fit in the meta page
            self.free.append(pid)
        self.cache.pop(pid, None)
        self.dirty.discard(pid)
        self.touched.discard(pid)
        self.touched.add(0)

    def _meta(self) -> bytes:
        return encode(META, {"root": self.root, "next_page": self.next_page, "free": self.free})

    def _image(self, pid: int) -> bytes:
        return self._meta() if pid == 0 else self.cache[pid].payload()

    # --- reads --------------------------------------------------------------------------

    def get(self, key: bytes) -> bytes | None:
        node = self._node(self.root)
        while not node.leaf:
            node = self._node(node.children[bisect.bisect_right(node.keys, key)])
        i = bisect.bisect_left(node.keys, key)
        if i < len(node.keys) and node.keys[i] == key:
            return node.values[i]
        return None

    def scan(self, lo: bytes | None = None, hi: bytes | None = None) -> list[tuple[bytes, bytes]]:
        out: list[tuple[bytes, bytes]] = []
        self._scan(self.root, lo, hi, out)
        return out

    def _scan(self, pid: int, lo: bytes | None, hi: bytes | None, out: list[Any]) -> None:
        node = self._node(pid)
        if node.leaf:
            out.extend(
                (k, v)
                for k, v in zip(node.keys, node.values, strict=True)
                if (lo is None or k >= lo) and (hi is None or k < hi)
            )
            return
        first = 0 if lo is None else bisect.bisect_right(node.keys, lo)
        for i in range(first, len(node.children)):
            if hi is not None and i > 0 and node.keys[i - 1] >= hi:
                break
            self._scan(node.children[i], lo, hi, out)

    # --- writes -------------------------------------------------------------------------

    def put(self, key: bytes, value: bytes, sync: bool = True) -> None:
        if len(key) + len(value) > self.capacity // 4:
            raise TooLarge(f"entry of {len(key) + len(value)} bytes > {self.capacity // 4}")
        split = self._insert(self.root, key, value)
        if split is not None:
            sep, right = split
            self.root = self._alloc(Node(False, [sep], [], [self.root, right]))
        self._log(sync)

    def delete(self, key: bytes, sync: bool = True) -> None:
        if self.get(key) is None:
            if sync:
                self.sync()  # the key's absence may rest on an unsynced delete
            return
        self._remove(self.root, key)
        root = self._node(self.root)
        if not root.leaf and not root.keys:
            old, self.root = self.root, root.children[0]
            self._release(old)
        self._log(sync)

    def _insert(self, pid: int, key: bytes, value: bytes) -> tuple[bytes, int] | None:
        node = self._node(pid)
        if node.leaf:
            _leaf_put(node, key, value)
        else:
            i = bisect.bisect_right(node.keys, key)
            split = self._insert(node.children[i], key, value)
            if split is None:
                return None
            node.keys.insert(i, split[0])
            node.children.insert(i + 1, split[1])
        if node.size_bound() > self.capacity:
            self._touch(pid, node)
            return self._split(node)
        self._changed(pid, node, key, value)
        return None

    def _changed(self, pid: int, node: Node, key: bytes, value: bytes | None) -> None:
        """A leaf whose full image is already in the log since the last checkpoint gets
        a small logical record; any other changed page a full after-image."""
        if node.leaf and pid in self.dirty and pid not in self.touched:
            self.logical.append((pid, key, value))
        else:
            self._touch(pid, node)

    def _split(self, node: Node) -> tuple[bytes, int]:
        self.stats["splits"] += 1
        mid = _balanced_mid(node)
        if node.leaf:
            right = Node(True, node.keys[mid:], node.values[mid:])
            sep = right.keys[0]
            del node.keys[mid:], node.values[mid:]
        else:
            sep = node.keys[mid]
            right = Node(False, node.keys[mid + 1 :], [], node.children[mid + 1 :])
            del node.keys[mid:], node.children[mid + 1 :]
        return sep, self._alloc(right)

    def _remove(self, pid: int, key: bytes) -> bool:
        """Delete ``key`` under ``pid``; True if the page is now under a quarter full."""
        node = self._node(pid)
        if node.leaf:
            _leaf_put(node, key, None)
            self._changed(pid, node, key, None)
        else:
            i = bisect.bisect_right(node.keys, key)
            if self._remove(node.children[i], key) and self._merge(node, i):
                self._touch(pid, node)
        return node.size_bound() < self.capacity // 4

    def _merge(self, parent: Node, i: int) -> bool:
        j = i - 1 if i > 0 else i  # merge children j and j + 1
        if j + 1 >= len(parent.children):
            return False
        left, right = self._node(parent.children[j]), self._node(parent.children[j + 1])
        if left.leaf:
            merged = Node(True, left.keys + right.keys, left.values + right.values)
        else:
            keys = [*left.keys, parent.keys[j], *right.keys]
            merged = Node(False, keys, [], left.children + right.children)
        if merged.size_bound() > self.capacity:
            return False
        self.stats["merges"] += 1
        self._touch(parent.children[j], merged)
        self._release(parent.children[j + 1])
        del parent.keys[j], parent.children[j + 1]
        return True

    def _log(self, sync: bool) -> None:
        pids = sorted(self.touched)
        ops = [op for op in self.logical if op[0] not in self.touched and op[0] in self.cache]
        rec: dict[str, Any] = {"pages": pids, "images": [self._image(p) for p in pids]}
        rec["op_pages"] = [p for p, _, _ in ops]
        rec["op_keys"] = [k for _, k, _ in ops]
        rec["op_values"] = [v or b"" for _, _, v in ops]
        rec["op_deletes"] = [v is None for _, _, v in ops]
        self.logical = []
        self.disk.append(WAL, frame(encode(REDO, rec)))
        self.unsynced = True
        self.dirty |= self.touched
        self.touched = set()
        if sync:
            self.sync()
        self._evict()

    def sync(self) -> None:
        if self.unsynced:
            self.disk.fsync(WAL)
        self.unsynced = False

    # --- checkpoints and recovery -------------------------------------------------------

    def needs_compaction(self) -> bool:
        return len(self.dirty) >= self.dirty_limit or (
            self.disk.exists(WAL) and self.disk.size(WAL) >= self.wal_limit
        )

    def compact_step(self) -> bool:
        if not self.dirty:
            return False
        self.checkpoint()
        return True

    def checkpoint(self) -> None:
        self.sync()  # the log before the data pages it covers
        for pid in sorted(self.dirty):
            payload = self._image(pid)
            crc = zlib.crc32(len(payload).to_bytes(4, "big") + payload)
            page = PAGE_HEADER.pack(crc, len(payload)) + payload
            self.disk.write(DB, pid * self.page_size, page.ljust(self.page_size, b"\0"))
            self.stats["page_writes"] += 1
        self.disk.fsync(DB)
        self.disk.truncate(WAL, 0)
        self.disk.fsync(WAL)
        self.dirty = set()
        self.stats["checkpoints"] += 1
        self._evict()

    def _recover(self) -> None:
        meta: bytes | None = None
        if self.disk.exists(WAL):  # first: its images replace whatever a crash tore
            for _, payload in scan_file(self.disk, WAL, repair=True):
                rec = decode(REDO, payload)
                for pid, image in zip(rec["pages"], rec["images"], strict=True):
                    if pid == 0:
                        meta = image
                    else:
                        self.cache[pid] = Node.parse(image)
                    self.dirty.add(pid)
                self._redo_logical(rec)
        if meta is None and self.disk.exists(DB) and self.disk.size(DB) >= self.page_size:
            meta = self._read_page(0)
        if meta is None:
            self.cache[1] = Node(True)
            self.touched = {0, 1}
            return
        m = decode(META, meta)
        self.root, self.next_page, self.free = m["root"], m["next_page"], m["free"]

    def _redo_logical(self, rec: dict[str, Any]) -> None:
        ops = zip(rec["op_pages"], rec["op_keys"], rec["op_values"], rec["op_deletes"], strict=True)
        for pid, key, value, deleted in ops:
            node = self.cache.get(pid)
            if node is None or not node.leaf:
                raise CorruptionError(f"redo log: logical record for page {pid} without image")
            _leaf_put(node, key, None if deleted else value)

    def info(self) -> dict[str, Any]:
        return {"root": self.root, "pages": self.next_page, "free": len(self.free), **self.stats}
