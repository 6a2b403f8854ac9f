"""Index reads against the data: missing, stale and phantom index entries.

Theory of operation
-------------------
The history is the ``term-index`` workload's: ``put [doc, term]`` gives a document a term,
``delete [doc, None]`` removes it, ``query [term, None]`` returns ``[term, docs]``, the
documents the index lists under the term.

For a query ``Q`` of term ``t`` and a document ``d``, the *settled* write of ``d`` is the
ok write ``W`` that completed last before ``Q`` was invoked, provided no other write of
``d`` that may have happened (ok or indeterminate) could take effect between ``W`` and
``Q`` (invoked before ``Q`` completed, completed after ``W`` was invoked).  Then ``d``'s
term during ``Q`` is known:

* ``missing-entry``  -- ``W`` put ``d`` under ``t`` but ``Q`` does not list it;
* ``stale-entry``    -- ``W`` moved ``d`` to another term or deleted it, but ``Q`` lists it;
* ``phantom-entry``  -- ``Q`` lists a document no write ever put under ``t``.

A write that timed out (``info``) may take effect at any later time, so it races every
later query.  Documents without a settled write are not judged by the rules above; one
rule judges them across queries:

* ``mixed-visibility`` -- a query ``Q1`` whose answer for ``d`` only one write ``W``
  explains (listed under ``W``'s term, or absent from the term ``W`` moved it off), and a
  query ``Q2`` that began after ``Q1`` ended and whose answer neither ``W`` nor any write
  that could follow it explains: ``W`` was visible in one partition and not yet in
  another (a write that is not atomic across the document's and the terms' partitions).

An asynchronously maintained index shows missing and stale entries (the known hazard, with
a witness); a synchronously maintained one must show none, and an atomic one no mixed
visibility either.  Fail closed: with no ok query that has a settled document to judge,
and nothing found, the result is ``unknown``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from checkers import Pair
from ddialab.history import NEMESIS, History

INF = float("inf")


class Call(Pair):
    """A client op of the term-index vocabulary (a ``checkers.Pair``): put, delete, query."""

    __slots__ = ()

    @property
    def effect_end(self) -> float:
        """Until when the op may take effect: an indeterminate op, even after it ended."""
        return self.end if self.outcome == "ok" else INF

    @property
    def arg(self) -> Any:
        return self.inv.value[1] if isinstance(self.inv.value, list | tuple) else None

    @property
    def subject(self) -> Any:
        return self.inv.value[0] if isinstance(self.inv.value, list | tuple) else None


def calls(history: History) -> Iterator[Call]:
    for inv, comp in history.completed_pairs():
        if inv.process != NEMESIS and inv.f in ("put", "delete", "query"):
            yield Call(inv, comp)


def _term(w: Call) -> Any:
    return w.arg if w.inv.f == "put" else None


def settled(writes: list[Call], q: Call) -> Call | None:
    done = [w for w in writes if w.outcome == "ok" and w.end < q.inv.index]
    if not done:
        return None
    last = max(done, key=lambda w: w.end)
    racing = [x for x in writes if x is not last and x.outcome != "fail"
              and x.inv.index < q.end and x.effect_end > last.inv.index]  # fmt: skip
    return None if racing else last


def _judge(q: Call, writes: dict[Any, list[Call]]) -> Iterator[tuple[str, dict[str, Any]]]:
    term = q.subject
    listed = set(q.comp.value[1] or []) if q.comp is not None else set()
    for doc, ws in writes.items():
        w = settled(ws, q)
        if w is None:
            continue
        if _term(w) == term and doc not in listed:
            yield "missing-entry", _witness(q, w, doc, term)
        elif _term(w) != term and doc in listed:
            yield "stale-entry", _witness(q, w, doc, term)
    ever = {
        d for d, ws in writes.items() if any(_term(w) == term and w.outcome != "fail" for w in ws)
    }
    for doc in sorted(listed - ever, key=repr):
        yield "phantom-entry", _phantom(q, doc, term)


def _phantom(q: Call, doc: Any, term: Any) -> dict[str, Any]:
    text = (
        f"Query op {int(q.end)} listed document {doc!r} under {term!r}, "
        "but no write ever gave it that term."
    )
    return {
        "query": int(q.end),
        "doc": doc,
        "term": term,
        "ops": [q.inv.index],
        "explanation": text,
    }


def _witness(q: Call, w: Call, doc: Any, term: Any) -> dict[str, Any]:
    facts = {"query": int(q.end), "write": int(w.end), "doc": doc, "term": term,
             "written_term": _term(w), "ops": [w.inv.index, q.inv.index]}  # fmt: skip
    now = f"under {facts['written_term']!r}" if facts["written_term"] else "deleted"
    listed = "did not list it" if _term(w) == term else "still listed it"
    text = (
        f"Write op {facts['write']} left document {doc!r} {now} and was acknowledged before "
        f"query op {facts['query']} of {term!r} began, with no other write of it in between; "
        f"the query {listed}."
    )
    return {**facts, "explanation": text}


def _listed(q: Call) -> set[Any]:
    return set(q.comp.value[1] or []) if q.comp is not None else set()


def explanations(q: Call, doc: Any, ws: list[Call]) -> list[Call | None]:
    """The writes whose state ``q`` may have seen for ``doc`` and that agree with what it
    listed (``None``: the initial state, no term); see *mixed visibility*."""
    term, shown = q.subject, doc in _listed(q)
    done = [w for w in ws if w.outcome == "ok" and w.end < q.inv.index]
    out: list[Call | None] = [] if done or shown != (term is None) else [None]
    for x in ws:
        if x.outcome == "fail" or x.inv.index > q.end or (_term(x) == term) != shown:
            continue
        if not any(y.inv.index > x.effect_end for y in done):  # not overwritten before q
            out.append(x)
    return out


def mixed(queries: list[Call], writes: dict[Any, list[Call]]) -> Iterator[dict[str, Any]]:
    """Pairs of queries in real-time order where the first could only have seen write
    ``W`` of a document and the second, with no settled write, saw neither ``W`` nor
    anything that could follow it."""
    for doc, ws in writes.items():
        seen = {id(q): explanations(q, doc, ws) for q in queries}
        for q1 in queries:
            only = seen[id(q1)]
            if len(only) != 1 or only[0] is None:
                continue
            w = only[0]
            for q2 in queries:
                if q2.inv.index > q1.end and settled(ws, q2) is None:
                    after = [x for x in seen[id(q2)] if x is w or (x and x.end > w.inv.index)]
                    if not after:
                        yield _mixed(q1, q2, w, doc)
                        break


def _mixed(q1: Call, q2: Call, w: Call, doc: Any) -> dict[str, Any]:
    text = (
        f"Query op {int(q1.end)} of {q1.subject!r} could only have seen write op "
        f"{w.inv.index} of document {doc!r} (to {_term(w)!r}); query op {int(q2.end)} of "
        f"{q2.subject!r}, which began after it ended, saw neither that write nor a later one: "
        "the write was visible in one term's partition and not yet in another's."
    )
    return {"first_query": int(q1.end), "query": int(q2.end), "write": w.inv.index, "doc": doc,
            "written_term": _term(w), "ops": [w.inv.index, q1.inv.index, q2.inv.index],
            "explanation": text}  # fmt: skip


def check_term_index(history: History, options: Mapping[str, Any]) -> dict[str, Any]:
    ops = list(calls(history))
    writes: dict[Any, list[Call]] = {}
    for c in ops:
        if c.inv.f != "query":
            writes.setdefault(c.subject, []).append(c)
    found: dict[str, list[dict[str, Any]]] = {}
    judged = 0
    queries = [q for q in ops if q.inv.f == "query" and q.outcome == "ok"]
    for q in queries:
        judged += sum(1 for ws in writes.values() if settled(ws, q) is not None)
        for kind, witness in _judge(q, writes):
            found.setdefault(kind, []).append(witness)
    for witness in mixed(queries, writes):
        found.setdefault("mixed-visibility", []).append(witness)
    if not found and not judged:
        return {"valid": "unknown", "anomaly_types": [], "anomalies": {},
                "reason": "no ok query with a settled document to compare"}  # fmt: skip
    return {"valid": not found, "anomaly_types": sorted(found), "anomalies": found,
            "judged": judged}  # fmt: skip
