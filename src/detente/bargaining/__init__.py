"""Static bargaining models over arrays (draws x actors x issues), one registry."""

from detente.bargaining.inputs import BargainingInput, ModelResult, make_input
from detente.bargaining.registry import Param, get_model, list_models, register_model

__all__ = [
    "BargainingInput",
    "ModelResult",
    "Param",
    "get_model",
    "list_models",
    "make_input",
    "register_model",
]
