"""The claims check: statements over the war model's outputs, checked under the default
assumptions and across draws from the parameters' uncertainty.

A claim is written in a small language (tokenised and parsed here; never evaluated as Python)::

    p_talks(credible-pressure, 12) > p_talks(appeasement, 12)
    cost_A(status-quo) < cost_D(status-quo) and not p_talks(status-quo, 12) > 0.5

- numbers, metric calls ``name(policy[, month])``, ``+ - * /``, parentheses;
- comparisons ``< <= > >= == !=``; ``and``, ``or``, ``not``. A policy name may contain ``-``:
  write a minus sign with spaces around it (``a - b``).

Metrics (per draw, the mean over its paths unless said otherwise):

===================  ==========================================================================
p_talks(P, t)        share of paths where talks started by month t
p_end(P, t)          share of paths where the war ended (talks or a side's collapse) by month t
mean_talks(P)        mean month talks start, paths without talks counted as months + 1
terms(P)             mean terms at settlement (attacker's share of the contested territory)
p_win_A(P)           share of paths the attacker wins outright (p_win_D: the defender)
cost_A(P)            mean weighted cost (prize units) until the war ends (cost_D: the defender)
casualties_A(P)      mean casualties, thousands (casualties_D), money_A(P) / money_D(P): bn USD
revenue_A(P)         mean monthly oil revenue of the attacker (bn USD)
gap(P, t)            mean gap between the sides' expected control at the horizon, month t
gap_start(P)         the same at month 1; gap_at_talks(P): when talks started (paths with talks)
credibility(P, t)    mean credibility of threats (Beta mean) at month t
resolve(P, t)        attacker's mean belief that the backers hold, month t
capacity_A(P, t)     mean capacity at the end of month t (capacity_D), control(P, t): control
===================  ==========================================================================

Draws: every war parameter whose Estimate is uncertain is drawn (sd -> truncated normal,
low/high -> uniform) ``draws`` times; each draw is simulated on ``paths`` paths, all draws at
once (an array of draws x paths), with the same random numbers for every policy mix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from detente.scenario.errors import DetenteError
from detente.scenario.war_schema import ClaimSpec, WarSpec


class ClaimError(DetenteError):
    """A claim statement that cannot be parsed or names an unknown metric or policy."""


# name -> (needs a month argument, needs the traces)
METRICS: dict[str, tuple[bool, bool]] = {
    "p_talks": (True, False),
    "p_end": (True, False),
    "mean_talks": (False, False),
    "terms": (False, False),
    "p_win_A": (False, False),
    "p_win_D": (False, False),
    "cost_A": (False, False),
    "cost_D": (False, False),
    "casualties_A": (False, False),
    "casualties_D": (False, False),
    "money_A": (False, False),
    "money_D": (False, False),
    "revenue_A": (False, False),
    "gap_start": (False, False),
    "gap_at_talks": (False, False),
    "gap": (True, True),
    "credibility": (True, True),
    "resolve": (True, True),
    "capacity_A": (True, True),
    "capacity_D": (True, True),
    "control": (True, True),
}
MAX_STATEMENT = 2_000
MAX_NODES = 500

_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)"
    r"|(?P<op><=|>=|==|!=|[<>+\-*/(),]))"
)


@dataclass(frozen=True)
class Node:
    """A node of a parsed statement: kind is num, call, bin (+-*/), cmp, and, or, not, neg."""

    kind: str
    value: Any = None
    args: tuple[Any, ...] = ()


def tokenize(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, position) tokens; an unknown character is a ClaimError naming its place."""
    if len(text) > MAX_STATEMENT:
        raise ClaimError(f"a claim statement may have at most {MAX_STATEMENT} characters")
    out: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            rest = text[pos:].lstrip()
            where = len(text) - len(rest) + 1
            raise ClaimError(f"claim {text!r}: unexpected {rest[:1]!r} at character {where}")
        kind = m.lastgroup or "op"
        out.append((kind, m.group(kind), m.start(kind)))
        pos = m.end()
    return out


MAX_DEPTH = 50  # brackets, '-' and 'not' nested deeper than this are refused (no RecursionError)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.nodes = 0
        self.depth = 0

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"brackets, '-' and 'not' nest more than {MAX_DEPTH} deep")

    def error(self, what: str) -> ClaimError:
        if self.i < len(self.tokens):
            _, tok, pos = self.tokens[self.i]
            return ClaimError(f"claim {self._shown()}: {what} at {tok!r} (character {pos + 1})")
        return ClaimError(f"claim {self._shown()}: {what} at the end")

    def _shown(self) -> str:
        text = repr(self.text)
        return text if len(text) <= 80 else text[:77] + "..."

    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        if self.i >= len(self.tokens):
            raise self.error("unexpected end")
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def node(self, kind: str, value: Any = None, args: tuple[Any, ...] = ()) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ClaimError(f"claim {self.text!r}: too long (at most {MAX_NODES} terms)")
        return Node(kind, value, args)

    def parse(self) -> Node:
        if not self.tokens:
            raise ClaimError("a claim statement is empty")
        tree = self.or_()
        if self.i != len(self.tokens):
            raise self.error("unexpected text")
        return tree

    def or_(self) -> Node:
        left = self.and_()
        while self.peek() == "or":
            self.take()
            left = self.node("or", args=(left, self.and_()))
        return left

    def and_(self) -> Node:
        left = self.not_()
        while self.peek() == "and":
            self.take()
            left = self.node("and", args=(left, self.not_()))
        return left

    def not_(self) -> Node:
        if self.peek() == "not":
            self.take()
            self.deeper()
            inner = self.not_()
            self.depth -= 1
            return self.node("not", args=(inner,))
        return self.cmp()

    def cmp(self) -> Node:
        left = self.sum()
        if self.peek() in ("<", "<=", ">", ">=", "==", "!="):
            op = self.take()[1]
            right = self.sum()
            if self.peek() in ("<", "<=", ">", ">=", "==", "!="):
                raise self.error("chained comparison (write 'a < b and b < c')")
            return self.node("cmp", op, (left, right))
        return left

    def sum(self) -> Node:
        left = self.prod()
        while self.peek() in ("+", "-"):
            op = self.take()[1]
            left = self.node("bin", op, (left, self.prod()))
        return left

    def prod(self) -> Node:
        left = self.unary()
        while self.peek() in ("*", "/"):
            op = self.take()[1]
            left = self.node("bin", op, (left, self.unary()))
        return left

    def unary(self) -> Node:
        if self.peek() == "-":
            self.take()
            self.deeper()
            inner = self.unary()
            self.depth -= 1
            return self.node("neg", args=(inner,))
        return self.atom()

    def atom(self) -> Node:
        kind, tok, _ = self.take()
        if kind == "num":
            return self.node("num", float(tok))
        if tok == "(":
            self.deeper()
            inner = self.or_()
            self.depth -= 1
            if self.peek() != ")":
                raise self.error("expected ')'")
            self.take()
            return inner
        if kind == "name" and tok not in ("and", "or", "not"):
            if tok not in METRICS:
                self.i -= 1
                raise self.error(f"unknown metric (the metrics are: {', '.join(METRICS)})")
            if self.peek() != "(":
                raise self.error(f"expected '(' after {tok}")
            self.take()
            args: list[str] = []
            while True:
                akind, atok, _ = self.take()
                if akind not in ("name", "num"):
                    self.i -= 1
                    raise self.error("expected a policy name or a month")
                args.append(atok)
                sep = self.take()[1]
                if sep == ")":
                    break
                if sep != ",":
                    self.i -= 1
                    raise self.error("expected ',' or ')'")
            needs_month = METRICS[tok][0]
            if len(args) != (2 if needs_month else 1):
                self.i -= 1
                form = f"{tok}(POLICY, MONTH)" if needs_month else f"{tok}(POLICY)"
                raise self.error(f"write {form}")
            month = None
            if needs_month:
                if not re.fullmatch(r"\d+", args[1]) or int(args[1]) < 1:
                    raise ClaimError(
                        f"claim {self.text!r}: {tok}(...): the month must be a whole number >= 1"
                    )
                month = int(args[1])
            return self.node("call", tok, (args[0], month))
        self.i -= 1
        raise self.error("expected a number, a metric or '('")


def parse(text: str) -> Node:
    """Parse a claim statement into a tree (a ClaimError names what is wrong and where)."""
    return _Parser(text).parse()


def calls(tree: Node) -> list[tuple[str, str, int | None]]:
    """Every metric call (metric, policy, month) in the tree."""
    if tree.kind == "call":
        return [(tree.value, tree.args[0], tree.args[1])]
    out: list[tuple[str, str, int | None]] = []
    for arg in tree.args:
        if isinstance(arg, Node):
            out += calls(arg)
    return out


def evaluate(tree: Node, values: dict[tuple[str, str, int | None], np.ndarray]) -> np.ndarray:
    """Evaluate the tree on per-draw metric arrays; comparisons give booleans (NaN: False)."""
    k = tree.kind
    if k == "num":
        return np.asarray(tree.value, dtype=float)
    if k == "call":
        return values[(tree.value, tree.args[0], tree.args[1])]
    a = [evaluate(x, values) for x in tree.args]
    with np.errstate(divide="ignore", invalid="ignore"):
        if k == "neg":
            return -a[0]
        if k == "not":
            return ~a[0].astype(bool)
        if k == "and":
            return a[0].astype(bool) & a[1].astype(bool)
        if k == "or":
            return a[0].astype(bool) | a[1].astype(bool)
        if k == "bin":
            op = tree.value
            return {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}[op](*a)
        if k == "cmp":
            op = tree.value
            fn = {
                "<": np.less,
                "<=": np.less_equal,
                ">": np.greater,
                ">=": np.greater_equal,
                "==": np.equal,
                "!=": np.not_equal,
            }[op]
            return fn(*a)
    raise ClaimError(f"cannot evaluate a {k!r} node")


def metric_values(res: Any, metric: str, month: int | None, draws: int) -> np.ndarray:
    """A metric of one policy's WarResult per draw (paths are grouped draw by draw)."""
    from detente.war.model import A_WINS, D_WINS

    n = res.paths // draws

    def per_draw(a: np.ndarray) -> np.ndarray:
        a = np.asarray(a, dtype=float).reshape(draws, n)
        with np.errstate(invalid="ignore"), _quiet():
            return np.nanmean(a, axis=1)

    if month is not None and month > res.months:
        raise ClaimError(f"{metric}(..., {month}): the month is beyond the {res.months} simulated")
    if metric == "p_talks":
        return per_draw((res.talks_month > 0) & (res.talks_month <= month))
    if metric == "p_end":
        return per_draw((res.end_month > 0) & (res.end_month <= month))
    if metric == "mean_talks":
        return per_draw(np.where(res.talks_month > 0, res.talks_month, res.months + 1))
    if metric == "p_win_A":
        return per_draw(res.outcome == A_WINS)
    if metric == "p_win_D":
        return per_draw(res.outcome == D_WINS)
    if metric in (
        "terms",
        "cost_A",
        "cost_D",
        "casualties_A",
        "casualties_D",
        "money_A",
        "money_D",
        "revenue_A",
        "gap_start",
        "gap_at_talks",
    ):
        return per_draw(getattr(res, metric))
    return per_draw(res.trace(metric, month))


class _quiet:
    # nanmean of an all-NaN row warns; the NaN it returns is the honest answer (no such paths).
    def __enter__(self) -> None:
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc: object) -> None:
        self._w.__exit__(*exc)


@dataclass
class ClaimResult:
    """One claim's verdict: under the default assumptions, and the share of draws it holds in."""

    id: str
    text: str
    statement: str
    holds_default: bool
    share_draws: float | None
    draws: int
    values_default: dict[str, float] = field(default_factory=dict)
    source: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "statement": self.statement,
            "holds_default": self.holds_default,
            "share_draws": self.share_draws,
            "draws": self.draws,
            "values_default": self.values_default,
            "source": self.source,
        }


def article_claims() -> list[ClaimSpec]:
    """The article's seven claims as encoded in the embedded ukraine-2025 scenario."""
    from detente.scenario.io import load

    return list(load("ukraine-2025").claims)


def check_claims(
    scenario: Any,
    claims: list[ClaimSpec] | None = None,
    draws: int = 200,
    paths: int = 200,
    seed: int = 0,
    default_paths: int = 4_000,
    months: int | None = None,
) -> list[ClaimResult]:
    """Check each claim under the default assumptions (``default_paths`` paths) and in each of
    ``draws`` draws from the war parameters' uncertainty (``paths`` paths per draw).

    Draws and paths run together: one simulation per policy mix of draws x paths paths, every mix
    with the same parameter draws and random numbers (common random numbers), so a comparison of
    two mixes within a draw is not blurred by simulation noise.
    """
    from detente.war import simulate, war_spec
    from detente.war.params import draw_at_war
    from detente.war.policies import policy_names

    spec: WarSpec | None = war_spec(scenario)
    if claims is None:
        claims = list(getattr(scenario, "claims", []) or []) or article_claims()
    if not claims:
        raise ClaimError("no claims to check")
    if draws < 1 or paths < 1 or default_paths < 1:
        raise ClaimError("--draws and --paths must be at least 1")
    if draws * paths > 2_000_000:
        raise ClaimError("draws x paths must be at most 2,000,000")
    known = policy_names(spec)
    trees: list[Node] = []
    needed: dict[str, set[tuple[str, int | None]]] = {}
    horizon = months or max([c.months or 0 for c in claims] + [60])
    for claim in claims:
        try:
            tree = parse(claim.statement)
        except ClaimError as exc:
            raise ClaimError(f"claims.{claim.id}: {exc}") from None
        for metric, policy, month in calls(tree):
            if policy not in known:
                raise ClaimError(
                    f"claims.{claim.id}: unknown policy mix {policy!r}; the mixes are: "
                    + ", ".join(known)
                )
            if month is not None:
                horizon = max(horizon, month)
            needed.setdefault(policy, set()).add((metric, month))
        trees.append(tree)

    drawn, accepted = draw_at_war(spec, draws, seed)
    tiled = {name: np.repeat(vals, paths) for name, vals in drawn.items()}
    default_vals: dict[tuple[str, str, int | None], np.ndarray] = {}
    draw_vals: dict[tuple[str, str, int | None], np.ndarray] = {}
    for policy, items in needed.items():
        # Trace only the quantities and months the claims read (memory: draws x paths each).
        keys = tuple(sorted({m for m, _ in items if METRICS[m][1]}))
        months_traced = tuple(sorted({t for m, t in items if METRICS[m][1] and t is not None}))
        res_default = simulate(
            spec,
            policy,
            horizon,
            default_paths,
            seed,
            trace=keys,
            trace_months=months_traced or None,
        )
        res_draws = simulate(
            spec,
            policy,
            horizon,
            draws * paths,
            seed,
            params=tiled,
            trace=keys,
            trace_months=months_traced or None,
        )
        for metric, month in items:
            default_vals[(metric, policy, month)] = metric_values(res_default, metric, month, 1)
            draw_vals[(metric, policy, month)] = metric_values(res_draws, metric, month, draws)
        del res_default, res_draws

    out: list[ClaimResult] = []
    for claim, tree in zip(claims, trees, strict=True):
        holds = bool(np.all(evaluate(tree, default_vals)))
        verdicts = np.broadcast_to(evaluate(tree, draw_vals), (draws,)).astype(bool)
        shown = {
            f"{m}({p}{'' if t is None else f', {t}'})": float(default_vals[(m, p, t)][0])
            for m, p, t in dict.fromkeys(calls(tree))
        }
        out.append(
            ClaimResult(
                id=claim.id,
                text=claim.text,
                statement=claim.statement,
                holds_default=holds,
                share_draws=float(verdicts.mean()) if drawn else None,
                draws=draws if drawn else 0,
                values_default=shown,
                source=claim.source,
            )
        )
    return out
