"""Names the CLI takes, checked against their declared tables with a "did you mean".

Theory of operation
-------------------
Each library package validates the names it is given (a model, a consistency model, a
session guarantee, a history format) and raises ``UsageError`` listing the known ones.
The CLI adds the one thing a typo needs: the nearest known name.  ``check_names`` runs
before any file is read; for each flag it looks the word up in the table the library
itself uses, and an unknown word that is *close* to a known one is a usage error naming
it (exit 2).  A word that is close to nothing is left to the library, whose own check
has the last word (aliases such as ``PL-2`` live there) -- so this module can only ever
add a suggestion, never refuse a name the library accepts.
"""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Callable, Iterable

from ddialab.errors import UsageError
from ddialab.vocabulary import unknown_name


def _linearizable_models() -> list[str]:
    from checkers.linearizable import MODELS

    return list(MODELS)


def _elle_models() -> list[str]:
    from checkers.elle import MODELS

    return list(MODELS)


def _consistency_models() -> list[str]:
    from checkers.elle import CONSISTENCY_MODELS

    return sorted(CONSISTENCY_MODELS)


def _guarantees() -> list[str]:
    from checkers.session import GUARANTEES

    return list(GUARANTEES)


def _formats() -> list[str]:
    from ddialab.history import FORMATS

    return list(FORMATS)


#: (checker or None for any, option attribute) -> (what it is, its table)
TABLES: dict[tuple[str | None, str], tuple[str, Callable[[], list[str]]]] = {
    ("linearizable", "model"): ("model for the linearizable checker", _linearizable_models),
    ("elle", "model"): ("elle model", _elle_models),
    (None, "consistency_model"): ("consistency model", _consistency_models),
    ("session", "guarantee"): ("session guarantee", _guarantees),
    (None, "format"): ("history format", _formats),
}


def check_names(args: argparse.Namespace, checker: str | None) -> None:
    """``UsageError`` with a "did you mean" for a mistyped name in ``args``."""
    for (owner, attr), (kind, table) in TABLES.items():
        word = getattr(args, attr, None)
        if word is None or owner not in (None, checker):
            continue
        words = str(word).split(",") if attr == "guarantee" else [str(word)]
        for w in words:
            require_known(kind, w.strip(), table())


def require_known(kind: str, word: str, known: Iterable[str]) -> None:
    """Refuse ``word`` if it is unknown but close to a known name."""
    names = list(known)
    if word in names or not difflib.get_close_matches(word, names, n=1, cutoff=0.6):
        return
    raise UsageError(unknown_name(kind, word, names))
