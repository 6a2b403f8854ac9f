"""The ``ddialab`` command line.

Exit codes (every subcommand):
  0  valid: every check passed
  1  invalid: anomalies found
  2  usage error: unknown name, bad option
  3  bad input or other error (malformed history: file, line and what was expected)
  4  unknown: a checker ran out of its time or memory budget, or could not run
  130  interrupted (Ctrl-C): cleaned up, one line on stderr

Theory of operation
-------------------
Startup is paid on every invocation, so subcommands are built lazily: ``SUBCOMMANDS``
declares each one's module and one-line help.  The parser imports only the module of the
subcommand named on the command line (``check`` never imports the simulator, trio,
pytest or the report templates); every other subcommand gets a placeholder carrying its
help line, enough for ``ddialab --help`` and for argparse's choice of subcommand.  Each
module's ``add_parser(subparsers)`` registers its own arguments and ``func``.

Names given on the command line are checked against their declared tables; an unknown
one is a usage error (exit 2) with a "did you mean" (``_Parser._check_value`` for
argparse choices, :mod:`ddialab._cli_names` for checker models and the like).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

from ddialab import __version__
from ddialab.errors import EXIT_BAD_INPUT, EXIT_USAGE, DdialabError

EPILOG = """exit codes: 0 valid, 1 invalid (anomalies found), 2 usage error,
3 bad input or other error, 4 unknown (a checker ran out of budget or could not run),
130 interrupted"""

#: Subcommand -> (module with ``add_parser(subparsers)``, help line for ``ddialab --help``).
#: Explicit: a missing module fails loudly when its subcommand is used (a bug, not an option).
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "run": (
        "ddialab._cli_run",
        "run one test (system x workload x nemesis) on the simulated world",
    ),
    "matrix": (
        "ddialab._cli_matrix",
        "run every simulated system against its workloads and faults; systems x guarantees",
    ),
    "report": (
        "ddialab._cli_report",
        "render a run directory's report.html, a matrix.json, or any history's report",
    ),
    "shrink": ("ddialab._cli_shrink", "find a smaller run that fails with the same anomaly type"),
    "check": (
        "ddialab._cli_check",
        "check history files (ddialab, Jepsen EDN, Jepsen log, Porcupine kv)",
    ),
    "list": ("ddialab._cli_list", "list systems, workloads, nemeses, checkers, models"),
}

#: Every subcommand module (for the registry test that each one imports).
SUBCOMMAND_MODULES = [module for module, _ in SUBCOMMANDS.values()]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"ddialab: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        """An invalid choice names the nearest known one ("did you mean")."""
        if action.choices is not None and value not in action.choices:
            from ddialab.vocabulary import did_you_mean

            known = ", ".join(map(str, action.choices))
            hint = did_you_mean(str(value), [str(c) for c in action.choices])
            raise argparse.ArgumentError(
                action, f"invalid choice: {value!r}{hint} (choose from {known})"
            )


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser, with full arguments only for the subcommand named in ``argv``
    (``None``: every subcommand, as for documentation and tests)."""
    parser = _Parser(
        prog="ddialab",
        description="Test and verify consistency guarantees (Jepsen/Elle/Knossos-style).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ddialab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    wanted = set(SUBCOMMANDS) if argv is None else {_named_subcommand(argv)}
    for name, (module, help_line) in SUBCOMMANDS.items():
        if name in wanted:
            importlib.import_module(module).add_parser(sub)
        else:
            sub.add_parser(name, help=help_line, add_help=False)
    return parser


def _named_subcommand(argv: Sequence[str]) -> str | None:
    """The first word that is not an option: the subcommand (top-level flags take no value)."""
    return next((a for a in argv if not a.startswith("-")), None)


#: the shell's convention for a command ended by SIGINT (128 + 2)
EXIT_INTERRUPTED = 130


def _is_interrupt(e: BaseException) -> bool:
    """Ctrl-C, also when trio delivers it inside an exception group."""
    if isinstance(e, KeyboardInterrupt):
        return True
    return isinstance(e, BaseExceptionGroup) and e.subgroup(KeyboardInterrupt) is not None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except DdialabError as e:
        print(f"ddialab: error: {e}", file=sys.stderr)
        return e.exit_code
    except BrokenPipeError:
        # the reader went away (e.g. `ddialab list | head`): not an error worth a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as e:
        # e.g. an --out directory that cannot be created: the user's environment, not a bug
        where = f"{e.filename}: " if e.filename else ""
        print(f"ddialab: error: {where}{e.strerror or e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BaseException as e:
        if not _is_interrupt(e):
            raise
        # cleanup already ran on the way out (finally blocks stop servers, remove temp dirs)
        print("ddialab: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def entry() -> None:
    """The console script (and ``python -m ddialab``): ``main()``, then exit.

    ``check`` ends with ``os._exit`` once stdout and stderr are flushed: it holds nothing
    that needs closing (its files are closed, it starts no process or thread), and the
    interpreter's own exit would free the history, the result and every module object by
    object first.  Every other command (temporary directories, worker pools) exits
    normally, and so does ``main()`` called in process (the tests)."""
    argv = sys.argv[1:]
    checking = _named_subcommand(argv) == "check"
    if checking:  # the working set of each check is left to os._exit (checkers/_retain.py)
        from checkers import retain_working_sets

        retain_working_sets()
    code = main(argv)
    if checking:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:  # e.g. a closed pipe: let the normal exit report it
            sys.exit(code)
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    entry()
