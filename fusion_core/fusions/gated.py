"""Gated multimodal unit."""

from typing import Dict, Mapping

import torch
from torch import nn

from ..encoders import EncoderSpec
from . import register_fusion
from .base import FusionModel, Lesson
from .layers import mlp, pooled, projections


@register_fusion("gated")
class GatedFusion(FusionModel):
    """Gated multimodal unit: a learned gate decides, per sample, how much each modality counts.

    h_m = tanh(W_m f_m); z = softmax over present modalities of W_z [f_1; ...; f_M; presence];
    h = sum_m z_m h_m. The softmax generalises the paper's two-modality sigmoid gate to M.
    """

    paper = "Arevalo et al. 2017, https://arxiv.org/abs/1702.01992"
    equation = r"h_m = \tanh(W_m f_m),\quad z = \mathrm{softmax}_{\mathrm{present}}\big(W_z [f_1; \dots; f_M]\big),\quad h = \sum_m z_m h_m"
    helps = "Learns, per sample, which modality to trust; the gate values can be read off."
    fails = "The gate chooses how much of each modality to use; it mixes them but does not model their interaction."
    lesson = Lesson("Bury the audio under white noise (0.8) and see whether the gated unit leans on the image.", compare=("concat",), corrupt=(("audio", "white_noise", 0.8),))

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
        dims = {m: self.encoders[m].dim for m in self.modalities}
        self.width = width
        self.project = projections(dims, width)
        # The gate reads the present features and, explicitly, which modalities are present.
        self.gate = nn.Linear(sum(dims.values()) + len(self.modalities), len(self.modalities))
        self.classifier = mlp(width, hidden, num_classes, dropout)

    def gates(self, tokens: Dict[str, torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        """Gate values (B, M): how much each modality counts for each sample; 0 where absent."""
        features = pooled(tokens)
        parts = []
        for i, m in enumerate(self.modalities):
            dim = self.encoders[m].dim
            feature = features.get(m, mask.new_zeros(mask.shape[0], dim, dtype=torch.float32))
            parts.append(feature * mask[:, i : i + 1].to(feature.dtype))
        scores = self.gate(torch.cat([*parts, mask.to(torch.float32)], dim=1))
        return torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1).nan_to_num(0.0)

    @torch.no_grad()
    def modality_weights(self, inputs, present=None):
        tokens, mask = self._tokens_and_mask(inputs, present)
        gates = self.gates(tokens, mask)
        return {m: gates[:, i] for i, m in enumerate(self.modalities)}

    def fuse(self, tokens: Dict[str, torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        hidden = {m: torch.tanh(self.project[m](f)) for m, f in pooled(tokens).items()}
        stacked = self.stacked(hidden, mask, self.width)
        return self.classifier((self.gates(tokens, mask).unsqueeze(-1) * stacked).sum(dim=1))
