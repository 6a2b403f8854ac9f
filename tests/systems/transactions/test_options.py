"""Each transactional system takes the options its execution model runs, and refuses the
rest by name (an option accepted and without effect would make a run say what it did
not do)."""

from __future__ import annotations

import pytest

from ddialab.vocabulary import OptionError
from systems import get_system
from systems.sim import MS, World


def test_think_time_is_not_an_option_of_2pc() -> None:
    """Guards against an option accepted and without effect: the 2PC client sends the
    whole txn as one stored procedure, so there is no time between micro-ops to think in,
    and ``think_ns`` must be refused by name (it once was declared and ignored)."""
    with pytest.raises(OptionError, match="think_ns"):
        get_system("txn-2pc").build({"think_ns": 5 * MS})
    assert "think_ns" in get_system("txn-2pl").defaults


@pytest.mark.parametrize(
    ("system", "options", "named"),
    [
        ("txn-serial", {"think_ns": 5 * MS}, "think_ns"),
        ("txn-serial", {"abort_ratio": 0.3}, "abort_ratio"),
        ("txn-2pl", {"exec_ns": MS}, "exec_ns"),
        ("txn-ssi", {"exec_ns": MS}, "exec_ns"),
    ],
)
def test_a_timing_option_of_the_other_execution_model_is_refused(system, options, named):
    """Guards against options accepted and ignored in the single-node family: serial
    execution takes stored procedures (no think time, no client rollback), the interactive
    levels never run ``exec_ns``; each is refused by name, and only the options an entry
    runs are listed as its defaults."""
    with pytest.raises(OptionError, match=named):
        get_system(system).build(options)
    assert "think_ns" not in get_system("txn-serial").defaults
    assert get_system("txn-2pl").defaults["think_ns"] == 2 * MS
    assert get_system("txn-serial").build({"exec_ns": MS}).settings.exec_ns == MS


def test_an_interactive_level_built_without_its_options_takes_their_defaults():
    """Guards the fallback for an interactive level whose options were not given (built
    from ``txn-serial``'s entry with another level, or directly): the client then thinks up
    to the listed 2 ms and never rolls back, as the interactive entries list."""
    system = get_system("txn-serial").build({"level": "ssi"})
    client = system.client(World(1), 0)
    assert (client.think_ns, client.abort_ratio) == (2 * MS, 0.0)
    assert get_system("txn-ssi").defaults["think_ns"] == client.think_ns
