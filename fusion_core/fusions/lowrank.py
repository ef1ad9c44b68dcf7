"""Low-rank multimodal fusion."""

from typing import Dict, Mapping

import torch
from torch import nn

from ..encoders import EncoderSpec
from . import register_fusion
from .base import FusionModel, Lesson
from .layers import mlp, pooled


@register_fusion("lowrank")
class LowRankFusion(FusionModel):
    """Tensor fusion computed through rank-r modality factors, linear rather than exponential in M.

    h = sum_r prod_m (W_m^(r) [1; f_m]); an absent modality is [1; 0], as in tensor fusion.
    """

    paper = "Liu et al. 2018, https://arxiv.org/abs/1806.00064"
    equation = r"h = \sum_{i=1}^{r} \bigodot_{m} W_m^{(i)} \begin{bmatrix}1\\ f_m\end{bmatrix}"
    helps = "Tensor fusion's interactions at a cost linear in the number of modalities."
    fails = "The rank limits which interactions it can express; sensitive to initialisation."
    lesson = Lesson("Switch the image off: with [1; 0] for an absent modality, the factors reduce to the audio's own terms.", compare=("tensor",), off=("image",))

    def __init__(
        self,
        encoders: Mapping[str, EncoderSpec],
        num_classes: int,
        rank: int = 4,
        width: int = 64,
        hidden: int = 128,
        dropout: float = 0.1,
        aux_heads: bool = False,
    ) -> None:
        super().__init__(encoders, num_classes, aux_heads=aux_heads)
        self.factors = nn.ParameterDict(
            {
                m: nn.Parameter(nn.init.xavier_normal_(torch.empty(rank, self.encoders[m].dim + 1, width)))
                for m in self.modalities
            }
        )
        self.rank_weights = nn.Parameter(nn.init.xavier_normal_(torch.empty(1, rank)))
        self.bias = nn.Parameter(torch.zeros(width))
        self.classifier = mlp(width, hidden, num_classes, dropout)

    def fuse(self, tokens: Dict[str, torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        features = pooled(tokens)
        batch = mask.shape[0]
        product = None
        for i, m in enumerate(self.modalities):
            dim = self.factors[m].shape[1] - 1
            f = features.get(m, mask.new_zeros(batch, dim, dtype=torch.float32))
            f = f * mask[:, i : i + 1].to(f.dtype)
            z = torch.cat([f.new_ones(batch, 1), f], dim=1)
            factor = torch.einsum("bd,rdw->rbw", z, self.factors[m])
            product = factor if product is None else product * factor
        fused = torch.einsum("or,rbw->bw", self.rank_weights, product) + self.bias
        return self.classifier(torch.relu(fused))
