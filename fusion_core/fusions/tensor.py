"""Tensor fusion network."""

from typing import Dict, Mapping

import torch
from torch import nn

from ..encoders import EncoderSpec
from . import register_fusion
from .base import FusionModel, Lesson
from .layers import mlp, pooled, projections


@register_fusion("tensor")
class TensorFusion(FusionModel):
    """Outer product of the modalities' [1; z_m] vectors: every unimodal, bimodal... interaction.

    The appended 1 keeps each modality's own terms; an absent modality is [1; 0], which removes
    exactly the terms that involve it and leaves the rest of the tensor as it was.
    """

    paper = "Zadeh et al. 2017, https://arxiv.org/abs/1707.07250"
    equation = r"Z = \begin{bmatrix}1\\ z_1\end{bmatrix} \otimes \begin{bmatrix}1\\ z_2\end{bmatrix} \otimes \cdots,\quad \hat{y} = \mathrm{softmax}\big(\mathrm{MLP}(\mathrm{vec}\,Z)\big)"
    helps = "Models every unimodal, bimodal (and higher) interaction explicitly."
    fails = "Its size grows exponentially with the number of modalities, and it overfits easily."
    lesson = Lesson("Compare tensor and low-rank fusion on the same noisy image (0.5): low-rank approximates the same interactions with factors.", compare=("lowrank",), corrupt=(("image", "gaussian_noise", 0.5),))

    def __init__(
        self,
        encoders: Mapping[str, EncoderSpec],
        num_classes: int,
        width: int = 32,
        hidden: int = 128,
        dropout: float = 0.1,
        aux_heads: bool = False,
    ) -> None:
        super().__init__(encoders, num_classes, aux_heads=aux_heads)
        self.width = width
        self.project = projections({m: self.encoders[m].dim for m in self.modalities}, width)
        self.dropout = nn.Dropout(dropout)
        self.classifier = mlp((width + 1) ** len(self.modalities), hidden, num_classes, dropout)

    def fuse(self, tokens: Dict[str, torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        projected = {m: torch.relu(self.project[m](f)) for m, f in pooled(tokens).items()}
        stacked = self.stacked(projected, mask, self.width)
        ones = stacked.new_ones(stacked.shape[0], len(self.modalities), 1)
        z = torch.cat([ones, stacked], dim=-1)  # (B, M, width + 1)
        outer = z[:, 0]
        for i in range(1, len(self.modalities)):
            outer = torch.einsum("bi,bj->bij", outer, z[:, i]).flatten(1)
        return self.classifier(self.dropout(outer))
