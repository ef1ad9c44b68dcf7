"""The encoder contract every fusion method relies on."""

import torch
from torch import nn


class Encoder(nn.Module):
    """Model input -> tokens (B, N, dim), in two stages so that FiLM can modulate between them.

    ``stem`` maps the input to an intermediate feature map (B, stem_channels, *positions) and
    ``head`` maps that map to tokens. ``forward`` is ``head(stem(x))``.
    """

    dim: int
    stem_channels: int

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def head(self, features: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Inputs: x, the modality's model input. Returns tokens (B, N, dim)."""
        return self.head(self.stem(x))

    @classmethod
    def tokenizer(cls, token_width: int, **kwargs) -> "Encoder":
        """A one-layer tokenizer of the same input (patches/frames -> tokens) for early fusion."""
        raise NotImplementedError


def conv_block(conv: nn.Module, channels: int, norm: type, pool: nn.Module) -> nn.Sequential:
    return nn.Sequential(conv, norm(channels), nn.ReLU(inplace=False), pool)
