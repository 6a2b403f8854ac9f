"""Typed options: a frozen dataclass whose fields *are* a component's option declaration.

Theory of operation
-------------------
A workload (or system) declares what it accepts once, as a frozen dataclass::

    @dataclass(frozen=True)
    class RegisterOptions:
        keys: int = 3
        read_ratio: float = 0.5
        mode: str = option("write", choices=("write", "append"), help="what writes are")

Each field's annotation is its type (``int``, ``float``, ``str``, ``bool``, ``dict``,
``list``, a ``tuple[X, ...]`` that a JSON list fills, or ``X | None`` for an option whose
absence means "the component's own fallback"); its default is the default; ``option``
adds the choices and the help text as field metadata.  From that one source:

* ``option_table(cls)`` derives the ``Option`` table that validation, ``ddialab list`` and
  the "did you mean" messages read (``validate_options`` as before);
* ``option_defaults(cls)`` the ``{name: default}`` mapping the runner merges options over;
* ``typed_options(cls, values, owner)`` turns a user's mapping into an instance: every
  value checked by its ``Option`` (so ``OptionError`` names option and owner), lists made
  tuples where the field says so, missing fields left at their defaults.  Keys the caller
  names in ``context`` (facts a runner adds, such as the nemesis list) are skipped; any
  other undeclared key is an ``OptionError`` -- an option is never silently ignored.

Values in, typed attributes out: a generator reads ``o.keys`` (an ``int``), never
``int(options.get("keys", 3))``.  This module is data only: it imports nothing of the
project.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Collection, Mapping
from typing import Any, TypeVar

from ddialab.vocabulary._options import TYPES, Option, OptionError, unknown_name

T = TypeVar("T")

_CHOICES, _HELP = "ddialab.choices", "ddialab.help"


def option(default: Any, *, choices: tuple[Any, ...] | None = None, help: str = "") -> Any:
    """A dataclass field with a default plus the declaration's choices and help text."""
    meta = {_CHOICES: choices, _HELP: help}
    if isinstance(default, list | dict):
        raise TypeError("a frozen options field needs an immutable default: use a tuple")
    return dataclasses.field(default=default, metadata=meta)


def option_table(cls: type) -> tuple[Option, ...]:
    """The ``Option`` per field of the frozen dataclass ``cls``, in field order."""
    hints = _hints(cls)
    return tuple(_declared(f, hints[f.name], cls) for f in dataclasses.fields(cls))


def option_defaults(cls: type) -> dict[str, Any]:
    """``{name: default}`` for every field (tuples as lists: the JSON form)."""
    return {o.name: o.default for o in option_table(cls)}


def typed_options(
    cls: type[T], values: Mapping[str, Any], owner: str, context: Collection[str] = ()
) -> T:
    """An instance of ``cls`` from ``values``, each checked against its declaration."""
    table = {o.name: o for o in option_table(cls)}
    hints = _hints(cls)
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in context and key not in table:
            continue
        if key not in table:
            raise OptionError(unknown_name(f"option for {owner}:", key, list(table)))
        out[key] = _coerce(table[key], hints[key], value, owner)
    return cls(**out)


def _coerce(declared: Option, hint: Any, value: Any, owner: str) -> Any:
    try:
        checked = declared.check(value)
    except OptionError as e:
        raise OptionError(f"{owner}: {e}") from None
    return tuple(checked) if _base(hint)[0] is tuple and checked is not None else checked


def _declared(f: dataclasses.Field[Any], hint: Any, cls: type) -> Option:
    if f.default is dataclasses.MISSING:
        raise TypeError(f"{cls.__name__}.{f.name}: an option needs a default")
    base, _optional = _base(hint)
    json_type = list if base is tuple else base
    if json_type not in TYPES:
        raise TypeError(f"{cls.__name__}.{f.name}: type {hint!r} is not an option type")
    default = list(f.default) if isinstance(f.default, tuple) else f.default
    meta = f.metadata
    return Option(f.name, json_type, default, meta.get(_CHOICES), meta.get(_HELP, ""))


def _base(hint: Any) -> tuple[Any, bool]:
    """The field's type without ``| None`` (and whether it had it); ``tuple[X, ...]`` ->
    ``tuple``."""
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1:
            raise TypeError(f"option type {hint!r}: one type, optionally | None")
        return _base(rest[0])[0], True
    return (typing.get_origin(hint) or hint), False


def _hints(cls: type) -> dict[str, Any]:
    if not (dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen):  # type: ignore[attr-defined]
        raise TypeError(f"{cls!r}: options are declared by a frozen dataclass")
    return typing.get_type_hints(cls)
