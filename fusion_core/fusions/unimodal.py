"""Unimodal baseline: the yardstick every fusion method is measured against."""

from typing import Dict, Mapping

import torch

from ..encoders import EncoderSpec
from ..errors import InputError
from . import register_fusion
from .base import FusionModel, Lesson
from .layers import mlp


@register_fusion("unimodal")
class Unimodal(FusionModel):
    """One modality alone: its encoder and a classifier; without that modality it has no evidence."""

    stage = "none"
    equation = r"\hat{y} = \mathrm{softmax}\big(\mathrm{MLP}(\mathrm{enc}_m(x_m))\big)"
    helps = "The yardstick: a fusion method is only worth its cost if it beats the better of these."
    fails = "Blind to the other modality: when its own input is damaged or missing there is nothing to fall back on."
    lesson = Lesson("Occlude the image completely: the image-only baseline falls to chance while the fusion methods keep the audio's answer.", compare=("late", "concat"), corrupt=(("image", "occlusion", 1.0),))

    def __init__(
        self,
        encoders: Mapping[str, EncoderSpec],
        num_classes: int,
        modality: str = "",
        hidden: int = 128,
        dropout: float = 0.1,
        aux_heads: bool = False,
    ) -> None:
        if modality not in encoders:
            raise InputError(f"unimodal needs modality= one of: {', '.join(sorted(encoders))}")
        super().__init__({modality: encoders[modality]}, num_classes, aux_heads=aux_heads)
        self.modality = modality
        self.classifier = mlp(self.encoders[modality].dim, hidden, num_classes, dropout)

    def fuse(self, tokens: Dict[str, torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        if self.modality not in tokens:
            return mask.new_zeros(mask.shape[0], self.num_classes, dtype=torch.float32)
        return self.classifier(tokens[self.modality].mean(dim=1))
