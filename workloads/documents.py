"""Data models (DDIA ch. 2) as transactional workloads: documents, graph, relational.

Each maps its model onto the transactional KV with ordinary code, and ends up keeping
one fact in several places, which only a transaction keeps in step:

* ``documents`` -- user documents ``user:{u}`` nest a *denormalized* copy of their
  organization's name (``{"id", "org": {"id", "name"}}``) next to the organization's own
  document ``org:{o}``.  ``rename`` rewrites the org document and every member's copy in
  one txn; ``read`` reads the org document and its members' documents in one txn.
  Checked by ``documents``: every committed read sees all copies agree.
* ``graph`` -- a many-to-many graph stored as adjacency lists in both directions:
  ``link`` upserts both vertices ``vertex:{v}`` and appends each end to the other's list
  ``adj:{v}``; ``read`` reads vertices, then adjacency lists.  Checked by ``graph``: no
  half-written edge (``v`` in ``adj:u`` as often as ``u`` in ``adj:v``) and referential
  integrity (every neighbour's vertex record exists).
* ``relational`` -- rows ``users/{u}`` with a foreign key ``org_id`` into ``orgs/{id}``,
  written through a tiny ORM (``Table``).  ``move`` inserts a fresh org row, points the
  user at it and deletes the old org row; ``read`` reads the user and its recent org
  rows.  Checked by ``relational``: a user read with ``org_id`` X never sits next to a
  read of ``orgs/X`` that finds no row.

All ops are ``f: "txn"`` with micro-ops ``["r", k, None]``, ``["w", k, v]`` and
``["append", k, v]``, so they run on every ``txn-*`` system and on ``kv-no-txn`` (each
micro-op its own request: the same invariants without transactions).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workloads._protocol import CheckerSpec, Workload, typed


@dataclass(frozen=True)
class DocumentsOptions:
    orgs: int = 2
    users: int = 6
    read_ratio: float = 0.5


@dataclass(frozen=True)
class GraphOptions:
    vertices: int = 5
    read_ratio: float = 0.5


@dataclass(frozen=True)
class RelationalOptions:
    users: int = 4
    read_ratio: float = 0.5
    read_orgs: int = 3


def _txn(mops: list[list[Any]]) -> dict[str, Any]:
    return {"f": "txn", "value": mops}


# -- documents ------------------------------------------------------------------------------
def _members(org: int, opts: DocumentsOptions) -> list[int]:
    return [u for u in range(opts.users) if u % opts.orgs == org]


def documents_generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    opts = typed(DocumentsOptions, options, "documents")
    names = itertools.count(1)

    def next_op() -> dict[str, Any]:
        org = rng.randrange(opts.orgs)
        members = _members(org, opts)
        if rng.random() < opts.read_ratio:
            return _txn([["r", f"org:{org}", None], *[["r", f"user:{u}", None] for u in members]])
        name = f"org{org}-name{next(names)}"
        docs = [["w", f"user:{u}", {"id": u, "org": {"id": org, "name": name}}] for u in members]
        return _txn([["w", f"org:{org}", {"id": org, "name": name}], *docs])

    return next_op


def documents_final(rng: random.Random, options: Mapping[str, Any]) -> Any:
    opts = typed(DocumentsOptions, options, "documents")
    return [
        {**_txn([["r", f"org:{o}", None], *[["r", f"user:{u}", None] for u in _members(o, opts)]]),
         "final": True}
        for o in range(opts.orgs)
    ]  # fmt: skip


# -- graph ----------------------------------------------------------------------------------
def _graph_read(n: int) -> dict[str, Any]:
    vertices = [["r", f"vertex:{v}", None] for v in range(n)]
    return _txn([*vertices, *[["r", f"adj:{v}", None] for v in range(n)]])


def graph_generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    opts = typed(GraphOptions, options, "graph")
    n = opts.vertices

    def next_op() -> dict[str, Any]:
        if rng.random() < opts.read_ratio:
            return _graph_read(n)
        u, v = rng.sample(range(n), 2)
        return _txn([
            ["w", f"vertex:{u}", {"id": u}], ["w", f"vertex:{v}", {"id": v}],
            ["append", f"adj:{u}", v], ["append", f"adj:{v}", u],
        ])  # fmt: skip

    return next_op


def graph_final(rng: random.Random, options: Mapping[str, Any]) -> Any:
    return [{**_graph_read(typed(GraphOptions, options, "graph").vertices), "final": True}]


# -- relational -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Table:
    """The ORM mapping: a table's rows as KV entries ``{table}/{id}``; delete = ``None``."""

    name: str

    def key(self, row_id: Any) -> str:
        return f"{self.name}/{row_id}"

    def insert(self, row: dict[str, Any]) -> list[Any]:
        return ["w", self.key(row["id"]), row]

    def delete(self, row_id: Any) -> list[Any]:
        return ["w", self.key(row_id), None]

    def get(self, row_id: Any) -> list[Any]:
        return ["r", self.key(row_id), None]


USERS, ORGS = Table("users"), Table("orgs")


def relational_generator(rng: random.Random, options: Mapping[str, Any]) -> Any:
    opts = typed(RelationalOptions, options, "relational")
    orgs: dict[int, list[str]] = {u: [] for u in range(opts.users)}
    serial = itertools.count(1)

    def next_op() -> dict[str, Any]:
        u = rng.randrange(opts.users)
        if rng.random() < opts.read_ratio:
            recent = orgs[u][-opts.read_orgs :]
            return _txn([USERS.get(u), *[ORGS.get(o) for o in recent]])
        new = f"{u}.{next(serial)}"
        mops = [
            ORGS.insert({"id": new, "name": f"org {new}"}),
            USERS.insert({"id": u, "org_id": new}),
        ]
        if orgs[u]:
            mops.append(ORGS.delete(orgs[u][-1]))
        orgs[u].append(new)
        return _txn(mops)

    return next_op


# -- checkers -------------------------------------------------------------------------------
def _checkers(name: str, settings: type) -> Any:
    def checkers(options: Mapping[str, Any]) -> dict[str, CheckerSpec]:
        typed(settings, options, name)
        return {name: (name, {})}

    return checkers


WORKLOADS = [
    Workload(
        "documents",
        "nested documents with a denormalized org name in every member's document; "
        "renames rewrite all copies in one txn; every committed read must see them agree",
        documents_generator,
        _checkers("documents", DocumentsOptions),
        documents_final,
        settings=DocumentsOptions,
    ),
    Workload(
        "graph",
        "many-to-many graph as adjacency lists stored in both directions; no half-written "
        "edges, no edge to a missing vertex in any committed read",
        graph_generator,
        _checkers("graph", GraphOptions),
        graph_final,
        settings=GraphOptions,
    ),
    Workload(
        "relational",
        "rows with a foreign key through a tiny ORM; moving a user to a new org deletes the "
        "old org row; no committed read sees a dangling reference",
        relational_generator,
        _checkers("relational", RelationalOptions),
        None,
        settings=RelationalOptions,
    ),
]
