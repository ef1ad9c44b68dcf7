"""Element-wise sum fusion."""

from typing import Dict, Mapping

import torch
from torch import nn

from ..encoders import EncoderSpec
from . import register_fusion
from .base import FusionModel, Lesson
from .layers import mlp, pooled, projections


@register_fusion("sum")
class SumFusion(FusionModel):
    """Project every modality into one width and add them element-wise; absent ones add nothing."""

    paper = "Baltrusaitis et al. 2019, https://arxiv.org/abs/1705.09406"
    equation = r"h = \mathrm{LayerNorm}\Big(\sum_{m\ \mathrm{present}} W_m f_m\Big)"
    helps = "Cheap, and the same size for any number of modalities; an absent modality adds nothing."
    fails = "Adding can blur distinct information; every modality must be mapped into one space first."
    lesson = Lesson("Compare sum with product while audio dropouts (0.6) remove stretches of the recording.", compare=("product",), corrupt=(("audio", "dropout", 0.6),))

    def __init__(
        self,
        encoders: Mapping[str, EncoderSpec],
        num_classes: int,
        width: int = 64,
        hidden: int = 128,
        dropout: float = 0.1,
        aux_heads: bool = False,
    ) -> None:
        super().__init__(encoders, num_classes, aux_heads=aux_heads)
        self.width = width
        self.project = projections({m: self.encoders[m].dim for m in self.modalities}, width)
        # Normalising the sum keeps one modality and several on the same scale.
        self.norm = nn.LayerNorm(width)
        self.classifier = mlp(width, hidden, num_classes, dropout)

    def fuse(self, tokens: Dict[str, torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        projected = {m: self.project[m](f) for m, f in pooled(tokens).items()}
        total = self.stacked(projected, mask, self.width).sum(dim=1)
        return self.classifier(self.norm(total))
