"""Declared options: what a system or workload accepts, and checking a user's choice.

Theory of operation
-------------------
A component (system entry, workload) declares a tuple of ``Option`` -- name, type,
default, and for enumerations the allowed ``choices``.  ``validate_options`` checks a
user's ``{key: value}`` against that table *before* anything is built: an unknown key is
an error with a "did you mean" (difflib), a value of the wrong type or outside the
choices is an error naming the option and what it accepts.  Errors are raised as
``OptionError`` (a ``ValueError``) carrying a one-line message; callers map it to their
own usage error.  ``options_from_defaults`` derives a table from a defaults mapping for
the options whose type is obvious from the default (enumerations must still be declared).

This module is data only: it imports nothing of the project.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

#: types an option may take (JSON values, as they come from ``KEY=JSON`` on the command line)
TYPES: dict[type, str] = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "an object",
}


class OptionError(ValueError):
    """A user's option that the declared table does not accept (the message says why)."""


@dataclass(frozen=True)
class Option:
    """One declared option: ``choices`` (if any) are the only values accepted."""

    name: str
    type: type
    default: Any = None
    choices: tuple[Any, ...] | None = None
    help: str = ""

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            known = sorted(t.__name__ for t in TYPES)
            raise TypeError(f"option {self.name!r}: type must be one of {known}")

    def check(self, value: Any) -> Any:
        """The value if acceptable (an int is accepted as a float); else ``OptionError``."""
        if value is None and self.default is None:
            return None  # "no value": the component's own fallback
        if self.choices is not None and value not in self.choices:
            allowed = ", ".join(repr(c) for c in self.choices)
            raise OptionError(f"option {self.name!r} takes one of {allowed}; got {value!r}")
        if not _has_type(value, self.type):
            raise OptionError(f"option {self.name!r} takes {TYPES[self.type]}; got {value!r}")
        return float(value) if self.type is float else value


def _has_type(value: Any, t: type) -> bool:
    if t is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if t is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, t)


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest known name, or ``""``."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def unknown_name(kind: str, word: str, known: Sequence[str]) -> str:
    """The message for an unknown name: what it is, the known ones, the closest."""
    listing = ", ".join(known) if known else "(none)"
    return f"unknown {kind} {word!r}{did_you_mean(word, known)} (known: {listing})"


def validate_options(
    values: Mapping[str, Any], declared: Sequence[Option], owner: str
) -> dict[str, Any]:
    """Each value checked against its declared option; ``OptionError`` on the first bad one."""
    table = {o.name: o for o in declared}
    out = {}
    for key, value in values.items():
        option = table.get(key)
        if option is None:
            raise OptionError(unknown_name(f"option for {owner}:", key, list(table)))
        try:
            out[key] = option.check(value)
        except OptionError as e:
            raise OptionError(f"{owner}: {e}") from None
    return out


def options_from_defaults(
    defaults: Mapping[str, Any], declared: Sequence[Option] = ()
) -> tuple[Option, ...]:
    """The declared options (with this table's defaults), plus one per remaining default,
    typed by its value."""
    named = {o.name for o in declared}
    missing = [k for k, v in defaults.items() if k not in named and type(v) not in TYPES]
    if missing:
        raise TypeError(f"options {missing} have no obvious type: declare them")
    derived = [Option(k, type(v), v) for k, v in defaults.items() if k not in named]
    own = [replace(o, default=defaults[o.name]) if o.name in defaults else o for o in declared]
    return (*own, *derived)
