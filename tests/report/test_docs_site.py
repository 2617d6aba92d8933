"""The docs site: the generated reference covers every field and war parameter, the tutorial's
scenarios validate and its commands run, the claims page's statements parse, the site builds."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from detente.cli.main import main
from detente.scenario import io as scenario_io

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
EXAMPLES = DOCS / "examples"


def _gen():
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    try:
        main(argv)
    except SystemExit as exc:
        assert exc.code in (0, None), (argv, capsys.readouterr().err)
    return capsys.readouterr().out


def test_scenario_reference_lists_every_field_and_war_parameter() -> None:
    from detente.scenario.schema import Actor, Issue, Meta, Scenario
    from detente.scenario.war_schema import EVENT_KINDS, PARAMETERS, EventSpec, WarSpec
    from detente.war.policies import BUILTIN_POLICIES

    page = _gen().scenario_reference()
    for model in (Scenario, Meta, Issue, Actor, WarSpec, EventSpec):
        for field in model.model_fields:
            assert f"| `{field}` |" in page, (model.__name__, field)
    for name, info in PARAMETERS.items():
        row = next(line for line in page.splitlines() if line.startswith(f"| `{name}` |"))
        assert info.unit in row and f"{info.default:g}" in row
    for kind in EVENT_KINDS:
        assert f"| `{kind}` |" in page
    for name in BUILTIN_POLICIES:
        assert f"| `{name}` |" in page


def test_claims_reference_lists_every_claim() -> None:
    from detente.analysis.claims import TESTS

    page = _gen().claims_reference()
    for cid, t in TESTS.items():
        assert f"| `{cid}` | `{t.a}` |" in page


def test_cli_reference_lists_every_command() -> None:
    page = _gen().cli_reference()
    for cmd in ("forecast", "report", "runs export", "schema", "show", "init", "war", "claims"):
        assert f"## `detente {cmd}`" in page


@pytest.mark.parametrize("name", ["jcpoa", "iran-iraq"])
def test_tutorial_scenarios_validate(name: str) -> None:
    sc = scenario_io.load(str(EXAMPLES / f"{name}.yaml"))
    assert (sc.war is not None) == (name == "iran-iraq")


def test_tutorial_commands_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    j, w = str(EXAMPLES / "jcpoa.yaml"), str(EXAMPLES / "iran-iraq.yaml")
    _cli(["init", "mine.yaml"], capsys)
    _cli(["validate", "mine.yaml"], capsys)
    out = _cli(["forecast", j, "--draws", "50", "--seed", "1", "-t", "enrichment<=30"], capsys)
    assert "Enrichment" in out
    _cli(["whatif", j, "--do", "remove RUS", "--do", "shift USA.position.enrichment +10"], capsys)
    _cli(["sweep", j, "-l", "USA.position.relief=0:100:11"], capsys)
    _cli(["lever", j, "--actor", "USA", "--target", "enrichment<=30", "-n", "20"], capsys)
    out = _cli(["war", w, "--months", "24", "--paths", "200", "--no-plot"], capsys)
    assert "arms-embargo" in out
    out = _cli(["claims", w, "--draws", "30", "--paths", "50", "--json"], capsys)
    import json

    claims = {c["id"]: c for c in json.loads(out)["claims"]}
    assert set(claims) == {c.id for c in scenario_io.load(w).claims}
    # the tutorial says: uneven costs fails in most draws, Iraq (the attacker) being the weaker
    uc = claims["uneven-costs"]
    assert uc["draws"] > 0 and uc["low"] <= uc["share"] <= uc["high"]
    assert uc["share"] < 0.5 and uc["high"] < 1.0
    _cli(["report", "last", "-o", "war.html"], capsys)
    page = (tmp_path / "war.html").read_text()
    assert 'id="claims"' in page
    _cli(["report", j, "-n", "20", "-o", "jcpoa.html"], capsys)
    page = (tmp_path / "jcpoa.html").read_text()
    assert '<section id="war">' not in page and 'id="war-absent"' in page
    _cli(["runs", "export", "last", "--format", "csv", "-o", "last.csv"], capsys)
    assert (tmp_path / "last.csv").read_text().startswith("run_id,")


def test_claims_page_describes_every_claim_test() -> None:
    """docs/claims.md names each of the seven claims with the mixes it compares and the one
    change between them as the code has them, and its `claims:` example is a valid section
    whose ids the check knows."""
    import yaml

    from detente.analysis.claims import TESTS, mix_difference
    from detente.scenario.war_schema import ClaimSpec

    text = (DOCS / "claims.md").read_text()
    rows = {
        m.group(1): line for line in text.splitlines() if (m := re.match(r"\| `([a-z-]+)`: ", line))
    }
    assert set(rows) == set(TESTS)
    for cid, t in TESTS.items():
        row = rows[cid]
        assert f"`{t.a}`" in row
        if t.b is not None and not t.b_params:
            assert f"`{t.a}` vs `{t.b}`" in row
            for change in mix_difference(t.a, t.b):
                assert f"`{change}`" in row, (cid, change)
        for name, _ in t.b_params:
            assert f"`{name}`" in row and f"`{name} = 1`" in row
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    examples = [c for b in blocks for c in (yaml.safe_load(b) or {}).get("claims", [])]
    assert examples
    for c in examples:
        assert ClaimSpec.model_validate(c).id in TESTS


@pytest.mark.slow
def test_site_builds_offline(tmp_path: Path) -> None:
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent))
    if mkdocs is None or importlib.util.find_spec("material") is None:
        pytest.skip("mkdocs-material is not installed (the [docs] extra)")
    gen = _gen()
    (gen.REF).mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_docs.py"), "--no-gallery"],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    if not (DOCS / "gallery.md").exists():
        (DOCS / "gallery.md").write_text("# Gallery\n\n(generated by make docs)\n")
    res = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": str(Path(sys.executable).parent)},
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert (tmp_path / "site" / "reference" / "scenario" / "index.html").exists()
    assert (tmp_path / "site" / "tutorial" / "index.html").exists()
