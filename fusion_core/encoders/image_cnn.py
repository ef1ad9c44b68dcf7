"""A small CNN for 28x28 grey images (MNIST-sized)."""

import torch
from torch import nn

from . import register_encoder
from .base import Encoder, conv_block


@register_encoder("image-cnn")
class ImageCNN(Encoder):
    """Three 3x3 conv blocks (16-32-64 channels); the last 7x7 map gives 49 tokens.

    Args:
        in_channels: image channels (1 for grey).
        widths: channels of the three conv blocks; the last is the token dim.
    """

    def __init__(self, in_channels: int = 1, widths: tuple = (16, 32, 64)) -> None:
        super().__init__()
        a, b, c = widths
        self.dim, self.stem_channels = c, b
        self.stem_layers = nn.Sequential(
            conv_block(nn.Conv2d(in_channels, a, 3, padding=1), a, nn.BatchNorm2d, nn.MaxPool2d(2)),
            conv_block(nn.Conv2d(a, b, 3, padding=1), b, nn.BatchNorm2d, nn.MaxPool2d(2)),
        )
        self.head_layers = conv_block(nn.Conv2d(b, c, 3, padding=1), c, nn.BatchNorm2d, nn.Identity())

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        """Inputs: x (B, C, 28, 28). Returns (B, widths[1], 7, 7)."""
        return self.stem_layers(x)

    def head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head_layers(features).flatten(2).transpose(1, 2)

    @classmethod
    def tokenizer(cls, token_width: int, in_channels: int = 1, widths: tuple = (16, 32, 64)) -> Encoder:
        return _PatchTokenizer(in_channels, token_width)


class _PatchTokenizer(Encoder):
    """A two-conv stem (edges, then stroke pieces) cut into 4x4-pixel patches: 49 low-level tokens.

    As in hybrid vision transformers, a shallow convolutional stem makes better tokens than raw
    pixels; everything above it is left to the joint network.
    """

    def __init__(self, in_channels: int, width: int) -> None:
        super().__init__()
        self.dim = self.stem_channels = width
        self.layers = nn.Sequential(
            conv_block(nn.Conv2d(in_channels, 16, 3, padding=1), 16, nn.BatchNorm2d, nn.MaxPool2d(2)),
            conv_block(nn.Conv2d(16, 32, 3, padding=1), 32, nn.BatchNorm2d, nn.Identity()),
            nn.Conv2d(32, width, 2, stride=2),
        )

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)

    def head(self, features: torch.Tensor) -> torch.Tensor:
        return features.flatten(2).transpose(1, 2)
