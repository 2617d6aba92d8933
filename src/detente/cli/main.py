"""The ``detente`` command: one typer app; each command module registers itself.

Commands load lazily: ``detente --help`` lists them from :data:`COMMANDS` (name, module, one-line
help) without importing any command module, and ``detente NAME`` imports only NAME's module. A
test checks that :data:`COMMANDS` matches what the modules register.

A user's mistake (a DetenteError) prints one line on stderr and exits with code 2; no traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer
from typer.core import TyperGroup

# Each module defines ``register(app)``; add a new command module's name here, and its commands
# to COMMANDS below (tests/cli/test_startup.py checks the two agree).
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
    "detente.cli.ledger_cmd",
    "detente.cli.discover_cmd",
    "detente.cli.power_cmd",
    "detente.cli.docs_cmd",
]

# name -> (module, one-line help as the command's docstring starts): what --help lists.
COMMANDS: dict[str, tuple[str, str]] = {
    "forecast": (
        "detente.cli.forecast_cmd",
        "Forecast the negotiated outcome of each issue with the field's bargaining models.",
    ),
    "models": (
        "detente.cli.catalog_cmd",
        "List the bargaining models: name, citation, parameters.",
    ),
    "scenarios": ("detente.cli.catalog_cmd", "List the scenarios shipped with detente."),
    "validate": (
        "detente.cli.catalog_cmd",
        "Check a scenario file; print what it holds, or one line naming what is wrong (exit 2).",
    ),
    "import": ("detente.cli.ktab_cmd", "Convert other tools' scenario files into detente YAML."),
    "runs": ("detente.cli.runs_cmd", "Stored runs: list, show, compare two, export."),
    "report": (
        "detente.cli.report_cmd",
        "Write one self-contained HTML report (it opens offline).",
    ),
    "serve": ("detente.cli.serve_cmd", "Serve the local web app."),
    "backtest": (
        "detente.cli.backtest_cmd",
        "Score every bargaining model on past negotiations with known outcomes.",
    ),
    "sensitivity": (
        "detente.cli.analysis_cmd",
        "Which actor's position, salience or capability drives each issue's forecast.",
    ),
    "whatif": (
        "detente.cli.analysis_cmd",
        "Compare the forecasts before and after interventions, side by side.",
    ),
    "lever": (
        "detente.cli.analysis_cmd",
        "The smallest change an actor can make to its own position, salience or capability.",
    ),
    "sweep": ("detente.cli.analysis_cmd", "Forecast over a grid of one or two levers."),
    "war": (
        "detente.cli.war_cmd",
        "Simulate the war under policy mixes: how it ends (settlement, victory, fading) and when.",
    ),
    "claims": (
        "detente.cli.war_cmd",
        "Test the article's claims, each against a counterfactual that changes one thing.",
    ),
    "ledger": (
        "detente.cli.ledger_cmd",
        "A sealed forecast ledger: add, list, verify, resolve, score.",
    ),
    "discover": (
        "detente.cli.discover_cmd",
        "Scenario discovery: under which assumptions does the target hold? (PRIM and CART)",
    ),
    "power": (
        "detente.cli.power_cmd",
        "Shapley-Shubik and Banzhaf power of the voters of the scenario's voting rule (exact).",
    ),
    "schema": ("detente.cli.docs_cmd", "Print the JSON Schema of a scenario file."),
    "show": (
        "detente.cli.docs_cmd",
        "Print an embedded scenario's YAML (copy it to start your own).",
    ),
    "init": ("detente.cli.docs_cmd", "Write a commented scenario template to start from."),
}


class LazyGroup(TyperGroup):
    """A typer group that imports a command's module only when the command runs."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*COMMANDS, *(n for n in self.commands if n not in COMMANDS)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.load(COMMANDS[cmd_name][0])
        return self.commands.get(cmd_name)

    def load(self, module: str) -> None:
        """Import ``module`` and add the commands it registers."""
        sub = typer.Typer()
        importlib.import_module(module).register(sub)
        for name, cmd in typer.main.get_group(sub).commands.items():
            self.commands.setdefault(name, cmd)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = [(name, help_) for name, (_, help_) in COMMANDS.items()]
        rows += [
            (name, cmd.get_short_help_str(limit=80))
            for name, cmd in self.commands.items()
            if name not in COMMANDS
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


app = typer.Typer(
    name="detente",
    cls=LazyGroup,
    help="Make a negotiation or a war computable: who comes to the table, when, and on what terms."
    "\n\nLimits, accepted anywhere on the line: --max-memory SIZE (default: half this machine's "
    "memory, or $DETENTE_MAX_MEMORY) and --max-time DURATION (default 1h, or $DETENTE_MAX_TIME); "
    "a request estimated to need more is refused before it starts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # plain click help: --help starts without loading rich's formatter
)


@app.callback()
def _root() -> None:
    """Make a negotiation or a war computable: who comes to the table, when, and on what terms.

    Run `detente COMMAND --help` for a command's options.
    """


def _register_commands() -> None:
    """Import every command module now (tests call this; the CLI loads commands lazily)."""
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
                    from detente.api import DetenteError

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
    from detente.api import limits, parse_duration, parse_size
    from detente.safetext import clean

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
    except KeyboardInterrupt:
        print("detente: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        message = _user_error(exc)
        if message is None:
            raise
        print(f"detente: error: {clean(message)}", file=sys.stderr)
        sys.exit(2)
    # As typer's standalone mode did: every run ends in SystemExit (0 on success).
    sys.exit(code if isinstance(code, int) else 0)


def _user_error(exc: Exception) -> str | None:
    """The one line to print for a user's mistake or a missing optional package; None for a
    bug (which keeps its traceback). Imported only when something went wrong."""
    from detente.api import DetenteError, MissingExtra, ParameterError

    if isinstance(exc, DetenteError | ParameterError):
        return str(exc)
    if isinstance(exc, ImportError) and exc.name:
        from detente.extras import EXTRA_OF

        top = exc.name.split(".")[0]
        if top in EXTRA_OF:
            return str(MissingExtra(top, "this command"))
    return None


if __name__ == "__main__":
    main()
