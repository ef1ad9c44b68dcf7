"""Image corruptions on canonical images (B, H, W) or (B, C, H, W) with values in [0, 1].

Registered for digits (kind "image") and for colour scenes (kind "scene") alike.
"""

import torch

from . import per_sample, rand_like, randn_like, register_corruption


def gaussian_noise(images: torch.Tensor, levels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Fade the image into Gaussian noise (mean 0.5, sd 0.35): at level 1 only the noise is left."""
    level = per_sample(levels, images)
    noise = 0.5 + 0.35 * randn_like(images, generator)
    return ((1 - level) * images + level * noise).clamp(0, 1)


def salt_pepper(images: torch.Tensor, levels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Replace a ``level`` fraction of pixels by black or white at random."""
    hit = rand_like(images, generator) < per_sample(levels, images)
    salt = (rand_like(images, generator) < 0.5).to(images.dtype)
    return torch.where(hit, salt, images)


def occlusion(images: torch.Tensor, levels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Black out a square covering a ``level`` fraction of the image at a random place."""
    height, width = images.shape[-2:]
    out = images.clone()
    corner = torch.rand(images.shape[0], 2, generator=generator)
    for i, level in enumerate(levels.tolist()):
        side_h, side_w = round(height * level**0.5), round(width * level**0.5)
        top = int(corner[i, 0] * (height - side_h + 1))
        left = int(corner[i, 1] * (width - side_w + 1))
        out[i, ..., top : top + side_h, left : left + side_w] = 0.0
    return out


for _kind in ("image", "scene"):
    for _corruption in (gaussian_noise, salt_pepper, occlusion):
        register_corruption(_kind, _corruption.__name__)(_corruption)
