"""``detente war`` (policy mixes side by side; ``detente war backtest``) and ``detente claims``.

Views only: every draw, seed and model step is in :mod:`detente.api` (detente.api.war).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from detente import api
from detente.api import DetenteError
from detente.cli.common import JsonOpt, ScenarioArg, console, print_json
from detente.cli.store import record_cli_run, stored
from detente.cli.text import styled
from detente.progress import spinner


@stored
def war(
    scenario: str | None = ScenarioArg,
    policy: list[str] | None = typer.Option(
        None, "--policy", "-P", help="Policy mix (repeat for several); default: every mix."
    ),
    months: int = typer.Option(60, "--months", help="Months to simulate after the forecast point."),
    draws: int = typer.Option(200, "--draws", help="Parameter draws (calibrated prior)."),
    paths: int = typer.Option(50, "--paths", help="Simulated paths per draw."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same output)."),
    fixed: bool = typer.Option(
        False,
        "--fixed",
        help="Structural parameters at the calibrated medians and inputs at their values; "
        "default: draws from the calibration and the inputs' uncertainty.",
    ),
    plot: Path | None = typer.Option(
        None, "--plot", help="Write a PNG of P(war ended by month) there (default: no file)."
    ),
    no_plot: bool = typer.Option(False, "--no-plot", help="Write no plot (the default)."),
    data: Path | None = typer.Option(
        None, "--data", help="Folder of the COW/UCDP/GSDB files; default ../shared/data/war."
    ),
    set_: list[str] | None = typer.Option(
        None, "--set", help="Fix a war parameter, NAME=VALUE (repeatable)."
    ),
    lever: list[str] | None = typer.Option(
        None, "--lever", help="Scale every event of a kind, KIND=FACTOR (repeatable)."
    ),
    boot: int = typer.Option(2000, "--boot", help="backtest: bootstrap resamples."),
    ledger: str | None = typer.Option(
        None,
        "--ledger",
        help="Record P(settlement by the date in this question) in the forecast ledger, e.g. "
        "'Talks by 2026-06-30?' (first policy mix; see detente ledger).",
    ),
    ledger_file: Path | None = typer.Option(
        None, "--ledger-file", envvar="DETENTE_LEDGER", help="The ledger file (JSON Lines)."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Simulate the war under policy mixes: how it ends (settlement, victory, fading) and when.

    `detente war backtest` scores the calibrated model out of sample (COW wars from 1946 on)
    against the base rate and a Weibull regression."""
    if scenario == "backtest":
        _backtest(data, boot, seed, as_json)
        return
    with spinner(not as_json, f"{draws} draws x {paths} paths x {months} months"):
        run = api.war(
            scenario,
            policies=policy,
            months=months,
            draws=draws,
            paths_per_draw=paths,
            seed=seed,
            fixed=fixed,
            set_=set_,
            lever=lever,
        )
    sc = api.load(scenario)
    rates = api.war_base_rates(str(data) if data is not None else None)
    plot_path = None if no_plot or plot is None else _plot(run, plot)
    out = run.to_dict()
    out["plot"] = None if plot_path is None else str(plot_path)
    out["base_rates"] = rates
    record_cli_run(
        "war",
        sc,
        out,
        seed=seed,
        models=["war"],
        params={
            "policies": policy or [],
            "months": months,
            "draws": draws,
            "paths": paths,
            "fixed": fixed,
            "set": set_ or [],
            "lever": lever or [],
        },
        announce=not as_json,
    )
    if ledger:
        by = api.ledger.question_date(ledger)
        if by is None:
            raise DetenteError(f"--ledger {ledger!r}: the question must name a date YYYY-MM-DD")
        entry = api.ledger.add_from_war(run, ledger, by, scenario=sc, ledger_file=ledger_file)
        out["ledger"] = {"id": entry["seq"], "p": entry["forecast"]["p"], "hash": entry["hash"]}
    if as_json:
        print_json(out)
        return
    _print(out, sc.meta.title)
    if ledger:
        console.print(f"recorded in the ledger as entry {out['ledger']['id']}")


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def _num(x: float | None, fmt: str = ".0f") -> str:
    return "-" if x is None else format(x, fmt)


def _print(out: dict[str, Any], title: str) -> None:
    console.print(
        styled(
            "[bold]{}[/bold]: {} draws x {} paths, {} months after the forecast point "
            "(month {} of the war), seed {}; {}",
            title,
            out["draws"],
            out["paths_per_draw"],
            out["months"],
            out["elapsed"],
            out["seed"],
            out["parameters"]["structural"],
        )
    )
    t = Table(title="How the war ends, per policy mix", title_justify="left")
    t.add_column("policy", no_wrap=True)
    for col in ("settlement", "A wins", "D wins", "fading", "still at war", "paths"):
        t.add_column(col, justify="right")
    d = Table(title="When (months from the start of the war)", title_justify="left")
    d.add_column("policy", no_wrap=True)
    for col in ("p10", "p25", "p50", "p75", "p90", "terms p50", "cost A", "cost D"):
        d.add_column(col, justify="right")
    for name, s in out["policies"].items():
        o = s["p_by_end"]
        t.add_row(
            name,
            _pct(o["settlement"]),
            _pct(o["victory_attacker"]),
            _pct(o["victory_defender"]),
            _pct(o["fading"]),
            _pct(o["ongoing"]),
            str(s["paths"]),
        )
        q = s["duration_months"]
        d.add_row(
            name,
            *(
                _num(q[k]) if q[k] is not None else "later"
                for k in ("p10", "p25", "p50", "p75", "p90")
            ),
            _num(s["terms"]["median"], ".2f"),
            _num(s["cost_A"]["mean"], ".3f"),
            _num(s["cost_D"]["mean"], ".3f"),
        )
    t.caption = (
        "shares of the paths still at war at the forecast point; 'still at war' at the horizon"
    )
    d.caption = (
        "terms: attacker's share of the contested territory at settlement; cost: prize units"
    )
    console.print(t)
    console.print(d)
    used = out["parameters"].get("defaults_used") or []
    if used:
        console.print(
            styled(
                "[yellow]left to detente's defaults[/yellow] ({}): {}", len(used), ", ".join(used)
            ),
            soft_wrap=True,
        )
    if out.get("plot"):
        console.print(f"plot of P(war ended by month) per policy: {out['plot']}")


def _backtest(data: Path | None, boot: int, seed: int, as_json: bool) -> None:
    with spinner(not as_json, "backtest on the COW wars from 1946 on"):
        res = api.war_backtest(str(data) if data is not None else None, boot=boot, seed=seed)
    out = res.to_dict()
    if as_json:
        print_json(out)
        return
    tr, te = out["train"], out["test"]
    t = Table(
        title=f"Out of sample: fit on {tr['n_wars']} COW wars {tr['first_year']}-{tr['last_year']},"
        f" scored on {te['n_wars']} wars {te['first_year']}-{te['last_year']}",
        title_justify="left",
    )
    for col in ("method", "CRPS ln(months)", "95% interval", "log score", "95% interval"):
        t.add_column(col, justify="right")
    for name, s in te["scores"].items():
        t.add_row(
            name,
            f"{s['crps']:.3f}",
            f"{s['crps_low']:.3f}-{s['crps_high']:.3f}",
            f"{s['log_score']:.3f}",
            f"{s['log_score_low']:.3f}-{s['log_score_high']:.3f}",
        )
    t.caption = "lower is better; " + "; ".join(out["notes"])
    console.print(t)
    _ucdp_table(out.get("ucdp_episodes") or {})


def _ucdp_table(u: dict[str, Any]) -> None:
    """The second check: durations of the UCDP/PRIO inter-state episodes."""
    if "skipped" in u or not u.get("scores"):
        console.print(f"UCDP/PRIO episodes: skipped ({u.get('skipped', 'no episode scored')})")
        return
    t = Table(
        title=f"Second check of durations: {u['n_scored']} UCDP/PRIO inter-state episodes of war "
        f"intensity {u['first_year']}-{u['last_year']} ({u['n_censored']} censored and "
        f"{u['n_left_out']} without CINC left out; {u['n_overlap_cow_held_out']} overlap a "
        "held-out COW war)",
        title_justify="left",
    )
    for col in ("method", "CRPS ln(months)", "95% interval", "model - method", "95% interval"):
        t.add_column(col, justify="right")
    for name, s in u["scores"].items():
        d = u["model_minus_baseline"].get(name)
        t.add_row(
            name,
            f"{s['crps']:.3f}",
            f"{s['crps_low']:.3f}-{s['crps_high']:.3f}",
            f"{d['crps_diff']:+.3f}" if d else "",
            f"{d['crps_diff_low']:+.3f} to {d['crps_diff_high']:+.3f}" if d else "",
        )
    parts = ["lower is better; model - method < 0: the model scores better"]
    for key, label in (
        ("precise_start_dates", "leaving out rough start dates"),
        ("minor", "minor episodes, apart"),
    ):
        sub = u.get(key, {})
        if sub.get("scores"):
            m = sub["scores"]
            parts.append(
                f"{label} ({sub['n_scored']}): model {m['model']['crps']:.3f}, "
                f"base_rate {m['base_rate']['crps']:.3f}, weibull {m['weibull']['crps']:.3f}"
            )
    t.caption = "; ".join(parts) + "; --json for the notes and each episode"
    console.print(t)


def _plot(run: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig = run.plot()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png")
    except OSError as exc:
        raise DetenteError(f"--plot {path}: cannot write the plot ({exc.strerror})") from None
    finally:
        plt.close(fig)
    return path


@stored
def claims(
    scenario: str | None = ScenarioArg,
    draws: int = typer.Option(100, "--draws", help="Parameter draws (calibrated prior)."),
    paths: int = typer.Option(1000, "--paths", help="Simulated paths per draw."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same output)."),
    months: int | None = typer.Option(None, "--months", help="Months to simulate (default 60)."),
    as_json: bool = JsonOpt,
) -> None:
    """Test the article's claims, each against a counterfactual that changes one thing."""
    with spinner(not as_json, f"checking claims: {draws} draws x {paths} paths"):
        results = api.claims(scenario, draws=draws, paths_per_draw=paths, seed=seed, months=months)
    sc = api.load(scenario)
    out: dict[str, Any] = {
        "scenario": sc.meta.id or sc.meta.title,
        "draws": draws,
        "paths": paths,
        "seed": seed,
        "claims": [r.to_dict() for r in results],
    }
    record_cli_run(
        "claims",
        sc,
        out,
        seed=seed,
        models=["war"],
        params={"draws": draws, "paths": paths, "months": months},
        announce=not as_json,
    )
    if as_json:
        print_json(out)
        return
    table = Table(
        title=f"{out['scenario']}: claims ({draws} draws x {paths} paths, seed {seed})",
        title_justify="left",
    )
    table.add_column("claim", no_wrap=True)
    table.add_column("holds in", justify="right", no_wrap=True)
    table.add_column("95% interval", justify="right", no_wrap=True)
    table.add_column("test (one change)")
    for r in out["claims"]:
        share = "-" if r["share"] is None else f"{100 * r['share']:.0f}% of {r['draws']}"
        iv = "-" if r["low"] is None else f"{100 * r['low']:.0f}-{100 * r['high']:.0f}%"
        text = r["test"] + (f" (changed: {', '.join(r['difference'])})" if r["difference"] else "")
        if r["note"]:
            text += f" -- {r['note']}"
        table.add_row(r["id"], share, iv, text)
    table.caption = (
        "share of calibrated parameter draws in which the claim holds (common random numbers)"
    )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("war")(war)
    app.command("claims")(claims)
