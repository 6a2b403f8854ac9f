"""The term-partitioned (global) secondary index with many terms, updates and deletes.

Theory of operation
-------------------
A document ``{"color": c}`` is stored by its owner with a per-document version ``v``
(``{"color": c, "v": n}``; a delete stores ``{"color": None, "v": n}``, a tombstone that
keeps the version).  The index entry for term ``t`` is the key ``tidx/t``, owned by
whichever partition that key hashes to -- independent of where the documents live.  Its
value maps each document (JSON) to ``[v, present]``.

A write that changes a document's colour from ``o`` to ``n`` at version ``v`` produces
index changes ``[o, doc, v, False]`` and ``[n, doc, v, True]`` (``changes``).  The
document's owner keeps them in an *outbox* (persisted) and sends each to its term's
owner until acknowledged; the owner applies a change only if its version is newer than
the entry's (``apply``), so duplicated, delayed or reordered changes converge to the
document's latest colour.

* ``index="term-async"`` -- the write is acknowledged as soon as the document is stored:
  for a while the index misses the document under its new term and still lists it under
  the old one (DDIA: global index updates are often asynchronous).
* ``index="term-sync-nonatomic"`` -- (named unsafe) the write's reply is held until every
  term owner has applied its change: an index read never misses an acknowledged write, but
  readers concurrent with a write may see it half applied (no atomic visibility across the
  partitions; no locks);
* ``index="term-sync"`` -- the document and its index changes commit atomically, by
  two-phase commit across the document's and the terms' partitions (``_termtx``).
"""

from __future__ import annotations

import json
from typing import Any

TERM_MODES = ("term-async", "term-sync", "term-sync-nonatomic")
PREFIX = "tidx/"


def color_of(doc: Any) -> Any:
    return doc.get("color") if isinstance(doc, dict) else None


def versioned(old: Any, new: Any) -> dict[str, Any]:
    """The stored form of ``new`` (a document or ``None`` for a delete), one version on."""
    v = int(old.get("v", 0)) if isinstance(old, dict) else 0
    return {"color": color_of(new), "v": v + 1}


def changes(old: Any, new: dict[str, Any], doc: Any) -> list[list[Any]]:
    """The index changes a write from ``old`` to ``new`` (both stored forms) needs."""
    before, after, v = color_of(old), color_of(new), new["v"]
    out = []
    if before is not None and before != after:
        out.append([before, doc, v, False])
    if after is not None and after != before:
        out.append([after, doc, v, True])
    return out


def apply(entry: Any, change: list[Any]) -> dict[str, list[Any]]:
    """The term's index value after ``change``, applied only if newer for its document."""
    index = dict(entry) if isinstance(entry, dict) else {}
    _, doc, v, present = change
    jd = json.dumps(doc)
    if jd not in index or index[jd][0] < v:
        index[jd] = [v, present]
    return index


def members(entry: Any) -> list[Any]:
    index = entry if isinstance(entry, dict) else {}
    return sorted(json.loads(d) for d, (_, present) in index.items() if present)


def request(change: list[Any], sender: str) -> dict[str, Any]:
    return {"type": "tidx", "key": PREFIX + str(change[0]), "change": change, "from": sender}
