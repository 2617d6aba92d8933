"""The one interface every result object shares (forecast, Monte Carlo, war, claims, backtest, ...).

A result implements ``to_dict()`` (plain JSON values) and ``to_frame()`` (a tidy table); this base
class derives ``to_json()`` and the notebook view from them. Results with dimensions (draw, round,
actor, issue, month, path) override ``to_xarray()``; results that can be drawn override ``plot()``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas, xarray and matplotlib load only when a result is viewed
    import pandas as pd
    import xarray as xr
    from matplotlib.figure import Figure


class Result:
    """Mixin: ``to_json`` and ``_repr_html_`` from ``to_dict`` and ``to_frame``."""

    def to_dict(self) -> dict[str, Any]:
        """The whole result as plain JSON values (dicts, lists, str, numbers, bool, None)."""
        raise NotImplementedError

    def to_frame(self) -> pd.DataFrame:
        """A tidy table of the result: one row per observation."""
        raise NotImplementedError

    def to_json(self, indent: int | None = None) -> str:
        """``to_dict()`` as JSON text (NaN and infinities become null)."""
        from detente.jsonable import to_jsonable

        return json.dumps(to_jsonable(self.to_dict()), indent=indent, allow_nan=False)

    def to_xarray(self) -> xr.Dataset:
        """The result's arrays with named dimensions; only results with dimensions have one."""
        raise TypeError(f"{type(self).__name__} has no dimensions to put in an xarray Dataset")

    def plot(self, ax: Any = None) -> Figure:
        """A matplotlib figure of the result."""
        raise TypeError(f"{type(self).__name__} has no plot")

    def _repr_html_(self) -> str:
        frame = self.to_frame()
        return f"<b>{type(self).__name__}</b>" + frame.to_html(
            max_rows=60, float_format=lambda v: f"{v:.3f}"
        )
