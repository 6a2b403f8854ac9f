"""What a workload is: a generator of client ops, optional final ops, and its checkers."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ddialab.vocabulary import Option, options_from_defaults

CheckerSpec = tuple[str, dict[str, Any]]  # (checker name in checkers.CHECKERS, options)


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
    defaults: Mapping[str, Any] | None = None
    #: options beyond what the defaults make obvious (enumerations with their choices,
    #: options without a default); see ``declared_options``
    options: tuple[Option, ...] = ()

    def declared_options(self) -> tuple[Option, ...]:
        """Every option this workload accepts: the declared ones, then one per default."""
        return options_from_defaults(self.defaults or {}, self.options)
