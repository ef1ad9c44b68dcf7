"""A shared-weight network over a common embedding space."""

from typing import Dict, Mapping, Optional

import torch
import torch.nn.functional as F
from torch import nn

from ..encoders import EncoderSpec
from . import register_fusion
from .base import FusionModel, Lesson
from .layers import masked_mean, pooled, projections

ALIGNMENT_WEIGHT = 0.5


@register_fusion("shared")
class SharedSpaceFusion(FusionModel):
    """Map every modality into one common space, then run the same network on each embedding.

    e_m = LayerNorm(P_m f_m); z_m = g(e_m) with one g for all modalities; the prediction comes
    from the mean of z_m over present modalities. Training also pulls the paired embeddings of a
    sample together (cosine alignment), so a "seven" lands in the same place from either modality.
    """

    paper = "Ngiam et al. 2011, https://dl.acm.org/doi/10.5555/3104482.3104569; CLIP, https://arxiv.org/abs/2103.00020"
    equation = r"e_m = \mathrm{LN}(P_m f_m),\quad \hat{y} = \mathrm{softmax}\Big(W \tfrac{1}{|S|} \sum_{m \in S} g(e_m)\Big),\quad \mathcal{L} \mathrel{+}= \lambda\big(1 - \cos(e_a, e_b)\big)"
    helps = "One network for every modality: a digit lands in the same place whether heard or seen, so either modality alone works."
    fails = "Forcing modalities into one space can discard what is specific to each of them."
    lesson = Lesson("Switch the image off: the shared network reads the audio from the same space the image would have used.", compare=("concat",), off=("image",))

    def __init__(
        self,
        encoders: Mapping[str, EncoderSpec],
        num_classes: int,
        width: int = 64,
        dropout: float = 0.1,
        aux_heads: bool = False,
    ) -> None:
        super().__init__(encoders, num_classes, aux_heads=aux_heads)
        self.width = width
        self.project = projections({m: self.encoders[m].dim for m in self.modalities}, width)
        self.norm = nn.LayerNorm(width)
        self.shared = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Dropout(dropout), nn.Linear(width, width))
        self.classifier = nn.Linear(width, num_classes)

    def embed(self, tokens: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """modality -> its point in the common space (B, width)."""
        return {m: self.norm(self.project[m](f)) for m, f in pooled(tokens).items()}

    def fuse(self, tokens: Dict[str, torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        shared = {m: self.shared(e) for m, e in self.embed(tokens).items()}
        return self.classifier(torch.relu(masked_mean(self.stacked(shared, mask, self.width), mask)))

    def extra_loss(self, tokens: Dict[str, torch.Tensor], mask: torch.Tensor) -> Optional[torch.Tensor]:
        embeddings = self.embed(tokens)
        losses = []
        names = [m for m in self.modalities if m in embeddings]
        for a in range(len(names)):
            for b in range(a + 1, len(names)):
                both = mask[:, self.modalities.index(names[a])] & mask[:, self.modalities.index(names[b])]
                if both.any():
                    similarity = F.cosine_similarity(embeddings[names[a]][both], embeddings[names[b]][both], dim=1)
                    losses.append((1 - similarity).mean())
        return ALIGNMENT_WEIGHT * torch.stack(losses).mean() if losses else None
