"""Unimodal encoders, registered by name: model input -> tokens (B, N, dim)."""

from dataclasses import dataclass, field
from typing import Any, Dict, List

from ..registry import Registry
from .base import Encoder

ENCODERS: Registry[type] = Registry("encoder")
register_encoder = ENCODERS.register


@dataclass(frozen=True)
class EncoderSpec:
    """Which encoder a modality uses and how to build it (stored in model cards)."""

    name: str
    kwargs: Dict[str, Any] = field(default_factory=dict)


def list_encoders() -> List[str]:
    return ENCODERS.names()


def create_encoder(spec: EncoderSpec) -> Encoder:
    return ENCODERS.get(spec.name)(**spec.kwargs)


def create_tokenizer(spec: EncoderSpec, width: int) -> Encoder:
    """The shallow, low-level tokenizer of an encoder family (for input-level fusion)."""
    return ENCODERS.get(spec.name).tokenizer(token_width=width, **spec.kwargs)


from . import audio_cnn, image_cnn, scene_cnn, speech_embedding, text_gru  # noqa: E402,F401  (registers the encoders)

__all__ = ["ENCODERS", "Encoder", "EncoderSpec", "create_encoder", "create_tokenizer", "list_encoders"]
