"""The ``detente`` command: one typer app; each command module registers itself.

A user's mistake (a DetenteError) prints one line on stderr and exits with code 2; no traceback.
"""

from __future__ import annotations

import importlib
import sys

import typer

app = typer.Typer(
    name="detente",
    help="Make a negotiation or a war computable: who comes to the table, when, and on what terms."
    "\n\nLimits, accepted anywhere on the line: --max-memory SIZE (default: half this machine's "
    "memory, or $DETENTE_MAX_MEMORY) and --max-time DURATION (default 1h, or $DETENTE_MAX_TIME); "
    "a request estimated to need more is refused before it starts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Each module defines ``register(app)``; add a new command module's name here.
COMMAND_MODULES = [
    "detente.cli.forecast_cmd",
    "detente.cli.catalog_cmd",
    "detente.cli.ktab_cmd",
    "detente.cli.runs_cmd",
    "detente.cli.report_cmd",
    "detente.cli.serve_cmd",
    "detente.cli.backtest_cmd",
    "detente.cli.analysis_cmd",
    "detente.cli.war_cmd",
]


def _register_commands() -> None:
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(app)


LIMIT_OPTIONS = ("--max-memory", "--max-time")


def split_limits(argv: list[str]) -> tuple[list[str], dict[str, str]]:
    """Take ``--max-memory SIZE`` and ``--max-time DURATION`` (or ``--opt=VALUE``) out of
    ``argv``, wherever they stand; returns the rest and {option: value}."""
    rest: list[str] = []
    found: dict[str, str] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        name, eq, value = arg.partition("=")
        if name in LIMIT_OPTIONS:
            if not eq:
                if i + 1 >= len(argv):
                    from detente.scenario.errors import DetenteError

                    raise DetenteError(f"{name} needs a value, e.g. {name} 8G")
                value = argv[i + 1]
                i += 1
            found[name] = value
        else:
            rest.append(arg)
        i += 1
    return rest, found


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``detente`` script."""
    from detente.analysis.budget import limits, parse_duration, parse_size
    from detente.bargaining.registry import ParameterError
    from detente.safetext import clean
    from detente.scenario.errors import DetenteError

    _register_commands()
    try:
        args, found = split_limits(list(sys.argv[1:] if argv is None else argv))
        max_memory = found.get("--max-memory")
        max_time = found.get("--max-time")
        with limits(
            None if max_memory is None else parse_size(max_memory),
            None if max_time is None else parse_duration(max_time),
        ):
            code = app(args=args, prog_name="detente", standalone_mode=False)
    except typer.TyperException as exc:
        # typer's click errors: a bad option (``--draws 0``, ``--seed -1``, an unknown flag) is
        # one line, not a usage box; a bare group (``detente``, ``detente runs``) shows its help.
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            print(ctx.get_help())
            sys.exit(2)
        hint = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
        print(f"detente: error: {clean(exc.format_message())}{hint}", file=sys.stderr)
        sys.exit(2)
    except typer.Abort:
        print("detente: aborted", file=sys.stderr)
        sys.exit(1)
    except (DetenteError, ParameterError) as exc:
        print(f"detente: error: {clean(exc)}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("detente: interrupted", file=sys.stderr)
        sys.exit(130)
    # As typer's standalone mode did: every run ends in SystemExit (0 on success).
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
