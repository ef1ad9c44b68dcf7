"""Image augmentation: affine jitter and stroke width/hardness, batched on the signals' device."""

import torch
import torch.nn.functional as F

from . import AUGMENTATIONS

MAX_ROTATION_DEG = 12.0
SCALE_RANGE = (0.85, 1.1)
MAX_SHEAR_DEG = 10.0
MAX_SHIFT = 0.1  # of the half-width: about 1.4 pixels of 28
P_THICKER, P_THINNER, P_HARD_EDGES = 0.25, 0.15, 0.25


def _uniform(n: int, low: float, high: float, generator: torch.Generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=generator)


@AUGMENTATIONS.register("image")
def augment_images(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random affine warp, then thicker/thinner strokes and hard (mouse-drawn) edges at random.

    Args:
        images: (B, H, W) canonical images in [0, 1].
    """
    n, device = images.shape[0], images.device
    angle = torch.deg2rad(_uniform(n, -MAX_ROTATION_DEG, MAX_ROTATION_DEG, generator))
    shear = torch.deg2rad(_uniform(n, -MAX_SHEAR_DEG, MAX_SHEAR_DEG, generator))
    scale = _uniform(n, *SCALE_RANGE, generator)
    shift = _uniform(2 * n, -MAX_SHIFT, MAX_SHIFT, generator).view(n, 2)
    cos, sin, tan = torch.cos(angle), torch.sin(angle), torch.tan(shear)
    # Output -> input sampling matrix: (rotation @ shear) / scale, then a shift.
    theta = torch.stack(
        [
            torch.stack([cos, cos * tan - sin, shift[:, 0]], dim=1),
            torch.stack([sin, sin * tan + cos, shift[:, 1]], dim=1),
        ],
        dim=1,
    )
    theta[:, :, :2] /= scale.view(n, 1, 1)
    x = images.unsqueeze(1)
    grid = F.affine_grid(theta.to(device), list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    roll = torch.rand(n, 3, generator=generator).to(device)
    thicker = F.max_pool2d(x, 3, stride=1, padding=1)
    thinner = -F.max_pool2d(-x, 3, stride=1, padding=1)
    x = torch.where((roll[:, 0] < P_THICKER).view(n, 1, 1, 1), 0.5 * (x + thicker), x)
    x = torch.where((roll[:, 1] < P_THINNER).view(n, 1, 1, 1), 0.5 * (x + thinner), x)
    hard = torch.sigmoid((x - 0.35) * 12.0)
    x = torch.where((roll[:, 2] < P_HARD_EDGES).view(n, 1, 1, 1), hard, x)
    return x.squeeze(1).clamp(0, 1)


