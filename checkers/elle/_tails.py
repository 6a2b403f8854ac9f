"""The list-append reads pass of the split child's txns, done in the child.

Theory of operation
-------------------
When the scan is split (``_split.py``), the child holds the second part's txns; once it
has sent them, it would idle while the parent builds the graph and runs the analysis.
So it goes on with the one analysis pass that needs nothing from the first part but its
result: the *reads pass* of ``AppendAnalysis`` over its own txns (``part_reads`` in
``_append.py``), and sends a ``Reads`` summary -- its external reads as three columns
(txn, key, length), each key's longest read, its lost-update candidates as (key,
length), and the txns whose micro-ops it did not know (an info completion past the cut
whose micro-ops are its invocation's, in the parent's part).  It sends it only when its
part showed no anomaly at all (no witness, no incompatible key, no duplicate write): an
anomaly's witness is then always found by the parent's own pass, in the one order.

``merge`` takes the summary into the parent's analysis after the parent's reads pass
over the first part, and is exact -- the state a pass over the child's txns would have
left -- when:

* each key's longest read in the child part is a prefix of the parent's or the other way
  round, and no key the parent found incompatible is read in the child part (then every
  read of the child part is compatible with the running longest read, and the longer one
  is the key's longest, the parent's on a tie);
* no (key, read) of the child's lost-update candidates is one of the parent's (else two
  txns appended after reading the same list: a lost update);
* no external read of the child part ends with an intermediate append the child could not
  see (written by a txn of the first part, by one whose micro-ops it did not know, or by
  an invocation pending at the end, finished as an info txn after every part): a G1b.

Anything else (or no summary: the child failed, sent garbage, was too slow) returns False
and the parent runs the reads pass over the child's txns itself, as in one process.
"""

from __future__ import annotations

from array import array
from typing import Any

import msgspec


class Reads(msgspec.Struct, array_like=True):
    """The child's reads pass: txn ids from 0 (the part's first txn)."""

    ext_t: bytes  # array("q")
    ext_k: list[Any]
    ext_n: bytes  # array("q")
    longest: list[tuple[Any, list[Any]]]
    lost_k: list[Any]
    lost_n: bytes  # array("q")
    blind: list[int]
    n: int  # the part's txns: ids from ``head + n`` on are the pending invocations'


decode_reads = msgspec.msgpack.Decoder(Reads).decode


def summary(a: Any, lost: dict[Any, list[int]], blind: list[int], n: int) -> Reads | None:
    """The reads pass state ``a`` (an ``AppendAnalysis`` over the part's txns) as sent,
    or None when the part showed any anomaly."""
    if a.anomalies or a.bad_keys or a.duplicate_writes or any(len(v) > 1 for v in lost.values()):
        return None
    return Reads(
        ext_t=array("q", a.ext_t).tobytes(),
        ext_k=a.ext_k,
        ext_n=array("q", a.ext_n).tobytes(),
        longest=list(a.longest.items()),
        lost_k=[k for k, _ in lost],
        lost_n=array("q", [len(v) for _, v in lost]).tobytes(),
        blind=blind,
        n=n,
    )


def merge(a: Any, part: Reads | None, head: int, lost: dict[Any, list[int]]) -> bool:
    """Take ``part`` (txns from ``head`` on) into ``a``'s reads pass, or False (``a``
    untouched) when it would not be exactly what that pass leaves; see the docstring."""
    if part is None:
        return False
    ext_t, ext_n = array("q", part.ext_t), array("q", part.ext_n)
    if len(ext_t) != len(ext_n) or len(ext_t) != len(part.ext_k):
        return False
    theirs = dict(part.longest)
    if not (_orders_fit(a, theirs) and _no_lost(part, theirs, lost)):
        return False
    if not _no_hidden_g1b(a, part, theirs, ext_n, head):
        return False
    longest = a.longest
    for k, v in part.longest:
        cur = longest.get(k)
        if cur is None or len(v) > len(cur):
            longest[k] = v
    a.ext_t.extend([t + head for t in ext_t])
    a.ext_k.extend(part.ext_k)
    a.ext_n.extend(ext_n)
    return True


def _orders_fit(a: Any, theirs: dict[Any, list[Any]]) -> bool:
    """Each key's two longest reads are one a prefix of the other."""
    longest, bad = a.longest, a.bad_keys
    for k, v in theirs.items():
        if k in bad:
            return False
        cur = longest.get(k)
        if cur is not None and (v[: len(cur)] != cur if len(v) > len(cur) else cur[: len(v)] != v):
            return False
    return True


def _no_lost(part: Reads, theirs: dict[Any, list[Any]], lost: dict[Any, list[int]]) -> bool:
    """No (key, read) the child's txns appended after is one the parent's did."""
    mine = {k for k, _ in lost}
    ns = array("q", part.lost_n)
    if len(ns) != len(part.lost_k):
        return False
    for k, n in zip(part.lost_k, ns, strict=True):
        if k in mine and (k, tuple(theirs.get(k, ())[:n])) in lost:
            return False
    return True


def _no_hidden_g1b(
    a: Any, part: Reads, theirs: dict[Any, list[Any]], ext_n: Any, head: int
) -> bool:
    """No child read ends with an intermediate append of a txn the child did not see
    (never one of its readers: those are ok txns of its part, which it saw)."""
    blind, end = {head + i for i in part.blind}, head + part.n
    need: set[tuple[Any, int]] = set()  # (key, length) of a read ending with one
    inter = a.intermediate
    for k in theirs.keys() & inter.keys():
        ws = inter[k].values()
        if min(ws) < head or max(ws) >= end or not blind.isdisjoint(ws):
            xs = {x for x, w in inter[k].items() if w < head or w >= end or w in blind}
            need.update((k, i + 1) for i, x in enumerate(theirs[k]) if x in xs)
    return not need or need.isdisjoint(zip(part.ext_k, ext_n, strict=True))


__all__ = ["Reads", "decode_reads", "merge", "summary"]
