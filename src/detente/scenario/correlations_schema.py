"""Correlations between a scenario's uncertain values (the ``correlations:`` section).

A block names two or more uncertain inputs, by the names Monte Carlo gives them
(``ACTOR.position.ISSUE``, ``ACTOR.salience.ISSUE``, ``ACTOR.capability``,
``status-quo.reference.ISSUE``), and states their rank (Spearman) correlations: one ``rho`` for
every pair (a named group, e.g. a bloc whose members' positions move together) or a full
``matrix``. Monte Carlo draws a block through a Gaussian copula that keeps each input's own
distribution (see :mod:`detente.analysis.uncertainty`)::

    correlations:
      - name: western-bloc
        inputs: [USA.position.security, EU.position.security]
        rho: 0.6
        source: "judgment: both follow NATO's line"
      - inputs: [RUS.capability, RUS.salience.territory]
        matrix: [[1, 0.4], [0.4, 1]]

A stated Spearman correlation ``rho_s`` becomes the Gaussian copula's correlation
``r = 2 sin(pi rho_s / 6)`` (Pearson 1907; Kruskal 1958, JASA 53:814-861), the exact relation for a
bivariate normal, so the drawn values have the stated rank correlations whatever their marginals.
The matrix of the ``r`` must be positive semi-definite.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from detente.scenario.errors import ScenarioError

if TYPE_CHECKING:  # numpy loads when a block is checked or drawn, not when detente starts
    import numpy as np

InputName = Annotated[
    str, Field(min_length=3, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
]
Rho = Annotated[float, Field(ge=-1.0, le=1.0, allow_inf_nan=False)]


class CorrelationSpec(BaseModel):
    """One block of correlated inputs: ``rho`` for every pair, or a ``matrix`` (rank
    correlations)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(max_length=200)] | None = None
    inputs: list[InputName] = Field(min_length=2, max_length=500)
    rho: Rho | None = None
    matrix: list[list[Rho]] | None = None
    source: Annotated[str, Field(max_length=500)] | None = None

    @model_validator(mode="after")
    def _shape(self) -> CorrelationSpec:
        if (self.rho is None) == (self.matrix is None):
            raise ValueError("give either rho (one correlation for every pair) or a matrix")
        if len(set(self.inputs)) != len(self.inputs):
            raise ValueError("an input appears twice in the block")
        n = len(self.inputs)
        if self.matrix is not None:
            m = self.matrix
            if len(m) != n or any(len(row) != n for row in m):
                raise ValueError(f"the matrix must be {n} x {n}, one row and column per input")
            for i in range(n):
                if m[i][i] != 1.0:
                    raise ValueError(f"the matrix's diagonal must be 1 (row {i + 1} has {m[i][i]})")
                for j in range(i):
                    if m[i][j] != m[j][i]:
                        raise ValueError(
                            f"the matrix must be symmetric (rows {j + 1} and {i + 1} differ)"
                        )
        import numpy as np

        eig = float(np.linalg.eigvalsh(self.gaussian()).min())
        if eig < -1e-9:
            raise ValueError(
                "these correlations cannot hold together (the copula's correlation matrix is not "
                f"positive semi-definite; smallest eigenvalue {eig:.3g})"
            )
        return self

    def spearman(self) -> np.ndarray:
        """The stated rank correlations as an (n, n) matrix."""
        import numpy as np

        n = len(self.inputs)
        if self.matrix is not None:
            return np.array(self.matrix, dtype=float)
        out = np.full((n, n), float(self.rho or 0.0))
        np.fill_diagonal(out, 1.0)
        return out

    def gaussian(self) -> np.ndarray:
        """The Gaussian copula's correlation matrix, ``2 sin(pi rho_s / 6)`` entrywise."""
        import numpy as np

        r = 2.0 * np.sin(math.pi * self.spearman() / 6.0)
        np.fill_diagonal(r, 1.0)
        return r


def input_names(scenario: object) -> set[str]:
    """The names of a scenario's uncertain inputs (those a correlation block may name)."""
    names: set[str] = set()
    issues = scenario.issues  # type: ignore[attr-defined]
    for actor in scenario.actors:  # type: ignore[attr-defined]
        for issue in issues:
            if actor.positions[issue.id].uncertain:
                names.add(f"{actor.id}.position.{issue.id}")
            if actor.saliences[issue.id].uncertain:
                names.add(f"{actor.id}.salience.{issue.id}")
        if actor.capability.uncertain:
            names.add(f"{actor.id}.capability")
    for issue in issues:
        if issue.reference is not None and issue.reference.uncertain:
            names.add(f"status-quo.reference.{issue.id}")
    return names


def check_correlations(scenario: object, file: str = "") -> None:
    """Each input a block names is an uncertain input of the scenario, and in one block only."""
    blocks = getattr(scenario, "correlations", None) or []
    if not blocks:
        return
    known = input_names(scenario)
    seen: dict[str, int] = {}
    for b, block in enumerate(blocks):
        for j, name in enumerate(block.inputs):
            where = f"correlations[{b}].inputs[{j}]"
            if name not in known:
                raise ScenarioError(
                    file,
                    where,
                    name,
                    "names no uncertain input of the scenario (write ACTOR.position.ISSUE, "
                    "ACTOR.salience.ISSUE, ACTOR.capability or status-quo.reference.ISSUE, of a "
                    "value stated with sd or low/high)",
                )
            if name in seen:
                raise ScenarioError(
                    file,
                    where,
                    name,
                    f"is already in correlations[{seen[name]}]; an input may be in one block only "
                    "(merge the blocks into one matrix)",
                )
            seen[name] = b


def prune_correlations(data: dict[str, Any]) -> None:
    """In scenario ``data`` (a mapping, as a what-if edits it), drop from each correlation block
    the inputs the scenario no longer has as uncertain inputs (a removed or merged actor, a value
    set to a certain number), keeping the others' correlations (the sub-matrix); a block left
    with fewer than two inputs goes. Invalid data is left as it is, for validation to report."""
    blocks = data.get("correlations") or []
    if not blocks:
        return
    from pydantic import ValidationError

    from detente.scenario.schema import Scenario

    try:
        known = input_names(Scenario.model_validate({**data, "correlations": []}))
    except (ValidationError, KeyError, TypeError):
        return
    out = []
    for block in blocks:
        spec = (
            block if isinstance(block, CorrelationSpec) else CorrelationSpec.model_validate(block)
        )
        idx = [j for j, name in enumerate(spec.inputs) if name in known]
        if len(idx) < 2:
            continue
        item = spec.model_dump(exclude_none=True)
        item["inputs"] = [spec.inputs[j] for j in idx]
        if spec.matrix is not None:
            item["matrix"] = [[spec.matrix[i][j] for j in idx] for i in idx]
        out.append(item)
    data["correlations"] = out
