"""Late (decision-level) fusion."""

from typing import Dict, Mapping

import torch
import torch.nn.functional as F
from torch import nn

from ..encoders import EncoderSpec
from . import register_fusion
from .base import FusionModel, Lesson
from .layers import mlp, pooled


@register_fusion("late")
class LateFusion(FusionModel):
    """A classifier per modality; their log-probabilities are added with learned weights.

    The sum is a weighted product of experts: each present modality votes with its own
    calibrated belief, and an absent one simply does not vote.
    """

    stage = "decision"
    paper = "Snoek et al. 2005, https://doi.org/10.1145/1101149.1101236"
    equation = r"\log p(y) = \sum_{m\ \mathrm{present}} w_m \log \mathrm{softmax}\big(g_m(f_m)\big)_y + c"
    helps = "Robust and modular: each modality decides on its own; a missing modality simply does not vote."
    fails = "No cross-modal interactions: it only adds up evidence and can never notice that two inputs mean something together."
    lesson = Lesson("Add salt-and-pepper noise (0.6) to the image: its vote flattens while the audio's stays confident; then compare the Shapley bars in Explain.", compare=("concat", "attention"), corrupt=(("image", "salt_pepper", 0.6),))

    def __init__(
        self,
        encoders: Mapping[str, EncoderSpec],
        num_classes: int,
        hidden: int = 128,
        dropout: float = 0.1,
        aux_heads: bool = False,
    ) -> None:
        super().__init__(encoders, num_classes, aux_heads=aux_heads)
        self.heads = nn.ModuleDict(
            {m: mlp(self.encoders[m].dim, hidden, num_classes, dropout) for m in self.modalities}
        )
        self.log_weights = nn.Parameter(torch.zeros(len(self.modalities)))

    @torch.no_grad()
    def modality_weights(self, inputs, present=None):
        """Each present modality's learned vote weight, normalised over the present ones."""
        mask = self.presence_mask(inputs, present).float()
        weights = self.log_weights.exp() * mask
        weights = weights / weights.sum(dim=1, keepdim=True).clamp_min(1e-9)
        return {m: weights[:, i] for i, m in enumerate(self.modalities)}

    def fuse(self, tokens: Dict[str, torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        features = pooled(tokens)
        weights = self.log_weights.exp()
        total = mask.new_zeros(mask.shape[0], self.num_classes, dtype=torch.float32)
        for i, m in enumerate(self.modalities):
            if m in features:
                vote = weights[i] * F.log_softmax(self.heads[m](features[m]), dim=-1)
                total = total + torch.where(mask[:, i : i + 1], vote, torch.zeros_like(vote))
        return total
