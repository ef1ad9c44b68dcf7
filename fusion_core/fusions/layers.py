"""Small building blocks shared by several fusion methods."""

import math
from typing import Dict, Mapping

import torch
import torch.nn.functional as F
from torch import nn


def mlp(in_dim: int, hidden: int, out_dim: int, dropout: float = 0.1) -> nn.Sequential:
    """Two-layer perceptron: the classifier head of most methods."""
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, out_dim))


def projections(dims: Mapping[str, int], width: int) -> nn.ModuleDict:
    """One linear map per modality into a common width."""
    return nn.ModuleDict({m: nn.Linear(d, width) for m, d in dims.items()})


def pooled(tokens: Mapping[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Mean over each modality's tokens: modality -> (B, dim)."""
    return {m: t.mean(dim=1) for m, t in tokens.items()}


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of values (B, M, D) over the present entries of mask (B, M); zeros where none."""
    weights = mask.unsqueeze(-1).to(values.dtype)
    return (values * weights).sum(dim=1) / weights.sum(dim=1).clamp_min(1.0)


class SelfAttention(nn.Module):
    """Multi-head self-attention on ``scaled_dot_product_attention`` with a padding mask.

    (``nn.MultiheadAttention`` leaves its fast path when given a key-padding mask: 3-4x slower here.)
    """

    def __init__(self, width: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads, self.dropout = heads, dropout
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)

    def forward(self, x: torch.Tensor, padding: torch.Tensor, need_weights: bool = False):
        """Inputs: x (B, N, width); padding (B, N), True where a token is ignored.

        Returns the attended tokens and, with ``need_weights``, the head-averaged weights (B, N, N).
        """
        batch, count, width = x.shape
        q, k, v = self.qkv(x).view(batch, count, 3, self.heads, width // self.heads).permute(2, 0, 3, 1, 4)
        allowed = ~padding[:, None, None, :]
        if need_weights:
            scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
            weights = torch.softmax(scores.masked_fill(~allowed, float("-inf")), dim=-1)
            attended = weights @ v
        else:
            weights = None
            dropout = self.dropout if self.training else 0.0
            attended = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=dropout)
        attended = self.out(attended.transpose(1, 2).reshape(batch, count, width))
        return attended, None if weights is None else weights.mean(dim=1)


class TransformerBlock(nn.Module):
    """Pre-norm transformer encoder block that can also return its attention weights."""

    def __init__(self, width: int, heads: int = 4, ff_mult: int = 2, dropout: float = 0.1) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(width)
        self.attention = SelfAttention(width, heads, dropout)
        self.norm2 = nn.LayerNorm(width)
        self.ff = nn.Sequential(
            nn.Linear(width, ff_mult * width), nn.GELU(), nn.Dropout(dropout), nn.Linear(ff_mult * width, width)
        )

    def forward(self, x: torch.Tensor, padding: torch.Tensor, need_weights: bool = False):
        """Inputs: x (B, N, width); padding (B, N) True where a token must be ignored.

        Returns x, plus the head-averaged attention (B, N, N) when ``need_weights``.
        """
        attended, weights = self.attention(self.norm1(x), padding, need_weights=need_weights)
        x = x + attended
        x = x + self.ff(self.norm2(x))
        return (x, weights) if need_weights else x


def sinusoidal_positions(count: int, width: int, device: torch.device) -> torch.Tensor:
    """Fixed sine/cosine position codes (count, width) (Vaswani et al. 2017); no parameters."""
    position = torch.arange(count, device=device, dtype=torch.float32).unsqueeze(1)
    frequency = torch.exp(torch.arange(0, width, 2, device=device) * (-torch.log(torch.tensor(10000.0)) / width))
    codes = torch.zeros(count, width, device=device)
    codes[:, 0::2] = torch.sin(position * frequency)
    codes[:, 1::2] = torch.cos(position * frequency)
    return codes


class TokenTransformer(nn.Module):
    """A [CLS] token plus every present modality's tokens (typed and positioned) -> transformer.

    Shared by early fusion (low-level tokens) and cross-modal attention (encoder tokens).
    """

    def __init__(self, modalities: tuple, dims: Mapping[str, int], width: int, depth: int, heads: int, dropout: float):
        super().__init__()
        self.modalities = modalities
        self.project = projections(dims, width)
        self.type_embedding = nn.Parameter(torch.randn(len(modalities), width) * 0.02)
        self.cls = nn.Parameter(torch.randn(1, 1, width) * 0.02)
        self.blocks = nn.ModuleList(TransformerBlock(width, heads, dropout=dropout) for _ in range(depth))
        self.norm = nn.LayerNorm(width)

    def sequence(self, tokens: Mapping[str, torch.Tensor], mask: torch.Tensor):
        """The token sequence (B, 1 + sum N_m, width), its padding mask and each modality's span."""
        batch = mask.shape[0]
        parts, padding, spans, start = [self.cls.expand(batch, -1, -1)], [mask.new_zeros(batch, 1)], {}, 1
        for i, m in enumerate(self.modalities):
            if m not in tokens:
                continue
            x = self.project[m](tokens[m])
            x = x + self.type_embedding[i] + sinusoidal_positions(x.shape[1], x.shape[2], x.device)
            parts.append(x)
            padding.append((~mask[:, i]).unsqueeze(1).expand(-1, x.shape[1]))
            spans[m] = (start, start + x.shape[1])
            start += x.shape[1]
        return torch.cat(parts, dim=1), torch.cat(padding, dim=1), spans

    def forward(self, tokens: Mapping[str, torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        """The [CLS] output (B, width)."""
        x, padding, _ = self.sequence(tokens, mask)
        for block in self.blocks:
            x = block(x, padding)
        return self.norm(x[:, 0])

    def cls_attention(self, tokens: Mapping[str, torch.Tensor], mask: torch.Tensor) -> Dict[str, torch.Tensor]:
        """How much [CLS] attends to each modality in the last block: modality -> (B,)."""
        x, padding, spans = self.sequence(tokens, mask)
        for block in self.blocks[:-1]:
            x = block(x, padding)
        _, weights = self.blocks[-1](x, padding, need_weights=True)
        return {m: weights[:, 0, a:b].sum(dim=1) for m, (a, b) in spans.items()}
