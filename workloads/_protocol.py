"""What a workload is: a generator of client ops, optional final ops, and its checkers.

A workload declares its options once, as a frozen dataclass (``settings``; see
``ddialab.vocabulary.typed_options``): ``defaults`` and the declared ``Option`` table are
derived from it, and each of its functions turns the options mapping the runner hands it
into that dataclass with ``typed``, reading typed attributes from then on.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from ddialab.vocabulary import (
    Option,
    option_defaults,
    option_table,
    options_from_defaults,
    typed_options,
)

CheckerSpec = tuple[str, dict[str, Any]]  # (checker name in checkers.CHECKERS, options)

#: facts the runner adds to a workload's options beyond the declared ones (its checkers
#: see the nemesis list and the system's strongest claimed transactional model); ``typed``
#: skips them when undeclared, and rejects any other undeclared key
RUN_CONTEXT = ("nemesis", "consistency_model")

T = TypeVar("T")


def typed(settings: type[T], options: Mapping[str, Any], workload: str) -> T:
    """``options`` as the workload's frozen options dataclass (``OptionError`` if bad)."""
    return typed_options(settings, options, f"workload {workload}", RUN_CONTEXT)


@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    #: ``generator(rng, options)`` -> a generator of client ops (see ``ddialab.generator``)
    generator: Callable[[random.Random, Mapping[str, Any]], Any]
    #: ``checkers(options)`` -> {result name: (checker name, checker options)}
    checkers: Callable[[Mapping[str, Any]], dict[str, CheckerSpec]]
    #: ops run once per process after the nemesis healed and the system quiesced
    final_generator: Callable[[random.Random, Mapping[str, Any]], Any] | None = None
    #: derived from ``settings`` when that is given (one source); else declared by hand
    defaults: Mapping[str, Any] | None = None
    #: options beyond what the defaults make obvious (only without ``settings``)
    options: tuple[Option, ...] = ()
    #: the frozen dataclass whose fields are this workload's options (the one source)
    settings: type | None = None

    def __post_init__(self) -> None:
        if self.settings is None:
            return
        if self.defaults is not None or self.options:
            raise TypeError(f"workload {self.name}: declare options by settings alone")
        object.__setattr__(self, "defaults", option_defaults(self.settings))

    def check_options(self, options: Mapping[str, Any]) -> None:
        """``OptionError`` unless ``options`` (over the defaults) make valid settings --
        each value by its declaration, and the settings' own cross-field checks
        (``__post_init__``, e.g. bank's divisible total) -- before anything runs."""
        if self.settings is not None:
            typed(self.settings, {**(self.defaults or {}), **options}, self.name)

    def declared_options(self) -> tuple[Option, ...]:
        """Every option this workload accepts (from ``settings``, else defaults + options)."""
        if self.settings is not None:
            return option_table(self.settings)
        return options_from_defaults(self.defaults or {}, self.options)
