"""Partitioning (DDIA chapter 6): hash and key-range partitions, moves, routing, indexes.

Public surface::

    ENTRIES                            # partitioned-hash, -any-node, -range, -global-index
    PartitionedSystem, PartitionClient, PartConfig, claims_for
    StorageNode, MetaNode              # the node state machines
"""

from systems.partitioning._meta import MetaNode
from systems.partitioning._nodes import PartConfig, StorageNode
from systems.partitioning._system import (
    ENTRIES,
    PartitionClient,
    PartitionedSystem,
    claims_for,
)

__all__ = [
    "ENTRIES",
    "MetaNode",
    "PartConfig",
    "PartitionClient",
    "PartitionedSystem",
    "StorageNode",
    "claims_for",
]
