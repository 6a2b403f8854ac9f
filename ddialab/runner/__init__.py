"""Running tests: spec -> simulated run -> history -> checkers -> run directory.

Public surface::

    TestSpec                       # every option of a run, seed included
    run(spec, out=None) -> RunResult   # simulate, check, write the run directory
    simulate(spec, history_path=None)  # just the simulation (no checking)
    recheck(run_dir)               # re-run the checkers over a stored history
    validate_spec(spec)            # UsageError on a bad name, option or number
    check_range(flag, value, test, must)   # UsageError naming the one flag that is wrong
    shrink_run(run_dir, out=None, anomaly=None, max_runs=60, engine="ddmin")  # -> summary
    load_spec(run_dir), load_schedule(path)   # a stored spec; a schedule file or run dir
    replay_command(spec)           # the ``ddialab run ...`` line that replays a spec
"""

from ddialab.runner._api import RunResult, recheck, run
from ddialab.runner._run import simulate
from ddialab.runner._schedule import load_schedule
from ddialab.runner._shrink import shrink_run
from ddialab.runner._spec import TestSpec
from ddialab.runner._store import load_spec, replay_command
from ddialab.runner._validate import check_range, validate_spec

__all__ = [
    "RunResult",
    "TestSpec",
    "check_range",
    "load_schedule",
    "load_spec",
    "recheck",
    "replay_command",
    "run",
    "shrink_run",
    "simulate",
    "validate_spec",
]
