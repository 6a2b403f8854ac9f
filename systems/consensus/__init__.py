"""Consensus (DDIA chapters 8-9): Raft, a linearizable KV on it, locks with fencing tokens.

Public surface::

    ENTRIES                       # raft, raft-log-reads, raft-snapshots, raft-lease-unsafe,
                                  # raft-lock, raft-lock-unfenced
    LockSystem, LockClient, lock_claims   # the lock service with fencing tokens
    LockOptions                   # its options (Raft's plus the lock's), a frozen dataclass
    RaftNode, RaftConfig          # the node state machine and its settings
    RaftSystem, RaftClient, claims_for
    StateMachine                  # the replicated commands (KV, broadcast, locks, fences)
"""

from systems.consensus._lock import (
    LOCK_ENTRIES,
    LockClient,
    LockOptions,
    LockSystem,
    lock_claims,
)
from systems.consensus._machine import StateMachine
from systems.consensus._raft import RaftConfig, RaftNode
from systems.consensus._system import ENTRIES as KV_ENTRIES
from systems.consensus._system import RaftClient, RaftSystem, claims_for

ENTRIES = [*KV_ENTRIES, *LOCK_ENTRIES]

__all__ = [
    "ENTRIES",
    "KV_ENTRIES",
    "LockClient",
    "LockOptions",
    "LockSystem",
    "RaftClient",
    "RaftConfig",
    "RaftNode",
    "RaftSystem",
    "StateMachine",
    "claims_for",
    "lock_claims",
]
