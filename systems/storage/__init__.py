"""Storage engines (DDIA chapter 3), each a single-node KV store on a small disk interface.

Public surface::

    Bitcask, LSMTree, BTree              # engines over any Disk (SimDisk or RealDisk)
    RealDisk, CountingDisk, CrashingDisk, Crash, Disk
    CorruptionError, TooLarge
    BloomFilter                          # the LSM's per-table filter
    encoding                             # schema'd binary / JSON records, evolution rules
    StorageNode, StorageSystem, ENTRIES  # the engines as simulated systems
"""

from systems.storage import _encoding as encoding
from systems.storage._bitcask import Bitcask
from systems.storage._bloom import BloomFilter
from systems.storage._btree import BTree
from systems.storage._disk import CountingDisk, Crash, CrashingDisk, Disk, RealDisk
from systems.storage._entries import ENGINES, ENTRIES, make_engine
from systems.storage._errors import CorruptionError, TooLarge
from systems.storage._lsm import LSMTree
from systems.storage._node import StorageClient, StorageNode, StorageSystem

__all__ = [
    "ENGINES",
    "ENTRIES",
    "BTree",
    "Bitcask",
    "BloomFilter",
    "CorruptionError",
    "CountingDisk",
    "Crash",
    "CrashingDisk",
    "Disk",
    "LSMTree",
    "RealDisk",
    "StorageClient",
    "StorageNode",
    "StorageSystem",
    "TooLarge",
    "encoding",
    "make_engine",
]
