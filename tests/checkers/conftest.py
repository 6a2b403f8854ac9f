"""Every result a checker returns in these tests is held to the vocabulary.

Each checker of the registry is wrapped (before the test modules import it) so that every
result it returns in any test here is checked: each anomaly type it reports is in
``ddialab.vocabulary.ANOMALIES`` and declared there as reported by that checker, and each
witness fits the witness schema.  A checker that starts emitting an undeclared name, or a
witness without an explanation or without ``ops`` (the op indices that prove it), fails
the test that made it do so; so does a witness naming an op index past the history's end.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

from checkers._registry import CHECKERS
from ddialab.vocabulary import anomalies_reported_by, witness_problems


def vocabulary_problems(checker: str, result: Any) -> list[str]:
    """What in ``result`` (of registry checker ``checker``) the vocabulary does not allow."""
    declared = anomalies_reported_by(checker)
    problems = [f"{t}: not declared for {checker}" for t in result.get("anomaly_types", [])
                if t not in declared]  # fmt: skip
    for kind, witnesses in (result.get("anomalies") or {}).items():
        for w in witnesses:
            problems += [f"{kind}: {p}" for p in witness_problems(w)]
    return problems


def out_of_history(result: Any, n_ops: int) -> list[str]:
    """Witness ``ops`` that are no index of the checked history (of ``n_ops`` ops)."""
    return [
        f"{kind}: op {i} is not in a history of {n_ops} ops"
        for kind, witnesses in (result.get("anomalies") or {}).items()
        for w in witnesses
        for i in (w.get("ops") or [])
        if isinstance(i, int) and i >= n_ops
    ]


def _checked(name: str, check: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(check)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = check(*args, **kwargs)
        problems = vocabulary_problems(name, result)
        if args and hasattr(args[0], "__len__"):
            problems += out_of_history(result, len(args[0]))
        assert not problems, f"{name} result breaks the vocabulary: {problems[:5]}"
        return result

    return wrapper


def _wrap_registry() -> None:
    for entry in CHECKERS.values():
        module_name, _, attr = entry.target.partition(":")
        module = importlib.import_module(module_name)
        check = getattr(module, attr)
        if not hasattr(check, "__wrapped__"):
            setattr(module, attr, _checked(entry.name, check))


_wrap_registry()
