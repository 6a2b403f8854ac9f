"""The small protocols a test subject implements.

A ``System`` builds its nodes on a simulated ``World`` and opens ``Client``s for the
runner's processes.  Abilities beyond that are separate, optional protocols (a nemesis
asks ``isinstance(system, Primaries)`` before targeting primaries).  A system states the
guarantees it *claims* as data; the matrix compares claims with what the checkers found.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

from ddialab.vocabulary import (
    GUARANTEE_NAMES,
    Option,
    OptionError,
    option_table,
    options_from_defaults,
    typed_options,
    unknown_name,
)


class Client(Protocol):
    """Talks to the system for one process.

    ``invoke`` takes the invocation (``{"f", "value", "process", ...}``) and returns the
    completion's fields: ``{"type": "ok"|"fail"|"info", "value": ..., "error": ...}``.
    ``fail`` only when the error is *definite* (the op certainly did not happen); timeouts
    and indefinite errors are ``info``.
    """

    async def open(self, node: str) -> None: ...
    async def invoke(self, op: dict[str, Any]) -> dict[str, Any]: ...
    async def close(self) -> None: ...


class System(Protocol):
    name: str
    claims: frozenset[str]

    def node_names(self) -> list[str]: ...
    def setup(self, world: Any) -> None: ...
    def client(self, world: Any, process: int) -> Client: ...


@runtime_checkable
class Primaries(Protocol):
    """A system whose nodes have roles: which nodes are primaries (leaders) right now."""

    def primaries(self, world: Any) -> list[str]: ...


@runtime_checkable
class Upgradable(Protocol):
    """A system whose nodes each run a schema version (the ``upgrade`` nemesis moves them)."""

    versions: tuple[int, ...]

    def schema_versions(self) -> dict[str, int]: ...
    def upgrade_problems(self, node: str, version: int) -> list[str]: ...
    def set_schema_version(self, world: Any, node: str, version: int) -> None: ...


@dataclass(frozen=True)
class Scenario:
    """A fault mix and workload that exercise one of a system's mechanisms (for the matrix).

    ``hazard`` names the guarantee column this scenario is built to break on an unsafe
    variant (``None``: it exercises a mechanism without a known hazard).  ``time_limit``,
    ``rate`` and ``nemesis_interval`` of ``None`` take the matrix's own values.
    """

    name: str
    nemesis: tuple[str, ...]
    workload: str
    workload_options: Mapping[str, Any] = field(default_factory=dict)
    system_options: Mapping[str, Any] = field(default_factory=dict)
    time_limit: float | None = None
    rate: float | None = None
    nemesis_interval: float | None = None
    hazard: str | None = None
    #: clients and per-op timeout (``None``: the matrix's own / the runner's default)
    concurrency: int | None = None
    op_timeout: float | None = None


@dataclass(frozen=True)
class SystemEntry:
    """A named system with its option set, as ``ddialab list`` and the matrix see it.

    Claims have one source, the system: ``claims`` is what the system built with this
    entry's defaults claims (for listings), and a run is judged by
    ``build(options).claims``, the claims of the system as built.
    """

    name: str
    description: str
    factory: Callable[[Mapping[str, Any]], System]
    defaults: Mapping[str, Any] = field(default_factory=dict)
    #: workloads this system can run (the matrix pairs them)
    workloads: tuple[str, ...] = ("register",)
    #: workload options the matrix uses with this system, per workload name (e.g. a CRDT
    #: set is exercised by the session workload in ``mode="set"``)
    workload_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: options beyond what the defaults make obvious: enumerations (with ``choices``) and
    #: options the system reads without a default; see ``declared_options``
    options: tuple[Option, ...] = ()
    #: fault mixes and workloads that exercise this system's mechanisms (the matrix runs
    #: them besides the common partition/kill/pause mix over every workload)
    scenarios: tuple[Scenario, ...] = ()
    #: whether the matrix also runs the common mix (``False``: only the scenarios)
    common_mix: bool = True
    #: the guarantee columns this system is *named* to break (named unsafe or with a
    #: documented hazard); the matrix counts how many it demonstrates
    hazards: tuple[str, ...] = ()
    #: matrix columns beyond ``claims`` this system promises (e.g. ``no-lost-updates``
    #: for a fenced lock): judged like claims in the matrix, not passed to checkers
    promises: frozenset[str] = frozenset()
    #: the frozen dataclass whose fields are the family's options (types, choices, help;
    #: ``defaults`` then only sets this entry's values); the factory parses its options
    #: into it with ``ddialab.vocabulary.typed_options``
    settings: type | None = None

    def __post_init__(self) -> None:
        if self.settings is None:
            return
        undeclared = set(self.defaults) - {o.name for o in option_table(self.settings)}
        if undeclared or self.options:
            raise TypeError(f"system {self.name}: {sorted(undeclared)} not in its settings")

    @property
    def claims(self) -> frozenset[str]:
        """What the system built with this entry's defaults claims (derived, never stored)."""
        return frozenset(self.build().claims)

    def declaring(self, **fields: Any) -> SystemEntry:
        """This entry with matrix declarations added (``scenarios``, ``hazards``, ...)."""
        return replace(self, **fields)

    def declared_options(self) -> tuple[Option, ...]:
        """Every option this system accepts: its settings' fields with this entry's
        defaults, or (without settings) the declared ones, then one per default."""
        declared = option_table(self.settings) if self.settings else self.options
        return options_from_defaults(self.defaults, declared)

    def check_options(self, options: Mapping[str, Any]) -> None:
        """``OptionError`` unless ``options`` over the defaults make valid settings (each
        value by its declaration and the settings' ``__post_init__`` rules), before a run."""
        if self.settings is not None:
            typed_options(self.settings, {**self.defaults, **options}, f"system {self.name}")

    def build(self, options: Mapping[str, Any] | None = None) -> System:
        """The system with these options over the defaults; its ``claims`` follow them."""
        return self.factory({**self.defaults, **(options or {})})


def known_claims(claims: Any, owner: str) -> frozenset[str]:
    """``claims`` (names) as a set, each a guarantee of the vocabulary; else
    ``OptionError`` with a "did you mean" (for families whose claims are an option)."""
    for name in claims:
        if name not in GUARANTEE_NAMES:
            raise OptionError(unknown_name(f"guarantee in {owner}'s claims", name,
                                           sorted(GUARANTEE_NAMES)))  # fmt: skip
    return frozenset(claims)
