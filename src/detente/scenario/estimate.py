"""A number with its uncertainty and source: the unit every scenario value is made of.

Kept apart from schema.py so that the war and interventions schemas, which schema.py imports, can
use it too.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
ShortText = Annotated[str, Field(max_length=500)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Estimate(_Strict):
    """A number with its uncertainty and source.

    Uncertainty, for Monte Carlo: ``sd`` gives a normal distribution around ``value``, truncated to
    the allowed range (the issue's scale, [0, 1] for a salience, >= 0 for a capability, and
    ``low``/``high`` when given too); ``low``/``high`` alone give a uniform distribution, or a
    triangular one with its mode at ``value`` when ``dist: triangular``.
    """

    value: FiniteFloat
    sd: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    low: FiniteFloat | None = None
    high: FiniteFloat | None = None
    dist: Literal["normal", "uniform", "triangular"] | None = None
    source: ShortText | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_number(cls, data: Any) -> Any:
        # A bare number is an Estimate without uncertainty.
        if isinstance(data, int | float) and not isinstance(data, bool):
            return {"value": data}
        if not isinstance(data, dict):
            raise ValueError(
                "must be a number, or a mapping with a value (and optionally sd, low/high, source)"
            )
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Estimate:
        if (self.low is None) != (self.high is None):
            raise ValueError("low and high must be given together")
        if self.low is not None and self.high is not None:
            if self.low > self.high:
                raise ValueError(f"low ({self.low:g}) must not exceed high ({self.high:g})")
            if not self.low <= self.value <= self.high:
                raise ValueError(
                    f"value ({self.value:g}) must lie within [low, high] = "
                    f"[{self.low:g}, {self.high:g}]"
                )
        if self.dist == "normal" and self.sd is None:
            raise ValueError("dist 'normal' needs an sd")
        if self.dist in ("uniform", "triangular") and self.low is None:
            raise ValueError(f"dist {self.dist!r} needs low and high")
        return self

    @property
    def uncertain(self) -> bool:
        return bool(self.sd) or (
            self.low is not None and self.high is not None and self.low < self.high
        )

    @property
    def distribution(self) -> str:
        """The distribution Monte Carlo draws from: none, normal, uniform or triangular."""
        if not self.uncertain:
            return "none"
        if self.dist is not None:
            return self.dist
        return "normal" if self.sd else "uniform"
