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
"""

from ddialab.runner._api import RunResult, execute, recheck, run
from ddialab.runner._run import simulate
from ddialab.runner._spec import TestSpec
from ddialab.runner._validate import check_range, validate_spec

__all__ = [
    "RunResult",
    "TestSpec",
    "check_range",
    "execute",
    "recheck",
    "run",
    "simulate",
    "validate_spec",
]
