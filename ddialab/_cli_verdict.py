"""How ``check`` and ``run`` say a verdict in text: the verdict, then what was found.

Theory of operation
-------------------
A checker's result is data: ``anomaly_types`` and, per type, a list of witnesses, each
with a plain-English ``explanation`` rendered by the checker.  The text output prints,
per anomaly type, how many witnesses were found and the first one's explanation, then
a pointer to the full report (every witness, drawn).  Nothing is computed here: a
result without an explanation prints the type and count alone.

"ops" means one thing everywhere in the CLI: client *operations* -- an invocation and
its completion count once, and nemesis (fault) events are not ops.  The history's
length is *events*.
"""

from __future__ import annotations

import textwrap
from typing import Any

#: Width the explanations are wrapped to (terminals are at least this wide).
WIDTH = 100


def verdict_word(valid: Any) -> str:
    return {True: "valid", False: "INVALID"}.get(valid, "unknown")


def anomaly_lines(result: dict[str, Any], indent: str = "  ") -> list[str]:
    """Per anomaly type: ``type: N found; the first:`` and its explanation, wrapped."""
    lines: list[str] = []
    anomalies = result.get("anomalies") or {}
    for kind in result.get("anomaly_types") or []:
        witnesses = anomalies.get(kind) or []
        count = len(witnesses) if isinstance(witnesses, list) else 1
        first = witnesses[0] if isinstance(witnesses, list) and witnesses else witnesses
        lines.append(f"{indent}{kind}: {count} found")
        lines += _explanation(first, indent + "  ")
    return lines


def _explanation(witness: Any, indent: str) -> list[str]:
    text = witness.get("explanation") if isinstance(witness, dict) else None
    if not text:
        return []
    return textwrap.wrap(
        f"e.g. {text}", WIDTH, initial_indent=indent, subsequent_indent=indent + "  "
    )
