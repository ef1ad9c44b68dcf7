"""A CoordConv CNN for RGB scenes: each output cell knows what is there and where it is."""

import torch
import torch.nn.functional as F
from torch import nn

from . import register_encoder
from .base import Encoder, conv_block

CELL = 4  # pixels: the stem's grid (two 2x poolings)
NEIGHBOUR_SHARPNESS = 0.01  # places run over [-1, 1]: 0.01 is a quarter of a 48-pixel scene's pixel


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
    """The CoordConv CNN, then one token per object slot, each placed to a fraction of a pixel.

    A small full-resolution conv scores every pixel for each slot; a softmax over the pixels gives where
    the slot looks, and its expected pixel centre is the slot's place (a spatial soft-argmax, Levine et
    al. 2016, https://arxiv.org/abs/1504.00702): the mean of an object's pixels, exact to a fraction of a
    pixel where pooled CNN cells (8 pixels across) are not. The slot's features are the 8-pixel cells'
    features pooled with the same weights. Trained on the generator's object list, slot k comes to hold
    the object of colour k. A token ends with sines and cosines of its place at ``frequencies`` octaves,
    then x^2 + y^2, then the place itself (x, y in [-1, 1]; ``place``): linear maps of two tokens have a
    dot product that can be their squared distance, 2 (x1 x2 + y1 y2) - (x2^2 + y2^2) + const.

    With ``neighbours`` > 0 each token also carries ``neighbours`` features of its nearest and of its
    farthest other object, found from the distances between places (a scene graph's nearest- and
    farthest-neighbour edges, as point-cloud encoders build k-nearest-neighbour graphs from coordinates).

    The softmax is split exactly across ``stem`` and ``head``: the stem keeps, per slot and per 4-pixel
    cell, the log-sum-exp of its pixels' scores and their softmax-weighted mean place; the head's softmax
    over cells of those sums, applied to those means, is the softmax over pixels.

    Args:
        slots: object tokens per scene.
        frequencies: octaves of sine/cosine features of a slot's place.
        neighbours: features of the nearest and of the farthest other object in each token (0: none).
    """

    def __init__(
        self, in_channels: int = 3, widths: tuple = (16, 32, 64), slots: int = 6, frequencies: int = 4, neighbours: int = 8
    ) -> None:
        super().__init__(in_channels, widths)
        self.slots, self.frequencies, self.neighbours = slots, frequencies, neighbours
        self.stem_channels = widths[1] + 3 * slots
        self.where = nn.Sequential(
            nn.Conv2d(in_channels + 2, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, slots, 1)
        )
        own = widths[-1] - 2 * neighbours - 4 * frequencies - 3  # the rest: neighbours, waves, x^2 + y^2, x, y
        self.values = nn.Linear(widths[-1], own)
        self.summary = nn.Linear(own, neighbours)

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        """Inputs: x (B, C, S, S). Returns (B, widths[1] + 3 * slots, S/4, S/4): features, then per slot
        log-sum-exp, x and y of its pixels' scores per 4-pixel cell."""
        positioned = with_coordinates(x)
        scores = self.where(positioned)  # (B, slots, S, S)
        batch, slots, side, _ = scores.shape
        cells = side // CELL
        # (B, slots, cells, cells, CELL * CELL): each 4x4 cell's pixels
        per_cell = scores.view(batch, slots, cells, CELL, cells, CELL).permute(0, 1, 2, 4, 3, 5).reshape(batch, slots, cells, cells, -1)
        coords = positioned[:, -2:].view(batch, 2, cells, CELL, cells, CELL).permute(0, 1, 2, 4, 3, 5).reshape(batch, 2, cells, cells, -1)
        within = torch.softmax(per_cell, dim=-1)
        place = torch.einsum("bkijp,bcijp->bkcij", within, coords)  # (B, slots, 2, cells, cells)
        mass = torch.logsumexp(per_cell, dim=-1)  # (B, slots, cells, cells)
        features = self.second(with_coordinates(self.first(positioned)))
        return torch.cat([features, mass, place[:, :, 0], place[:, :, 1]], dim=1)

    def head(self, features: torch.Tensor) -> torch.Tensor:
        width, k = features.shape[1] - 3 * self.slots, self.slots
        mass, xs, ys = (features[:, width + i * k : width + (i + 1) * k].flatten(2) for i in range(3))
        weights = torch.softmax(mass, dim=-1)  # (B, slots, cells^2): the softmax over pixels, summed per cell
        place = torch.stack([(weights * xs).sum(-1), (weights * ys).sum(-1)], dim=-1)  # (B, slots, 2)
        grid = self.third(with_coordinates(features[:, :width]))  # (B, dim, cells/2, cells/2)
        side = int(mass.shape[-1] ** 0.5)
        coarse = F.avg_pool2d(weights.view(-1, k, side, side), side // grid.shape[-1]).flatten(2)
        coarse = coarse / coarse.sum(-1, keepdim=True)
        values = coarse @ self.values(grid.flatten(2).transpose(1, 2))
        if self.neighbours:
            values = torch.cat([values, *self.nearest_and_farthest(place, self.summary(values))], dim=-1)
        return torch.cat([values, self.waves(place), place.square().sum(-1, keepdim=True), place], dim=-1)  # (B, slots, dim)

    @staticmethod
    def nearest_and_farthest(place: torch.Tensor, summary: torch.Tensor) -> tuple:
        """Each slot's nearest and farthest other slot's ``summary`` (B, slots, n), by a sharp softmin / softmax
        of the distances between places (a k-nearest-neighbour graph with k = 1, made differentiable)."""
        gaps = (place.unsqueeze(2) - place.unsqueeze(1)).square().sum(-1).add(1e-12).sqrt() / NEIGHBOUR_SHARPNESS
        itself = torch.eye(place.shape[1], dtype=torch.bool, device=place.device)
        nearest = torch.softmax((-gaps).masked_fill(itself, float("-inf")), dim=-1)
        farthest = torch.softmax(gaps.masked_fill(itself, float("-inf")), dim=-1)
        return nearest @ summary, farthest @ summary

    @staticmethod
    def place(tokens: torch.Tensor) -> torch.Tensor:
        """Tokens (B, slots, dim) -> each slot's place (B, slots, 2): x, y in [-1, 1] across the pixel centres."""
        return tokens[..., -2:]

    def waves(self, place: torch.Tensor) -> torch.Tensor:
        """(B, slots, 2) places -> (B, slots, 4 * frequencies): sin and cos of pi * 2^f / 2 * place."""
        if not self.frequencies:
            return place[..., :0]
        scales = torch.pi * 2.0 ** torch.arange(self.frequencies, device=place.device, dtype=place.dtype) / 2
        angles = (place.unsqueeze(-1) * scales).flatten(-2)
        return torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1)

    @classmethod
    def tokenizer(cls, token_width: int, in_channels: int = 3, widths: tuple = (16, 32, 64), slots: int = 6, **_: int) -> Encoder:
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
