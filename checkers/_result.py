"""Results as data, and how verdicts merge.

A checker returns a plain JSON-ready dict::

    {"valid": True | False | "unknown",
     "anomaly_types": [...],             # sorted names, as Elle/Adya name them
     "anomalies": {type: [witness, ...]},# each witness: op indices, edges/steps, explanation data
     "not": [...], "also_not": [...],    # consistency models ruled out (weakest / implied)
     ...}                                # checker-specific extras (e.g. "reason" for unknown)

Verdicts merge as Jepsen's do: ``False`` beats ``"unknown"`` beats ``True``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, Protocol

Validity = bool | Literal["unknown"]
Result = dict[str, Any]
UNKNOWN: Literal["unknown"] = "unknown"


def merge_valid(verdicts: Iterable[Validity]) -> Validity:
    """False beats unknown beats True; no verdicts at all is True."""
    seen_unknown = False
    for v in verdicts:
        if v is False:
            return False
        if v != True:  # noqa: E712 - "unknown" (or anything not True) is unknown
            seen_unknown = True
    return UNKNOWN if seen_unknown else True


def valid_result(**extra: Any) -> Result:
    return {"valid": True, "anomaly_types": [], "anomalies": {}, **extra}


def unknown_result(reason: str, **extra: Any) -> Result:
    return {"valid": UNKNOWN, "anomaly_types": [], "anomalies": {}, "reason": reason, **extra}


def anomalies_result(anomalies: Mapping[str, list[Any]], **extra: Any) -> Result:
    """A result from found anomalies: invalid iff any anomaly list is non-empty."""
    found = {k: list(v) for k, v in anomalies.items() if v}
    return {
        "valid": not found,
        "anomaly_types": sorted(found),
        "anomalies": found,
        **extra,
    }


class Checker(Protocol):
    """A checker is a pure function of a history (plus options) to a result dict."""

    def __call__(self, history: Any, options: Mapping[str, Any]) -> Result: ...


def compose(results: Mapping[str, Result]) -> Result:
    """Merge named results into one, Jepsen's ``compose`` style."""
    return {
        "valid": merge_valid(r.get("valid", UNKNOWN) for r in results.values()),
        "checkers": dict(results),
    }
