"""The fusion zoo: one module per method, registered by name.

``list_fusions()`` and ``create_fusion(name, ...)`` are the only ways in. Adding a method is
adding one module to this package: every module here is imported, so it registers itself.
"""

import importlib
import pkgutil
from typing import List, Mapping

from ..encoders import EncoderSpec
from ..registry import Registry
from .base import STAGES, FusionModel, FusionOutput

FUSIONS: Registry[type] = Registry("fusion method")
register_fusion = FUSIONS.register


def list_fusions() -> List[str]:
    """Every registered method, ordered by where it fuses: none, input, intermediate, decision."""
    names = FUSIONS.names()
    return sorted(names, key=lambda name: (STAGES.index(FUSIONS.get(name).stage), name))


def create_fusion(name: str, encoders: Mapping[str, EncoderSpec], num_classes: int, **options) -> FusionModel:
    """Build fusion method ``name`` over ``encoders`` (modality -> EncoderSpec).

    Args:
        name: a name from ``list_fusions()``.
        encoders: the task's encoder per modality.
        num_classes: output classes.
        **options: the method's own options (widths, rank, ``aux_heads``...).
    """
    return FUSIONS.get(name)(encoders=encoders, num_classes=num_classes, **options)


def fusion_class(name: str) -> type:
    return FUSIONS.get(name)


for _info in pkgutil.iter_modules(__path__):
    if _info.name not in ("base", "layers"):
        importlib.import_module(f".{_info.name}", __name__)

__all__ = ["FUSIONS", "FusionModel", "FusionOutput", "create_fusion", "fusion_class", "list_fusions"]
