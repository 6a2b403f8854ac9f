"""Derived data (DDIA part III): a log-based broker, CDC, derived views, dual writes.

Public surface::

    ENTRIES                      # log-broker*, derived-cdc*, derived-dual-writes, kv-no-txn
    BrokerNode, PartitionLog     # the partitioned log with offsets, groups, retention
    BrokerClient                 # the Kafka-style consumer/producer client
    SourceNode, ConnectorNode, ViewNode, ViewState   # source of record, CDC, derived view

See ``docs/derived.md``.
"""

from systems.derived._broker import ENTRIES as _BROKERS
from systems.derived._broker import BrokerClient
from systems.derived._log import BrokerNode, PartitionLog
from systems.derived._notxn import ENTRY as NO_TXN
from systems.derived._pipeline import ENTRIES as _PIPELINES
from systems.derived._pipeline import ConnectorNode, SourceNode, ViewNode, ViewState

ENTRIES = [*_BROKERS, *_PIPELINES, NO_TXN]

__all__ = [
    "ENTRIES",
    "BrokerClient",
    "BrokerNode",
    "ConnectorNode",
    "PartitionLog",
    "SourceNode",
    "ViewNode",
    "ViewState",
]
