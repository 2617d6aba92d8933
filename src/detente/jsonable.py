"""One conversion of results to plain JSON values, shared by the CLI, the API and the run store."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np


def to_jsonable(value: Any) -> Any:
    """``value`` as dicts, lists, str, int, float, bool and None only.

    numpy arrays and scalars become lists and numbers; NaN and infinities become None (they are
    not JSON); paths become text. Anything else (a dataclass, a model's log object) gives its
    ``to_json()`` or ``to_dict()`` view, else its fields, else its text, so no result is lost to an
    unexpected type.
    """
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    for method in ("to_dict", "to_json"):
        if callable(getattr(value, method, None)):
            return to_jsonable(getattr(value, method)())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(dataclasses.asdict(value))
    return str(value)
