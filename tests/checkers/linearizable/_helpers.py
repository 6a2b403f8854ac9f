"""Build small histories from tuples: (process, type, f, value[, extra])."""

from __future__ import annotations

from typing import Any

from ddialab.history import History, Op


def hist(*events: tuple[Any, ...]) -> History:
    ops = []
    for i, e in enumerate(events):
        process, typ, f, value = e[:4]
        extra = e[4] if len(e) > 4 else {}
        ops.append(Op(index=i, time=i, type=typ, process=process, f=f, value=value, extra=extra))
    return History(ops)
