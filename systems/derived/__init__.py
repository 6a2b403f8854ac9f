"""Derived data (DDIA part III): a log-based broker, CDC, derived views, dual writes.

Public surface::

    ENTRIES                      # log-broker*, derived-cdc*, derived-dual-writes
    BrokerNode, PartitionLog     # the partitioned log with offsets, groups, retention
    BrokerClient                 # the Kafka-style consumer/producer client

See ``docs/derived.md``.
"""

from systems.derived._broker import ENTRIES as _BROKERS
from systems.derived._broker import BrokerClient
from systems.derived._log import BrokerNode, PartitionLog

ENTRIES = [*_BROKERS]

__all__ = ["ENTRIES", "BrokerClient", "BrokerNode", "PartitionLog"]
