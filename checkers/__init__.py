"""Consistency checkers: pure functions from a history (plus options) to a result dict.

Public surface::

    get_checker(name) -> check(history, options) -> Result
    CHECKERS                       # the table: name -> import path, description
    compose, merge_valid, Result, Validity, UNKNOWN
    admit, nothing_to_check        # what a checker does first (checkers/_input.py)
    retain, retain_working_sets    # a check's working set left to os._exit (checkers/_retain.py)
    Grammar, parse_mops, MopError  # the one micro-op parser of txn values (checkers/_mops.py)
"""

from checkers._input import admit, nothing_to_check
from checkers._mops import (
    ANYTHING,
    KEY,
    NULL_OR_SCALAR,
    NULL_OR_SCALARS,
    SCALAR,
    Grammar,
    MopError,
    freeze_vectors,
    parse_mop,
    parse_mops,
    plain_txn,
)
from checkers._pairs import Pair, client_pairs
from checkers._registry import CHECKERS, CheckerEntry, get_checker
from checkers._result import (
    UNKNOWN,
    Checker,
    Result,
    Validity,
    anomalies_result,
    compose,
    merge_valid,
    unknown_result,
    valid_result,
)
from checkers._retain import retain, retain_working_sets

__all__ = [
    "ANYTHING",
    "CHECKERS",
    "KEY",
    "NULL_OR_SCALAR",
    "NULL_OR_SCALARS",
    "SCALAR",
    "UNKNOWN",
    "Checker",
    "CheckerEntry",
    "Grammar",
    "MopError",
    "Pair",
    "Result",
    "Validity",
    "admit",
    "anomalies_result",
    "client_pairs",
    "compose",
    "freeze_vectors",
    "get_checker",
    "merge_valid",
    "nothing_to_check",
    "parse_mop",
    "parse_mops",
    "plain_txn",
    "retain",
    "retain_working_sets",
    "unknown_result",
    "valid_result",
]
