"""What each real datastore accepts as ``--system-option``, declared as frozen dataclasses.

Theory of operation
-------------------
Each adapter declares only the options it reads (``ddialab.vocabulary.typed_options``):
PostgreSQL none (its timeouts are ``--op-timeout``'s), SQLite its busy timeout, Redis its
socket timeout (``RedisReplica`` adds the replica's lag), etcd its request timeout.  A
timeout declared ``float | None = None`` means "unset: the runner's ``op_timeout``".  So
``--system-option lag_s=1`` on ``postgres-serializable`` is exit 2 ("did you mean"), not
an option silently ignored, and ``ddialab list systems`` shows what each one reads.

The runner adds facts that are not user options (``ddialab.runner._real``): the
``workload`` a client serves and the ``op_timeout`` (seconds) of ``--op-timeout``; and a
PostgreSQL entry adds its ``isolation`` as a constructor argument.  ``settings_of``
parses the user's options (refusing anything undeclared, the runner's facts skipped as
``context``) and the facts (``RunnerFacts``, each checked by its type) in one call; a
system built without the runner (``ddialab list``, tests) gets ``RunnerFacts``' defaults.

Data only: this module imports nothing of the project beyond ``ddialab.vocabulary``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from ddialab.vocabulary import OptionError, option, typed_options

T = TypeVar("T")


def _positive(owner: Any) -> None:
    """Every timeout or lag that is set is > 0 (0 would mean "never wait" to a driver)."""
    for f in fields(owner):
        value = getattr(owner, f.name)
        if isinstance(value, float) and not value > 0:
            raise OptionError(f"option {f.name!r} takes a time in seconds > 0; got {value!r}")


@dataclass(frozen=True)
class RunnerFacts:
    """What the runner adds to a real system's options (never a user's option)."""

    workload: str = "list-append"
    op_timeout: float | None = None

    def __post_init__(self) -> None:
        _positive(self)


#: the option names the runner adds (``context`` for ``typed_options``)
RUNNER_KEYS = tuple(f.name for f in fields(RunnerFacts))


@dataclass(frozen=True)
class PostgresOptions:
    """PostgreSQL reads no option of its own: its timeouts follow ``--op-timeout``."""


@dataclass(frozen=True)
class SQLiteOptions:
    busy_timeout_s: float = option(0.05, help="how long a connection waits for a lock")

    def __post_init__(self) -> None:
        _positive(self)


@dataclass(frozen=True)
class RedisOptions:
    socket_timeout_s: float | None = option(None, help="socket timeout (unset: --op-timeout)")

    def __post_init__(self) -> None:
        _positive(self)


@dataclass(frozen=True)
class RedisReplicaOptions(RedisOptions):
    lag_s: float = option(0.05, help="latency of the replica's replication link")


@dataclass(frozen=True)
class EtcdOptions:
    request_timeout_s: float | None = option(None, help="per-request timeout (unset: --op-timeout)")

    def __post_init__(self) -> None:
        _positive(self)


def settings_of(cls: type[T], options: Mapping[str, Any], owner: str) -> tuple[T, RunnerFacts]:
    """The user's options as ``cls`` and the runner's facts (``OptionError`` on an
    undeclared or mistyped option of either)."""
    settings = typed_options(cls, options, f"system {owner}", RUNNER_KEYS)
    facts = {k: options[k] for k in RUNNER_KEYS if k in options}
    return settings, typed_options(RunnerFacts, facts, f"the runner (system {owner})")


def timeout_s(own: float | None, facts: RunnerFacts, fallback: float) -> float:
    """A driver timeout: the system's own option if set, else ``op_timeout``, else
    ``fallback`` (a system built without the runner)."""
    for value in (own, facts.op_timeout):
        if value is not None:
            return value
    return fallback
