"""Elle-style transactional consistency checking (list-append, rw-register), bank, long fork.

Public surface::

    check(history, options) -> Result        # options: model, consistency_model, time_limit
    check_bank(history, options) -> Result
    check_long_fork(history, options) -> Result
    MODELS                                   # "list-append", "rw-register" -> .description
    ANOMALIES, CONSISTENCY_MODELS            # the tables verdicts are computed from
    boundary, prohibited_anomalies           # lattice arithmetic over the tables

See ``docs/elle.md``.
"""

from checkers.elle._bank import check_bank
from checkers.elle._check import MODELS, check
from checkers.elle._long_fork import check_long_fork
from checkers.elle._tables import (
    ANOMALIES,
    CONSISTENCY_MODELS,
    CYCLE_TYPES,
    boundary,
    prohibited_anomalies,
)

__all__ = [
    "ANOMALIES",
    "CONSISTENCY_MODELS",
    "CYCLE_TYPES",
    "MODELS",
    "boundary",
    "check",
    "check_bank",
    "check_long_fork",
    "prohibited_anomalies",
]
