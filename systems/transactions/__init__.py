"""Transactions (DDIA ch. 7): one node at a selectable isolation level, and 2PC.

Public surface::

    ENTRIES                          # txn-read-uncommitted ... txn-serial, txn-2pc
    TxnNode, SerialNode, TxnClient   # the node, serial execution, the interactive client
    LockManager, LockingEngine, MvccEngine   # the concurrency-control engines

See ``docs/transactions.md``.
"""

from systems.transactions._client import TxnClient
from systems.transactions._engines import LockingEngine, Step
from systems.transactions._locks import LockManager
from systems.transactions._mvcc import MvccEngine
from systems.transactions._node import SerialNode, TxnNode
from systems.transactions._systems import ENTRIES as _SINGLE
from systems.transactions._twopc import ENTRY as TWO_PC
from systems.transactions._twopc import Coordinator, Participant

ENTRIES = [*_SINGLE, TWO_PC]

__all__ = [
    "ENTRIES",
    "TWO_PC",
    "Coordinator",
    "LockManager",
    "LockingEngine",
    "MvccEngine",
    "Participant",
    "SerialNode",
    "Step",
    "TxnClient",
    "TxnNode",
]
