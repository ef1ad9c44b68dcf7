"""Scene augmentation: lighting and sensor noise only; geometry is the answer, so nothing moves."""

import torch

from . import AUGMENTATIONS

BRIGHTNESS = 0.15  # +-15% overall light
COLOUR_CAST = 0.06  # +-6% per channel (white balance)
NOISE_SD = 0.03


@AUGMENTATIONS.register("scene")
def augment_scenes(scenes: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random brightness, colour cast and pixel noise.

    Args:
        scenes: (B, 3, H, W) canonical scenes in [0, 1].
    """
    n = scenes.shape[0]
    light = 1 + BRIGHTNESS * (2 * torch.rand(n, 1, 1, 1, generator=generator) - 1)
    cast = 1 + COLOUR_CAST * (2 * torch.rand(n, 3, 1, 1, generator=generator) - 1)
    noise = NOISE_SD * torch.randn(scenes.shape, generator=generator)
    return (scenes * (light * cast).to(scenes.device) + noise.to(scenes.device)).clamp(0, 1)
