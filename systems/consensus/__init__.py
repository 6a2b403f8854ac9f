"""Consensus (DDIA chapters 8-9): Raft, a linearizable KV on it, locks with fencing tokens.

Public surface::

    ENTRIES                       # raft, raft-log-reads, raft-snapshots, raft-lease-unsafe
    RaftNode, RaftConfig          # the node state machine and its settings
    RaftSystem, RaftClient, claims_for
    StateMachine                  # the replicated commands (KV, broadcast, locks, fences)
"""

from systems.consensus._machine import StateMachine
from systems.consensus._raft import RaftConfig, RaftNode
from systems.consensus._system import ENTRIES, RaftClient, RaftSystem, claims_for

__all__ = [
    "ENTRIES",
    "RaftClient",
    "RaftConfig",
    "RaftNode",
    "RaftSystem",
    "StateMachine",
    "claims_for",
]
