"""Element-wise product fusion: multiplicative interactions."""

from typing import Dict, Mapping

import torch
from torch import nn

from ..encoders import EncoderSpec
from . import register_fusion
from .base import FusionModel, Lesson
from .layers import mlp, pooled, projections


@register_fusion("product")
class ProductFusion(FusionModel):
    """Multiply the modalities' projected features element-wise, so each gates the other's.

    An absent modality contributes the product's identity, a vector of ones.
    """

    paper = "Jayakumar et al. 2020, https://openreview.net/forum?id=rylnK6VtDH"
    equation = r"h = \mathrm{LayerNorm}\Big(\bigodot_{m\ \mathrm{present}} (W_m f_m + b_m)\Big)"
    helps = "Each modality gates the other's features: the simplest multiplicative interaction."
    fails = "A bad input rescales every feature of the other modality; one saturated factor can silence the product."
    lesson = Lesson("Occlude 80% of the image: a product can be thrown further than a sum by one damaged factor.", compare=("sum",), corrupt=(("image", "occlusion", 0.8),))

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
        self.project = projections({m: self.encoders[m].dim for m in self.modalities}, width)
        for layer in self.project.values():
            nn.init.ones_(layer.bias)  # start near the identity so early products stay in scale
        self.norm = nn.LayerNorm(width)
        self.classifier = mlp(width, hidden, num_classes, dropout)

    def fuse(self, tokens: Dict[str, torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        features = pooled(tokens)
        product = None
        for i, m in enumerate(self.modalities):
            if m in features:
                factor = self.project[m](features[m])
                factor = torch.where(mask[:, i : i + 1], factor, torch.ones_like(factor))
                product = factor if product is None else product * factor
        return self.classifier(self.norm(product))
