"""Graph attention over modality nodes."""

from typing import Dict, Mapping

import torch
import torch.nn.functional as F
from torch import nn

from ..encoders import EncoderSpec
from . import register_fusion
from .base import FusionModel, Lesson
from .layers import masked_mean, mlp, pooled, projections


class GraphAttentionLayer(nn.Module):
    """One multi-head GAT layer on a fully connected graph with per-sample node masks."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads, self.head_dim = heads, width // heads
        self.linear = nn.Linear(width, width, bias=False)
        self.source = nn.Parameter(torch.randn(heads, self.head_dim) * 0.1)
        self.target = nn.Parameter(torch.randn(heads, self.head_dim) * 0.1)
        self.norm = nn.LayerNorm(width)

    def attention(self, nodes: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """alpha (B, heads, M, M): how much node i listens to node j. Absent j get 0."""
        h = self.linear(nodes).view(*nodes.shape[:2], self.heads, self.head_dim)
        scores = (h * self.target).sum(-1).transpose(1, 2).unsqueeze(-1) + (h * self.source).sum(-1).transpose(
            1, 2
        ).unsqueeze(-2)
        scores = F.leaky_relu(scores, 0.2)
        # Neighbours must be present; a node always hears itself, so no row is ever empty.
        allowed = mask.unsqueeze(1).unsqueeze(2) | torch.eye(mask.shape[1], dtype=torch.bool, device=mask.device)
        return torch.softmax(scores.masked_fill(~allowed, float("-inf")), dim=-1)

    def forward(self, nodes: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.linear(nodes).view(*nodes.shape[:2], self.heads, self.head_dim).transpose(1, 2)
        messages = (self.attention(nodes, mask) @ h).transpose(1, 2).flatten(2)
        return self.norm(nodes + F.elu(messages))


@register_fusion("graph")
class GraphFusion(FusionModel):
    """Each modality is a node of a fully connected graph; graph attention passes messages.

    Every node updates itself from the present nodes, weighted by learned attention; the
    prediction reads the mean of the present nodes after ``depth`` layers.
    """

    paper = "Velickovic et al. 2018 (GAT), https://arxiv.org/abs/1710.10903"
    equation = r"\alpha_{ij} = \mathrm{softmax}_j\big(\mathrm{LeakyReLU}(a^\top [W h_i \,\|\, W h_j])\big),\quad h_i' = \mathrm{LN}\Big(h_i + \mathrm{ELU}\big(\sum_j \alpha_{ij} W h_j\big)\Big)"
    helps = "Scales to many modalities and learns which modalities listen to which; absent nodes drop out of the graph."
    fails = "With two modalities the graph is tiny, so there is little to gain over simpler methods."
    lesson = Lesson("Add salt-and-pepper noise (0.7) to the image and compare graph with gated fusion: both reweigh the modalities per sample.", compare=("gated",), corrupt=(("image", "salt_pepper", 0.7),))

    def __init__(
        self,
        encoders: Mapping[str, EncoderSpec],
        num_classes: int,
        width: int = 64,
        depth: int = 2,
        heads: int = 4,
        hidden: int = 128,
        dropout: float = 0.1,
        aux_heads: bool = False,
    ) -> None:
        super().__init__(encoders, num_classes, aux_heads=aux_heads)
        self.width = width
        self.project = projections({m: self.encoders[m].dim for m in self.modalities}, width)
        self.node_type = nn.Parameter(torch.randn(len(self.modalities), width) * 0.02)
        self.layers = nn.ModuleList(GraphAttentionLayer(width, heads) for _ in range(depth))
        self.classifier = mlp(width, hidden, num_classes, dropout)

    def nodes(self, tokens: Dict[str, torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        projected = {m: self.project[m](f) for m, f in pooled(tokens).items()}
        return self.stacked(projected, mask, self.width) + self.node_type

    def fuse(self, tokens: Dict[str, torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        nodes = self.nodes(tokens, mask)
        for layer in self.layers:
            nodes = layer(nodes, mask)
        return self.classifier(masked_mean(nodes, mask))
