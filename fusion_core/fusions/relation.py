"""Relation network: every pair of one modality's tokens, judged in the light of the others."""

from typing import Dict, Mapping

import torch
import torch.nn.functional as F
from torch import nn

from ..encoders import EncoderSpec
from . import register_fusion
from .base import FusionModel, Lesson
from .layers import masked_mean, mlp, pooled, projections


@register_fusion("relation")
class RelationFusion(FusionModel):
    """An MLP g scores every pair of a modality's tokens together with the other modalities' summary; the
    scores are summed over pairs and modalities, and an MLP f reads the sum.

    For modality m with tokens o_1..o_N and context c (the mean of the other present modalities'
    features): r_m = sum_{i,j} g(o_i, o_j, c). g's first layer is linear, so it is computed once per
    token and added per pair (Santoro et al.'s network, factorised); an absent context is a learned
    placeholder, an absent modality adds no pairs. Longer token sequences (a digit's 7x7 grid) are first
    averaged down to ``max_tokens`` groups of neighbours, so the cost stays that of 16 x 16 pairs.
    """

    paper = "Santoro et al. 2017, https://arxiv.org/abs/1706.01427"
    equation = r"r = \sum_{m}\sum_{i,j} g_\theta\big(o^m_i, o^m_j, c_{-m}\big),\quad \hat{y} = \mathrm{softmax}\big(f_\phi(r)\big)"
    helps = "Built for questions about relations between parts (which object is closest to the red one): every pair is looked at."
    fails = "Quadratic in the number of tokens; on inputs without parts and relations it is an expensive MLP."
    lesson = Lesson("Occlude half the image (0.5): the pairs that lose their parts stop contributing, the rest still vote.", compare=("attention", "concat"), corrupt=(("image", "occlusion", 0.5), ("scene", "occlusion", 0.5)))

    def __init__(
        self,
        encoders: Mapping[str, EncoderSpec],
        num_classes: int,
        width: int = 64,
        hidden: int = 128,
        dropout: float = 0.1,
        max_tokens: int = 16,
        aux_heads: bool = False,
    ) -> None:
        super().__init__(encoders, num_classes, aux_heads=aux_heads)
        dims = {m: self.encoders[m].dim for m in self.modalities}
        self.width = width
        self.max_tokens = max_tokens
        self.objects = projections(dims, width)
        self.context = projections(dims, width)
        self.missing = nn.Parameter(torch.zeros(width))
        self.first = nn.ModuleDict({m: nn.Linear(width, width) for m in self.modalities})
        self.second = nn.ModuleDict({m: nn.Linear(width, width, bias=False) for m in self.modalities})
        self.with_context = nn.ModuleDict({m: nn.Linear(width, width, bias=False) for m in self.modalities})
        self.g = nn.Sequential(nn.ReLU(), nn.Linear(width, width), nn.ReLU())
        self.f = mlp(width, hidden, num_classes, dropout)

    def at_most(self, tokens: torch.Tensor) -> torch.Tensor:
        """Neighbouring tokens averaged down to ``max_tokens`` (pairs grow with the square of the count)."""
        if tokens.shape[1] <= self.max_tokens:
            return tokens
        return F.adaptive_avg_pool1d(tokens.transpose(1, 2), self.max_tokens).transpose(1, 2)

    def fuse(self, tokens: Dict[str, torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        summaries = {m: self.context[m](f) for m, f in pooled(tokens).items()}
        stacked = self.stacked(summaries, mask, self.width)
        total = mask.new_zeros(mask.shape[0], self.width, dtype=torch.float32)
        for i, m in enumerate(self.modalities):
            if m not in tokens:
                continue
            others = mask.clone()
            others[:, i] = False
            has_context = others.any(dim=1, keepdim=True)
            context = torch.where(has_context, masked_mean(stacked, others), self.missing.expand_as(total))
            objects = self.objects[m](self.at_most(tokens[m]))  # (B, N, width)
            a = self.first[m](objects) + self.with_context[m](context).unsqueeze(1)  # o_i and c, once per token
            b = self.second[m](objects)  # o_j, once per token
            pairs = self.g(a.unsqueeze(2) + b.unsqueeze(1))  # (B, N, N, width): every (i, j)
            relation = pairs.sum(dim=(1, 2)) / objects.shape[1]
            total = total + torch.where(mask[:, i : i + 1], relation, torch.zeros_like(relation))
        return self.f(total)
