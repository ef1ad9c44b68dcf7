"""Cross-modal attention: a transformer over all modalities' tokens."""

from typing import Dict, Mapping

import torch
from torch import nn

from ..encoders import EncoderSpec
from . import register_fusion
from .base import FusionModel, Lesson
from .layers import TokenTransformer


@register_fusion("attention")
class AttentionFusion(FusionModel):
    """A transformer over every present modality's encoder tokens and a [CLS] token.

    Each token attends to the tokens of every modality, so image regions and stretches of audio
    can look at each other; an absent modality's tokens are masked out of the attention.
    """

    paper = "Tsai et al. 2019 (MulT), https://arxiv.org/abs/1906.00295"
    equation = r"\mathrm{Attn}(Q, K, V) = \mathrm{softmax}\big(QK^\top / \sqrt{d}\big)\, V \ \text{ over } [\mathrm{cls};\, T_1;\, \dots;\, T_M]"
    helps = "Tokens of one modality can look at particular tokens of another: fine-grained, content-dependent interaction."
    fails = "Quadratic in the number of tokens, and it needs data to learn where to look."
    lesson = Lesson("Occlude part of the image (0.4) and compare attention with late fusion in Explain: see where the heatmaps move.", compare=("late",), corrupt=(("image", "occlusion", 0.4),))

    def __init__(
        self,
        encoders: Mapping[str, EncoderSpec],
        num_classes: int,
        width: int = 64,
        depth: int = 1,
        heads: int = 4,
        dropout: float = 0.1,
        aux_heads: bool = False,
    ) -> None:
        super().__init__(encoders, num_classes, aux_heads=aux_heads)
        dims = {m: self.encoders[m].dim for m in self.modalities}
        self.transformer = TokenTransformer(self.modalities, dims, width, depth, heads, dropout)
        self.classifier = nn.Linear(width, num_classes)

    @torch.no_grad()
    def modality_weights(self, inputs, present=None):
        """The share of the [CLS] token's attention (last layer) that goes to each modality's tokens."""
        tokens, mask = self._tokens_and_mask(inputs, present)
        shares = self.transformer.cls_attention(tokens, mask)
        return {m: shares.get(m, torch.zeros(mask.shape[0])) for m in self.modalities}

    def fuse(self, tokens: Dict[str, torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.transformer(tokens, mask))
