"""Replication (DDIA chapter 5): single-leader, leaderless and multi-leader models.

Public surface::

    ENTRIES                      # the named option sets, as SystemEntry
    SingleLeaderSystem, LeaderNode, LeaderConfig, claims_for
    LeaderlessSystem, QuorumNode, QuorumConfig, leaderless_claims
    MultiLeaderSystem, MultiLeaderNode, MultiConfig, multi_leader_claims
    RecordSystem, RecordNode, SCHEMAS     # records through schemas; rolling upgrades
    LeaderlessRecordSystem, RecordQuorumNode   # the same on the leaderless store
"""

from systems.replication._leader import LeaderConfig, LeaderNode
from systems.replication._leaderless import ENTRIES as LEADERLESS_ENTRIES
from systems.replication._leaderless import LeaderlessSystem
from systems.replication._leaderless import claims_for as leaderless_claims
from systems.replication._multi import MultiConfig, MultiLeaderNode
from systems.replication._multileader import ENTRIES as MULTI_ENTRIES
from systems.replication._multileader import MultiLeaderSystem
from systems.replication._multileader import claims_for as multi_leader_claims
from systems.replication._quorum import QuorumConfig, QuorumNode
from systems.replication._recordquorum import RecordQuorumNode
from systems.replication._records import SCHEMAS, RecordNode
from systems.replication._single import ENTRIES as SINGLE_ENTRIES
from systems.replication._single import SingleLeaderSystem, claims_for
from systems.replication._upgrade import ENTRIES as UPGRADE_ENTRIES
from systems.replication._upgrade import LeaderlessRecordSystem, RecordSystem

ENTRIES = [*SINGLE_ENTRIES, *LEADERLESS_ENTRIES, *MULTI_ENTRIES, *UPGRADE_ENTRIES]

__all__ = [
    "ENTRIES",
    "SCHEMAS",
    "LeaderConfig",
    "LeaderNode",
    "LeaderlessRecordSystem",
    "LeaderlessSystem",
    "MultiConfig",
    "MultiLeaderNode",
    "MultiLeaderSystem",
    "QuorumConfig",
    "QuorumNode",
    "RecordNode",
    "RecordQuorumNode",
    "RecordSystem",
    "SingleLeaderSystem",
    "claims_for",
    "leaderless_claims",
    "multi_leader_claims",
]
