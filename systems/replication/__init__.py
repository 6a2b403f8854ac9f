"""Replication (DDIA chapter 5): single-leader, leaderless and multi-leader models.

Public surface::

    ENTRIES                      # the named option sets, as SystemEntry
    SingleLeaderSystem, LeaderNode, LeaderConfig, claims_for
"""

from systems.replication._leader import LeaderConfig, LeaderNode
from systems.replication._single import ENTRIES as SINGLE_ENTRIES
from systems.replication._single import SingleLeaderSystem, claims_for

ENTRIES = [*SINGLE_ENTRIES]

__all__ = ["ENTRIES", "LeaderConfig", "LeaderNode", "SingleLeaderSystem", "claims_for"]
