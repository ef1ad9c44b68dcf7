"""Raw user files -> the canonical signals the models are trained on."""

from .audio import load_audio
from .image import load_image

__all__ = ["load_audio", "load_image"]
