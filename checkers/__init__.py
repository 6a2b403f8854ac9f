"""Consistency checkers: pure functions from a history (plus options) to a result dict.

Public surface::

    get_checker(name) -> check(history, options) -> Result
    CHECKERS                       # the table: name -> import path, description
    compose, merge_valid, Result, Validity, UNKNOWN
    admit, nothing_to_check        # what a checker does first (checkers/_input.py)
"""

from checkers._input import admit, nothing_to_check
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

__all__ = [
    "CHECKERS",
    "UNKNOWN",
    "Checker",
    "CheckerEntry",
    "Pair",
    "Result",
    "Validity",
    "admit",
    "anomalies_result",
    "client_pairs",
    "compose",
    "get_checker",
    "merge_valid",
    "nothing_to_check",
    "unknown_result",
    "valid_result",
]
