"""A CoordConv CNN for RGB scenes: each output cell knows what is there and where it is."""

import torch
from torch import nn

from . import register_encoder
from .base import Encoder, conv_block


def with_coordinates(x: torch.Tensor) -> torch.Tensor:
    """x (B, C, H, W) with two more channels: the column and row of each cell in [-1, 1] (Liu et al. 2018)."""
    batch, _, height, width = x.shape
    rows = torch.linspace(-1.0, 1.0, height, device=x.device, dtype=x.dtype).view(1, 1, height, 1).expand(batch, 1, height, width)
    cols = torch.linspace(-1.0, 1.0, width, device=x.device, dtype=x.dtype).view(1, 1, 1, width).expand(batch, 1, height, width)
    return torch.cat([x, cols, rows], dim=1)


@register_encoder("scene-cnn")
class SceneCNN(Encoder):
    """Three 3x3 conv blocks, each after coordinate channels (CoordConv, https://arxiv.org/abs/1807.03247).

    A (B, 3, S, S) scene gives (S/8)^2 tokens of ``widths[-1]`` features, one per cell of an
    8-pixel grid, as in the relation network's CNN (Santoro et al. 2017).

    Args:
        in_channels: image channels (3 for RGB).
        widths: channels of the three conv blocks; the last is the token dim.
    """

    def __init__(self, in_channels: int = 3, widths: tuple = (24, 32, 64)) -> None:
        super().__init__()
        a, b, c = widths
        self.dim, self.stem_channels = c, b
        self.first = conv_block(nn.Conv2d(in_channels + 2, a, 3, padding=1), a, nn.BatchNorm2d, nn.MaxPool2d(2))
        self.second = conv_block(nn.Conv2d(a + 2, b, 3, padding=1), b, nn.BatchNorm2d, nn.MaxPool2d(2))
        self.third = conv_block(nn.Conv2d(b + 2, c, 3, padding=1), c, nn.BatchNorm2d, nn.MaxPool2d(2))

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        """Inputs: x (B, C, S, S). Returns (B, widths[1], S/4, S/4)."""
        return self.second(with_coordinates(self.first(with_coordinates(x))))

    def head(self, features: torch.Tensor) -> torch.Tensor:
        return self.third(with_coordinates(features)).flatten(2).transpose(1, 2)

    @classmethod
    def tokenizer(cls, token_width: int, in_channels: int = 3, widths: tuple = (24, 32, 64)) -> Encoder:
        return _PatchTokenizer(in_channels, token_width)


@register_encoder("scene-slots")
class SceneSlots(SceneCNN):
    """The CoordConv CNN, then one token per object slot: each slot attends over the 8-pixel cells.

    A learned query per slot pools the cells' features with a softmax over cells (attention pooling, as in
    Set Transformer's PMA, https://arxiv.org/abs/1810.00825), so a scene becomes a short list of object
    tokens; trained on the generator's object list, slot k comes to hold the object of colour k. The last
    two features of a slot are where its attention falls (the weighted mean of the cells' centres, in
    [-1, 1]): a place stated outright, not left to a faint direction among the features.

    Args:
        slots: object tokens per scene.
    """

    def __init__(self, in_channels: int = 3, widths: tuple = (16, 32, 64), slots: int = 6) -> None:
        super().__init__(in_channels, widths)
        self.queries = nn.Parameter(torch.randn(slots, widths[-1]) * 0.1)
        self.keys = nn.Linear(widths[-1], widths[-1])
        self.values = nn.Linear(widths[-1], widths[-1] - 2)

    def head(self, features: torch.Tensor) -> torch.Tensor:
        grid = self.third(with_coordinates(features))  # (B, dim, H, W)
        cells = grid.flatten(2).transpose(1, 2)  # (B, cells, dim)
        centres = with_coordinates(grid[:, :0])[:, -2:].flatten(2).transpose(1, 2)  # (B, cells, 2): x, y
        scores = torch.einsum("kd,bnd->bkn", self.queries, self.keys(cells)) / cells.shape[-1] ** 0.5
        weights = torch.softmax(scores, dim=-1)
        return torch.cat([weights @ self.values(cells), weights @ centres], dim=-1)  # (B, slots, dim)

    @classmethod
    def tokenizer(cls, token_width: int, in_channels: int = 3, widths: tuple = (16, 32, 64), slots: int = 6) -> Encoder:
        return _PatchTokenizer(in_channels, token_width)


class _PatchTokenizer(Encoder):
    """One conv over the pixels, cut into 8x8 patches: the same (S/8)^2 grid, from the lowest level."""

    def __init__(self, in_channels: int, width: int) -> None:
        super().__init__()
        self.dim = self.stem_channels = width
        self.first = conv_block(nn.Conv2d(in_channels + 2, 16, 3, padding=1), 16, nn.BatchNorm2d, nn.Identity())
        self.patches = nn.Conv2d(16, width, 8, stride=8)

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        return self.patches(self.first(with_coordinates(x)))

    def head(self, features: torch.Tensor) -> torch.Tensor:
        return features.flatten(2).transpose(1, 2)
