"""Running tests: spec -> simulated run -> history -> checkers -> run directory.

Public surface::

    TestSpec                       # every option of a run, seed included
    run(spec, out=None) -> RunResult   # simulate, check, write the run directory
    execute(spec, history_path=None, logs_dir=None)  # just the run (no checking):
                                   # simulated, or real servers for a real system
    simulate(spec, history_path=None)  # just the simulation (no checking)
    recheck(run_dir)               # re-run the checkers over a stored history
    validate_spec(spec)            # UsageError on a bad name, option or number
    check_range(flag, value, test, must)   # UsageError naming the one flag that is wrong
    shrink_run(run_dir, out=None, anomaly=None, max_runs=60, engine="ddmin")  # -> summary
    load_spec(run_dir), load_schedule(path)   # a stored spec; a schedule file or run dir
    replay_command(spec)           # the ``ddialab run ...`` line that replays a spec
    checker_specs(spec)            # the checkers (and options) a run of spec is judged by
    DEFAULT_ROOT, run_dir_name(spec)   # where run directories go, and their names
"""

from ddialab.runner._api import RunResult, execute, recheck, run
from ddialab.runner._check import checker_specs
from ddialab.runner._run import simulate
from ddialab.runner._schedule import load_schedule
from ddialab.runner._shrink import shrink_run
from ddialab.runner._spec import TestSpec
from ddialab.runner._store import DEFAULT_ROOT, load_spec, replay_command, run_dir_name
from ddialab.runner._validate import check_range, validate_spec

__all__ = [
    "DEFAULT_ROOT",
    "RunResult",
    "TestSpec",
    "check_range",
    "checker_specs",
    "execute",
    "load_schedule",
    "load_spec",
    "recheck",
    "replay_command",
    "run",
    "run_dir_name",
    "shrink_run",
    "simulate",
    "validate_spec",
]
