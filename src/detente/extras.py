"""Optional dependencies: one clear line naming the extra to install when one is missing.

The core install (numpy, pandas, pydantic, pyyaml, typer, rich, platformdirs, defusedxml)
forecasts with every model. Everything else is an extra:

- ``fast``: numba (compiled kernels for large batches and Monte Carlo)
- ``analysis``: scipy, SALib, matplotlib, xarray, scoringrules, jinja2 (Monte Carlo, sensitivity,
  war model, backtests, plots, reports)
- ``web``: fastapi, uvicorn, jinja2, python-multipart (``detente serve``)
- ``cluster``: dask[distributed] (``--cluster``)
- ``parquet``: pyarrow (``detente runs export --format parquet``)
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from detente.scenario.errors import DetenteError

# module -> the extra that installs it
EXTRA_OF = {
    "numba": "fast",
    "scipy": "analysis",
    "SALib": "analysis",
    "matplotlib": "analysis",
    "xarray": "analysis",
    "scoringrules": "analysis",
    "jinja2": "analysis",
    "fastapi": "web",
    "uvicorn": "web",
    "multipart": "web",
    "distributed": "cluster",
    "dask": "cluster",
    "pyarrow": "parquet",
}


class MissingExtra(DetenteError):
    """A feature needs a package that an optional extra installs (exit code 2, one line)."""

    def __init__(self, module: str, what: str, extra: str | None = None) -> None:
        self.module = module
        self.extra = extra or EXTRA_OF.get(module.split(".")[0], "all")
        super().__init__(
            f"{what} needs the {module.split('.')[0]} package: pip install 'detente[{self.extra}]'"
        )


def available(module: str) -> bool:
    """Is ``module`` importable (without importing it)?"""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require(module: str, what: str, extra: str | None = None) -> ModuleType:
    """Import ``module``, or raise :class:`MissingExtra` naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if exc.name is not None and not module.startswith(exc.name.split(".")[0]):
            raise
        raise MissingExtra(module, what, extra) from None


require_extra = require


def require_all(modules: list[str], what: str, extra: str | None = None) -> None:
    """:func:`require` each of ``modules``."""
    for m in modules:
        require(m, what, extra)
