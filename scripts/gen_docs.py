"""Generate the reference pages of the docs site (run by ``make docs`` before ``mkdocs build``).

Everything here is derived from the code, so the docs cannot drift from it:

- ``docs/reference/scenario.md``: every field of a scenario file (type, default, allowed range,
  meaning) from the pydantic schema; the war parameters (unit, default, range); event kinds and
  their units; the built-in policy mixes. ``docs/reference/scenario.schema.json``: the JSON Schema
  ``detente schema`` prints.
- ``docs/reference/claims.md``: the claims and their one-change counterfactuals.
- ``docs/reference/models.md``: the bargaining models' registry (citation, parameters).
- ``docs/reference/cli.md``: every command and option (from the typer app).
- ``docs/reference/api.md``: the Python API (from docstrings of detente.api and the result
  classes).
- ``docs/gallery/*.svg`` + ``docs/gallery.md``: one of each plot, computed on ukraine-2025 with
  small settings (seeded).

Usage: ``python scripts/gen_docs.py [--no-gallery]`` from the repository root.
"""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
REF = DOCS / "reference"
GALLERY = DOCS / "gallery"


def _g(x: Any) -> str:
    if isinstance(x, float):
        return "inf" if x == float("inf") else f"{x:g}"
    return "-" if x is None else str(x)


def _esc(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


# -- scenario reference ------------------------------------------------------------------------


def _type_of(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return f"[{prop['$ref'].rsplit('/', 1)[-1]}](#{prop['$ref'].rsplit('/', 1)[-1].lower()})"
    if "anyOf" in prop:
        parts = [_type_of(p) for p in prop["anyOf"]]
        return " or ".join(p for p in parts if p != "null") + (
            " (optional)" if any(p.get("type") == "null" for p in prop["anyOf"]) else ""
        )
    if "enum" in prop:
        return "one of " + ", ".join(f"`{v}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    t = prop.get("type", "any")
    if t == "array":
        return f"list of {_type_of(prop.get('items', {}))}"
    if t == "object":
        inner = prop.get("additionalProperties")
        if isinstance(inner, dict) and inner:
            return f"mapping id → {_type_of(inner)}"
        pat = prop.get("patternProperties")
        if pat:
            return f"mapping id → {_type_of(next(iter(pat.values())))}"
        return "mapping"
    return {
        "number": "number",
        "integer": "integer",
        "string": "text",
        "boolean": "true/false",
    }.get(t, t)


def _rule_of(prop: dict[str, Any]) -> str:
    rules = []
    for p in [prop, *prop.get("anyOf", [])]:
        for key, text in (
            ("minimum", "≥ {}"),
            ("exclusiveMinimum", "> {}"),
            ("maximum", "≤ {}"),
            ("exclusiveMaximum", "< {}"),
            ("minLength", "at least {} characters"),
            ("maxLength", "at most {} characters"),
            ("minItems", "at least {} items"),
            ("maxItems", "at most {} items"),
            ("pattern", "matches `{}`"),
        ):
            if key in p:
                rules.append(text.format(p[key]))
    return "; ".join(dict.fromkeys(rules))


def scenario_reference() -> str:
    from detente.api.docs import scenario_schema
    from detente.scenario.war_schema import EVENT_KINDS, PARAMETERS, STRUCTURAL
    from detente.war.policies import BUILTIN_POLICIES

    schema = scenario_schema()
    defs = schema["$defs"]
    out = [
        "# Scenario reference",
        "",
        "Generated from the code (`scripts/gen_docs.py`): every field of a scenario file, its",
        "type,",
        "default and allowed range. The same rules as a JSON Schema: `detente schema > "
        "scenario.schema.json`",
        "([download](scenario.schema.json)); editors that read JSON Schema (for example VS Code's",
        "YAML extension with `# yaml-language-server: $schema=scenario.schema.json` as the first",
        "line) then check a file as you type. `detente validate FILE` checks everything,",
        "including the rules a schema cannot state (an actor's position for every issue,",
        "a scale's high end above its low end, `low` ≤ `value` ≤ `high`).",
        "",
        "**Every number is an Estimate**: a bare number, or a mapping with `value` and optionally",
        "`sd`, `low`/`high`, `dist` and `source` (see [Estimate](#estimate)).",
        "",
    ]
    order = ["Scenario", "Meta", "Source", "Issue", "Scale", "Actor", "Estimate", "WarSpec"]
    order += ["PolicySpec", "EventSpec", "ClaimSpec", "InterventionSpec"]
    objects = {"Scenario": schema, **defs}
    for name in order:
        obj = objects.get(name)
        if obj is None:
            continue
        title = "Scenario (the file's top level)" if name == "Scenario" else name
        out += [f"## {title}", "", _esc(obj.get("description", "")).strip(), ""]
        required = set(obj.get("required", []))
        out += ["| field | type | default | rule | meaning |", "|---|---|---|---|---|"]
        for field, prop in obj.get("properties", {}).items():
            if name == "WarSpec" and field == "parameters":
                typ, rule = "mapping name → Estimate", "names and ranges: [below](#war-parameters)"
            else:
                typ, rule = _type_of(prop), _rule_of(prop)
            default = "required" if field in required else _g(json.dumps(prop.get("default")))
            if default == "null":
                default = "-"
            out.append(
                f"| `{field}` | {_esc(typ)} | {_esc(default)} | {_esc(rule)} | "
                f"{_esc(prop.get('description', ''))} |"
            )
        out.append("")
        if name == "ClaimSpec":
            out += [
                "A claim is chosen by its `id`: one of the seven claims in [Claims](../claims.md)",
                "(`appeasement`, `credible-pressure`, `empty-threats`, `third-party-support`,",
                "`beliefs-converge`, `not-fast`, `uneven-costs`), each with its own one-change",
                "counterfactual. `statement` says the test in words and is not parsed; another id",
                "is listed with no test; `months` is accepted but `detente claims --months` sets",
                "the horizon of every claim.",
                "",
            ]
    out += [
        "## War parameters",
        "",
        "Under `war: parameters:`. Each is an Estimate (give `sd` or `low`/`high` to have",
        "`detente war`, `detente claims` and the report draw it). The structural parameters",
        "(" + ", ".join(f"`{n}`" for n in STRUCTURAL) + ") are calibrated on the COW wars",
        "before 1946: left unset, `detente war` draws them from the calibration (`--fixed`:",
        "their calibrated medians) rather than taking the default below; set one to fix it.",
        "Any other parameter you do not set takes",
        "its default, and `detente war` and `detente report` list the ones that did. Units: a",
        "month is the time step; capabilities, aid and third-party support are COW CINC shares;",
        "*control* and *terms* are shares of the contested territory (0 = the defender holds all",
        "of it, 1 = the attacker holds all it claims); costs are in units of the prize.",
        "",
        "| parameter | unit | default | allowed range | meaning |",
        "|---|---|---|---|---|",
    ]
    for pname, info in PARAMETERS.items():
        out.append(
            f"| `{pname}` | {_esc(info.unit)} | {_g(info.default)} | "
            f"[{_g(info.low)}, {_g(info.high)}] | {_esc(info.doc)} |"
        )
    units = {
        "threat": "sanctions level threatened; carried out at the deadline with P = `enforce`",
        "sanction": "sanctions level on the attacker added (0-1)",
        "secondary": "secondary-sanctions level on third parties' support added (0-1)",
        "aid": "military aid to the defender added, CINC (arrives over `aid_lag`; may be negative)",
        "summit": "a summit, read as evidence of low resolve: a multiple of `concession_weight`",
        "concession": "a public concession: evidence of low resolve (a multiple of "
        "`concession_weight`) and lower stakes (a multiple of `stake_cut`)",
        "purchases": "third-party support of the attacker added, a multiple of `support_A` "
        "(-1 withdraws it)",
        "dual_use": "third-party dual-use exports to the attacker added, CINC",
    }
    out += [
        "",
        "## Events and policy mixes",
        "",
        "A policy mix (under `war: policies: NAME:`) schedules events; what an event does is",
        "decided by the model's mechanisms, never by the mix. An event's `intensity` (and a",
        "threat's `enforce`) is a number or the name of a war parameter, so that a mix can share",
        "an uncertain quantity (e.g. `intensity: threat_size`). A threat's `deadline` is the",
        "number of months until it is carried out or missed. `every: N` repeats the event every",
        "N months (until `until`). `base: OTHER` puts the mix on top of another one.",
        "",
        "| event kind | what `intensity` means |",
        "|---|---|",
    ]
    for kind in EVENT_KINDS:
        out.append(f"| `{kind}` | {units.get(kind, '')} |")
    out += [
        "",
        "**Built-in mixes.** Every war has these beside its own (a scenario's mix of the same",
        "name replaces the built-in one):",
        "",
        "| mix | what it does |",
        "|---|---|",
    ]
    for pname, spec in BUILTIN_POLICIES.items():
        out.append(f"| `{pname}` | {_esc(spec.description or '')} |")
    out.append("")
    return "\n".join(out)


def claims_reference() -> str:
    from detente.analysis import claims

    out = [
        "# Claims reference",
        "",
        "Generated from `detente.analysis.claims` (see [Claims](../claims.md)). Each of the",
        "article's claims is tested against a counterfactual that changes one thing: the two",
        "policy mixes are simulated on the same parameter draw with the same random numbers, and",
        "the claim holds in that draw if the metric moves the way the claim says. `detente",
        "claims` reports the share of calibrated draws in which it holds, with a 95% Wilson",
        "interval.",
        "",
        "| claim | mix | counterfactual | the one change | metric | holds when |",
        "|---|---|---|---|---|---|",
    ]
    for cid, t in claims.TESTS.items():
        changed = ", ".join(f"{k} = {v:g}" for k, v in t.b_params)
        cf = t.b or "-"
        if changed:
            cf = f"{cf} with {changed}"
        if t.b_params:
            diff = ", ".join(f"`{k}`" for k, _ in t.b_params)
        elif t.b:
            diff = ", ".join(f"`{d}`" for d in claims.mix_difference(t.a, t.b))
        else:
            diff = "none (one mix, two outputs)"
        out.append(
            f"| `{cid}` | `{t.a}` | `{_esc(cf)}` | {diff} | `{t.metric}` | {_esc(t.reading)} |"
        )
    out += [
        "",
        "## The counterfactual mixes",
        "",
        "The claims check's own policy mixes (they replace a scenario mix of the same name during",
        "the check); their sizes are war parameters, drawn like any other.",
        "",
        "| mix | description | events |",
        "|---|---|---|",
    ]
    for name, mix in claims.MIXES.items():
        events = "; ".join(
            f"{e.kind} in month {e.month}" + (f" every {e.every}" if e.every else "")
            for e in mix.events
        )
        out.append(f"| `{name}` | {_esc(mix.description or '')} | {_esc(events) or '-'} |")
    out.append("")
    return "\n".join(out)


def models_reference() -> str:
    from detente.bargaining.registry import list_models

    out = ["# Bargaining models: registry", "", "Generated from `detente models`.", ""]
    for m in list_models():
        out += [f"## `{m.name}`: {m.title}", "", f"*{m.citation}*", ""]
        doc = inspect.getdoc(m.fn) or ""
        if doc:
            out += [doc.split("\n\n")[0].replace("\n", " "), ""]
        if m.params:
            out += ["| parameter | default | rule | meaning |", "|---|---|---|---|"]
            for p in m.params:
                out.append(f"| `{p.name}` | `{p.default!r}` | {_esc(p.rule())} | {_esc(p.doc)} |")
            out.append("")
        else:
            out += ["No parameters.", ""]
    return "\n".join(out)


def cli_reference() -> str:
    import typer

    from detente.cli import main as cli_main

    cli_main._register_commands()
    group = typer.main.get_command(cli_main.app)
    out = [
        "# Command reference",
        "",
        "Generated from the command-line app (`detente COMMAND --help` prints the same).",
        "",
    ]

    def walk(cmd: Any, path: list[str]) -> None:
        # typer ships its own copy of click: recognise groups and parameters by their attributes
        subs = getattr(cmd, "commands", None)
        if isinstance(subs, dict):
            for name in sorted(subs):
                walk(subs[name], [*path, name])
            return
        out.extend([f"## `detente {' '.join(path)}`", "", (cmd.help or "").strip(), ""])
        args = [p for p in cmd.params if p.param_type_name == "argument"]
        opts = [p for p in cmd.params if p.param_type_name == "option" and p.name != "help"]
        usage = " ".join(f"[{a.name.upper()}]" if not a.required else a.name.upper() for a in args)
        out.extend([f"`detente {' '.join(path)} {usage} [OPTIONS]`", ""])
        if opts:
            out.extend(["| option | default | meaning |", "|---|---|---|"])
            for o in opts:
                names = ", ".join(f"`{n}`" for n in [*o.opts, *o.secondary_opts])
                default = "" if o.default in (None, False, ()) or o.is_flag else f"`{o.default}`"
                out.append(f"| {names} | {default} | {_esc(o.help or '')} |")
            out.append("")

    walk(group, [])
    return "\n".join(out)


def _doc_entry(name: str, obj: Any, level: str = "##") -> list[str]:
    try:
        sig = str(inspect.signature(obj)).replace("'", "")
    except (TypeError, ValueError):
        sig = ""
    doc = inspect.getdoc(obj) or "(no docstring)"
    short = name.rsplit(".", 1)[-1]
    out = [f"{level} `{name}`", ""]
    if sig and callable(obj):
        out += ["```python", f"{'class ' if inspect.isclass(obj) else ''}{short}{sig}", "```", ""]
    return [*out, doc, ""]


# Modules beyond detente.api whose public functions the reference lists (the layers a notebook
# user reaches for: Monte Carlo, claims, the war model, plots, the report service).
API_MODULES = [
    ("detente.analysis.montecarlo", ["monte_carlo", "parse_threshold"]),
    ("detente.analysis.claims", ["check_claims", "mix_difference"]),
    ("detente.war", ["simulate"]),
    ("detente.report.service", ["make_report", "Report"]),
    (
        "detente.report.plots",
        [
            "positions_figure",
            "trajectory_figure",
            "talks_figure",
            "sensitivity_figure",
            "whatif_figure",
            "sweep_figure",
            "to_svg",
            "to_png",
            "save",
        ],
    ),
    ("detente.store.runs", ["RunStore", "resolve_path"]),
    ("detente.store.views", ["export_run", "compare_runs", "result_tables"]),
]


def api_reference() -> str:
    import importlib

    import detente
    from detente import api, results

    out = [
        "# Python API reference",
        "",
        "Generated from the docstrings (`scripts/gen_docs.py`). The CLI and the web app use",
        "these same functions. `import detente` gives the most used ones at the top level.",
        "",
        "```python",
        "import detente",
        'sc = detente.load("ukraine-2025")',
        'fc = detente.forecast(sc, model=["median", "eum"], draws=200, seed=1)',
        "fc.to_frame()",
        "```",
        "",
        "## `detente` (top level)",
        "",
    ]
    top = [n for n in getattr(detente, "__all__", []) if callable(getattr(detente, n, None))]
    out += [", ".join(f"`{n}`" for n in top) or "(see detente.api)", ""]
    out += ["## `detente.api`", "", inspect.getdoc(api) or "", ""]
    for name, obj in sorted(vars(api).items()):
        if name.startswith("_") or not callable(obj):
            continue
        mod = getattr(obj, "__module__", "") or ""
        if not mod.startswith("detente.api"):
            continue
        out += _doc_entry(f"detente.api.{name}", obj, "###")
        if inspect.isclass(obj):
            for mname, meth in vars(obj).items():
                if not mname.startswith("_") and callable(meth):
                    out += _doc_entry(f"{name}.{mname}", meth, "####")
    out += ["## Results", "", inspect.getdoc(results) or "", ""]
    out += _doc_entry("detente.results.Result", results.Result, "###")
    for mname in ("to_dict", "to_frame", "to_json", "to_xarray", "plot"):
        out += _doc_entry(f"Result.{mname}", getattr(results.Result, mname), "####")
    for modname, names in API_MODULES:
        try:
            mod = importlib.import_module(modname)
        except ImportError:
            continue
        out += [f"## `{modname}`", "", (inspect.getdoc(mod) or "").split("\n\n")[0], ""]
        for name in names:
            obj = getattr(mod, name, None)
            if obj is not None:
                out += _doc_entry(f"{modname}.{name}", obj, "###")
    return "\n".join(out)


# -- gallery -----------------------------------------------------------------------------------


def gallery() -> str:
    from detente import api
    from detente.report import plots, sections

    GALLERY.mkdir(parents=True, exist_ok=True)
    sc = api.load("ukraine-2025")
    fc = api.forecast(sc, model=["median", "compromise", "eum"], draws=200, seed=1)
    fj = fc.to_dict()
    items: list[tuple[str, str, str, Any]] = [
        (
            "positions",
            "Positions and forecasts per issue",
            "Each actor's position (dot area: capability × salience) and each model's forecast "
            "(diamond) with its Monte Carlo 50% (thick) and 90% (thin) intervals; `detente "
            "forecast --draws 200`, `detente report`.",
            plots.positions_figure(fj, sc, montecarlo=fj["uncertainty"]),
        ),
        (
            "trajectory",
            "A dynamic model's rounds",
            "EUM's positions per actor over rounds; `detente forecast -m eum`.",
            plots.trajectory_figure(fj, "eum", sc),
        ),
    ]
    war = sections.talks_comparison(sc, months=36, draws=20, paths_per_draw=50, seed=1)
    items.append(
        (
            "talks",
            "P(settlement by month) per policy mix",
            "The war model's policy comparison with a 90% Monte Carlo band; `detente war`, "
            "`detente report`.",
            plots.talks_figure(war),
        )
    )
    from detente.report.html import war_policy_rows

    items.append(
        (
            "endings",
            "How the war ends, per policy mix",
            "Shares of settlement, victory of either side, fading and still at war at the horizon "
            "among the paths at war at the forecast point; `detente report`.",
            plots.endings_figure(war_policy_rows(war), 36),
        )
    )
    sens = api.sensitivity(sc, model="compromise", method="morris", n=8, seed=1)
    items.append(
        (
            "sensitivity",
            "Sensitivity indices",
            "Which inputs drive each issue's forecast; `detente sensitivity`.",
            plots.sensitivity_figure(sens.to_dict() if hasattr(sens, "to_dict") else sens),
        )
    )
    wi = api.whatif(sc, interventions=["remove IND"], model=["compromise", "median"])
    items.append(
        (
            "whatif",
            "What if",
            'Forecasts before and after an intervention; `detente whatif --do "remove IND"`.',
            plots.whatif_figure(wi.to_dict() if hasattr(wi, "to_dict") else wi),
        )
    )
    sw = api.sweep(sc, levers=["USA.position.sanctions=0:100:6"])
    items.append(
        (
            "sweep",
            "Sweep of one lever",
            "Each issue's forecast against a lever; `detente sweep -l "
            '"USA.position.sanctions=0:100:6"`.',
            plots.sweep_figure(
                {
                    "levers": [{"op": a.op, "target": a.target} for a in sw.axes],
                    "rows": sw.to_frame().to_dict(orient="records"),
                }
            ),
        )
    )
    out = [
        "# Gallery",
        "",
        "One of each plot detente draws, on the default scenario (ukraine-2025) with small,",
        "seeded settings; regenerated by `make docs`. The report (`detente report`) embeds them",
        "as inline SVG; `detente war --plot FILE.png` writes the war chart.",
        "",
    ]
    for key, title, caption, fig in items:
        (GALLERY / f"{key}.svg").write_text(plots.to_svg(fig), encoding="utf-8")
        out += [f"## {title}", "", f"![{title}](gallery/{key}.svg)", "", caption, ""]
    return "\n".join(out)


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    REF.mkdir(parents=True, exist_ok=True)
    from detente.api.docs import scenario_schema_text

    (REF / "scenario.schema.json").write_text(scenario_schema_text(), encoding="utf-8")
    pages = {
        "scenario.md": scenario_reference,
        "claims.md": claims_reference,
        "models.md": models_reference,
        "cli.md": cli_reference,
        "api.md": api_reference,
    }
    for name, fn in pages.items():
        (REF / name).write_text(fn(), encoding="utf-8")
        print(f"wrote docs/reference/{name}")
    if "--no-gallery" not in argv:
        (DOCS / "gallery.md").write_text(gallery(), encoding="utf-8")
        print("wrote docs/gallery.md and docs/gallery/*.svg")


if __name__ == "__main__":
    main(sys.argv[1:])
