"""The ``ddialab`` command line.

Exit codes (every subcommand):
  0  valid: every check passed
  1  invalid: anomalies found
  2  usage error: unknown name, bad option
  3  bad input or other error (malformed history: file, line and what was expected)
  4  unknown: a checker ran out of its time or memory budget, or could not run
  130  interrupted (Ctrl-C): cleaned up, one line on stderr
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ddialab import _cli_check, _cli_list
from ddialab.errors import EXIT_BAD_INPUT, EXIT_USAGE, DdialabError

EPILOG = """exit codes: 0 valid, 1 invalid (anomalies found), 2 usage error,
3 bad input or other error, 4 unknown (a checker ran out of budget or could not run),
130 interrupted"""

#: Modules that add a subcommand: each has ``add_parser(subparsers)``.  Explicit: every
#: one is imported, and a missing module fails loudly (it is a bug, not an option).
SUBCOMMAND_MODULES = [
    "ddialab._cli_run",
    "ddialab._cli_matrix",
    "ddialab._cli_report",
    "ddialab._cli_shrink",
]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"ddialab: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ddialab",
        description="Test and verify consistency guarantees (Jepsen/Elle/Knossos-style).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _add_subcommands(sub)
    _cli_check.add_parser(sub)
    _cli_list.add_parser(sub)
    return parser


def _add_subcommands(sub: argparse._SubParsersAction) -> None:
    import importlib

    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).add_parser(sub)


#: the shell's convention for a command ended by SIGINT (128 + 2)
EXIT_INTERRUPTED = 130


def _is_interrupt(e: BaseException) -> bool:
    """Ctrl-C, also when trio delivers it inside an exception group."""
    if isinstance(e, KeyboardInterrupt):
        return True
    return isinstance(e, BaseExceptionGroup) and e.subgroup(KeyboardInterrupt) is not None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
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


if __name__ == "__main__":
    sys.exit(main())
