"""The claims language (parsed, never evaluated as Python) and the claims check."""

from __future__ import annotations

import numpy as np
import pytest

from detente.analysis.claims import ClaimError, calls, check_claims, evaluate, parse
from detente.scenario.io import load, loads, to_yaml
from detente.scenario.war_schema import ClaimSpec

UKR = load("ukraine-2025")


def _eval(text: str, values: dict | None = None) -> np.ndarray:
    return evaluate(parse(text), values or {})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 < 2", True),
        ("2 <= 1", False),
        ("1 + 2 * 3 == 7", True),
        ("(1 + 2) * 3 == 9", True),
        ("-1 < 0 and not 2 < 1", True),
        ("1 > 2 or 3 > 2", True),
        ("1 / 0 > 5", True),
        ("0 / 0 == 0 / 0", False),
        ("1e-3 < .01", True),
        ("4 - 1 == 3", True),
    ],
)
def test_arithmetic_and_logic(text: str, expected: bool) -> None:
    assert bool(_eval(text)) is expected


def test_metric_calls_with_hyphenated_policies() -> None:
    tree = parse("p_talks(credible-pressure, 12) - p_talks(status-quo, 12) > 0.1")
    assert calls(tree) == [("p_talks", "credible-pressure", 12), ("p_talks", "status-quo", 12)]
    values = {
        ("p_talks", "credible-pressure", 12): np.array([0.5, 0.2]),
        ("p_talks", "status-quo", 12): np.array([0.3, 0.15]),
    }
    np.testing.assert_array_equal(evaluate(tree, values), [True, False])


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("__import__('os').system('true')", "unexpected"),
        ("open(status-quo)", "unknown metric"),
        ("p_talks(status-quo) > 0", "p_talks(POLICY, MONTH)"),
        ("cost_A(status-quo, 3) > 0", "cost_A(POLICY)"),
        ("p_talks(status-quo, 1.5) > 0", "whole number"),
        ("1 < 2 < 3", "chained"),
        ("(1 < 2", "expected ')'"),
        ("", "empty"),
        ("1 < 2 ;", "unexpected"),
        ("1 <", "unexpected end"),
    ],
)
def test_bad_statements_are_claim_errors(text: str, needle: str) -> None:
    with pytest.raises(ClaimError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        parse(text)


def test_statement_size_is_bounded() -> None:
    with pytest.raises(ClaimError):
        parse(" + ".join(["1"] * 600) + " > 0")


def test_check_claims_article_claims_small_and_reproducible() -> None:
    a = check_claims(UKR, draws=8, paths=60, seed=3, default_paths=300, months=36)
    b = check_claims(UKR, draws=8, paths=60, seed=3, default_paths=300, months=36)
    assert [c.id for c in a] == [c.id for c in UKR.claims] and len(a) == 7
    for x, y in zip(a, b, strict=True):
        assert x.holds_default == y.holds_default and x.share_draws == y.share_draws
        assert x.share_draws is not None and 0.0 <= x.share_draws <= 1.0
        assert x.share_draws * 8 == pytest.approx(round(x.share_draws * 8))
        assert x.values_default


def test_opposite_claims_are_checked_just_as_easily() -> None:
    # A claim and its negation: under the defaults exactly one holds, and their shares of draws
    # add up to 1.
    claim = "mean_talks(credible-pressure) < mean_talks(status-quo)"
    both = [
        ClaimSpec(id="c", text="c", statement=claim),
        ClaimSpec(id="not-c", text="not c", statement=f"not ({claim})"),
    ]
    res = check_claims(UKR, both, draws=10, paths=50, seed=1, default_paths=300, months=36)
    assert res[0].holds_default != res[1].holds_default
    assert res[0].share_draws + res[1].share_draws == pytest.approx(1.0)


def test_user_claims_in_a_scenario_file_and_bad_policy() -> None:
    text = to_yaml(UKR)
    sc = loads(text, "ukr.yaml")
    mine = [ClaimSpec(id="mine", text="threats help", statement="p_talks(pressure, 6) >= 0")]
    res = check_claims(sc, mine, draws=4, paths=20, seed=0, default_paths=100, months=12)
    assert res[0].holds_default and res[0].share_draws == 1.0  # a probability is >= 0
    bad = [ClaimSpec(id="bad", text="x", statement="p_talks(surrender, 6) > 0")]
    with pytest.raises(ClaimError, match="unknown policy mix 'surrender'"):
        check_claims(sc, bad, draws=2, paths=5)
    # the YAML round trip keeps the war and claims sections
    assert sc.war == UKR.war and sc.claims == UKR.claims
