"""One registry of bargaining models: name, citation, parameters with declared constraints.

Parameters are checked in one place with one form of error message, in the manner of
scikit-learn's ``_param_validation``: "The 'q' parameter of eum must be in [0, 1]. Got 1.5 instead."
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from detente.bargaining.inputs import BargainingInput, ModelResult

ModelFn = Callable[..., ModelResult]


class ParameterError(ValueError):
    """A model parameter outside its declared constraint."""


@dataclass(frozen=True)
class Param:
    """A model parameter: its default, its constraint and what it means.

    kind: "float", "int", "bool" or "choice". For numbers, ``low``/``high`` bound the value
    (inclusive); for "choice", ``choices`` lists the allowed values.
    """

    name: str
    default: Any
    doc: str
    kind: str = "float"
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()

    def rule(self) -> str:
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "bool":
            return "a boolean"
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        return f"{'an integer' if self.kind == 'int' else 'a number'} in [{lo}, {hi}]"

    def check(self, model: str, value: Any) -> Any:
        ok: bool
        if self.kind == "choice":
            ok = value in self.choices
        elif self.kind == "bool":
            ok = isinstance(value, bool)
        else:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if ok and self.kind == "int":
                ok = float(value).is_integer()
                value = int(value) if ok else value
            if ok:
                v = float(value)
                ok = v == v and (self.low is None or v >= self.low)
                ok = ok and (self.high is None or v <= self.high)
        if not ok:
            raise ParameterError(
                f"The {self.name!r} parameter of {model} must be {self.rule()}. "
                f"Got {value!r} instead."
            )
        return value


@dataclass(frozen=True)
class ModelSpec:
    """A registered model."""

    name: str
    fn: ModelFn
    title: str
    citation: str
    params: tuple[Param, ...] = ()
    multi_issue: bool = True  # False: the model needs K >= 2 (exchange); True works for any K
    dynamic: bool = False  # True: it returns a trajectory
    tags: tuple[str, ...] = field(default_factory=tuple)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def resolve(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """Defaults overridden by ``overrides``, each checked against its constraint."""
        overrides = dict(overrides or {})
        known = {p.name: p for p in self.params}
        unknown = sorted(set(overrides) - set(known))
        if unknown:
            raise ParameterError(
                f"{self.name} has no parameter {unknown[0]!r}; "
                f"its parameters are: {', '.join(known) or '(none)'}."
            )
        out = self.defaults()
        for name, value in overrides.items():
            out[name] = known[name].check(self.name, value)
        return out

    def __call__(self, inp: BargainingInput, **params: Any) -> ModelResult:
        resolved = self.resolve(params)
        result = self.fn(inp, **resolved)
        result.params = resolved
        return result


_REGISTRY: dict[str, ModelSpec] = {}


def register_model(
    name: str,
    *,
    title: str,
    citation: str,
    params: Sequence[Param] = (),
    dynamic: bool = False,
    multi_issue: bool = True,
    tags: Sequence[str] = (),
) -> Callable[[ModelFn], ModelFn]:
    """Decorator: register ``fn`` as the model ``name``."""

    def deco(fn: ModelFn) -> ModelFn:
        _REGISTRY[name] = ModelSpec(
            name, fn, title, citation, tuple(params), multi_issue, dynamic, tuple(tags)
        )
        return fn

    return deco


def _load_builtin_models() -> None:
    # Importing the modules registers their models, in the order detente shows them.
    from detente.bargaining import (  # noqa: F401
        compromise,
        eum,
        exchange,
        kalai_smorodinsky,
        median,
        nash,
        procedural,
        smp,
    )


def get_model(name: str) -> ModelSpec:
    """The registered model ``name``; a clear error lists the known names."""
    _load_builtin_models()
    if name not in _REGISTRY:
        raise ParameterError(
            f"Unknown model {name!r}; known models: {', '.join(sorted(_REGISTRY))}."
        )
    return _REGISTRY[name]


def list_models() -> list[ModelSpec]:
    """All registered models in registration order."""
    _load_builtin_models()
    order = {name: i for i, name in enumerate(_DISPLAY_ORDER)}
    return sorted(_REGISTRY.values(), key=lambda m: order.get(m.name, len(order)))


# Simple to elaborate: one-shot models first, then the dynamic ones.
_DISPLAY_ORDER = (
    "median",
    "compromise",
    "nash",
    "kalai_smorodinsky",
    "procedural",
    "eum",
    "smp",
    "exchange",
)
