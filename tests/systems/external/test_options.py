"""The real systems' options: each declares what it reads, timeouts fall back to the runner's.

No server is started here: building a real system is cheap by contract (``_base``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddialab.cli import main
from ddialab.vocabulary import OptionError, option_table
from systems import get_system
from systems.external import REAL_ENTRIES, WORKLOADS

#: option -> the attribute of the built system it sets, and a value no default has
READS = {"busy_timeout_s": ("busy_timeout", 0.25), "socket_timeout_s": ("timeout", 0.75),
         "lag_s": ("lag", 0.125), "request_timeout_s": ("timeout", 0.625)}  # fmt: skip
DECLARED = {
    "postgres-read-committed": set(),
    "postgres-repeatable-read": set(),
    "postgres-serializable": set(),
    "sqlite": {"busy_timeout_s"},
    "redis": {"socket_timeout_s"},
    "redis-replica": {"socket_timeout_s", "lag_s"},
    "etcd": {"request_timeout_s"},
}
TIMEOUT_OPTION = {"redis": "socket_timeout_s", "redis-replica": "socket_timeout_s",
                  "etcd": "request_timeout_s"}  # fmt: skip


@pytest.mark.parametrize("entry", REAL_ENTRIES, ids=lambda e: e.name)
def test_each_real_system_declares_exactly_the_options_it_reads(entry: Any) -> None:
    """Guards "no option silently ignored": an entry lists only its own adapter's options
    (a shared table let ``lag_s`` pass on PostgreSQL), and each one it lists reaches the
    built system (an adapter that stopped reading one would keep its default)."""
    names = {o.name for o in entry.declared_options()}
    assert names == DECLARED[entry.name] == {o.name for o in option_table(entry.settings)}
    for name in names:
        attr, value = READS[name]
        assert getattr(entry.build({name: value}), attr) == value
    for other in sorted(set(READS) - names):
        with pytest.raises(OptionError, match=f"unknown option for system {entry.name}"):
            entry.build({other: READS[other][1]})


@pytest.mark.parametrize("name", sorted(TIMEOUT_OPTION))
@given(own=st.none() | st.floats(0.01, 60), op_timeout=st.none() | st.floats(0.01, 60))
def test_a_driver_timeout_is_its_option_else_the_runners_op_timeout(
    name: str, own: float | None, op_timeout: float | None
) -> None:
    """Guards the ``float | None`` fallback: the system's own timeout when set, else the
    ``op_timeout`` the runner adds, else 1 s (built without the runner)."""
    options: dict[str, Any] = {"workload": "register"}
    if own is not None:
        options[TIMEOUT_OPTION[name]] = own
    if op_timeout is not None:
        options["op_timeout"] = op_timeout
    expected = own if own is not None else op_timeout if op_timeout is not None else 1.0
    assert get_system(name).build(options).timeout == expected


@pytest.mark.parametrize("name", ["postgres-read-committed", "postgres-serializable"])
def test_postgres_takes_isolation_from_its_entry_and_timeout_from_the_runner(name: str) -> None:
    """Guards the injected facts: the entry's level (a constructor argument, not an option
    a user could set), the runner's workload and op_timeout (5 s built without it)."""
    entry = get_system(name)
    built = entry.build({"workload": "rw-register", "op_timeout": 2.5})
    assert (built.isolation, built.workload, built.timeout) == (name[9:], "rw-register", 2.5)
    assert (entry.build().workload, entry.build().timeout) == ("list-append", 5.0)
    with pytest.raises(OptionError, match="'isolation'"):
        entry.build({"isolation": "read-committed"})


@pytest.mark.parametrize(
    ("system", "option", "message"),
    [
        ("postgres-serializable", "lag_s=1", "unknown option for system postgres-serializable"),
        ("redis", "socket_timeout=1", "did you mean 'socket_timeout_s'"),
        ("etcd", "op_timeout=3", "unknown option for system etcd: 'op_timeout'"),
        ("sqlite", 'workload="bank"', "unknown option for system sqlite: 'workload'"),
        ("sqlite", "busy_timeout_s=0", "'busy_timeout_s' takes a time in seconds > 0"),
        ("redis-replica", "lag_s=-1", "'lag_s' takes a time in seconds > 0"),
    ],
)
def test_a_bad_system_option_is_exit_2_before_any_server_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], system: str, option: str, message: str
) -> None:
    """Guards validation through the settings: another adapter's option, a misspelt one,
    a runner fact (``op_timeout``/``workload`` are flags, not options) or a non-positive
    time is a usage error naming it, and nothing runs (no run directory)."""
    out = tmp_path / "r"
    workload = WORKLOADS[system][0]
    argv = ["run", "-s", system, "-w", workload, "--system-option", option, "--out", str(out)]
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
