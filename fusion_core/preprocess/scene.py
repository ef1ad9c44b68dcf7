"""Any common image file -> a canonical scene: RGB, square, SIDE x SIDE, values in [0, 1].

A non-square picture is padded to a square with the scene background (white) rather than
stretched, so circles stay circles; transparency is laid on that background too. The decoding
limits are the image loader's (``preprocess.image.open_image``).
"""

import numpy as np
import torch
from PIL import Image

from ..data.shapes import BACKGROUND, SIDE
from .image import open_image


def load_scene(data: bytes, side: int = SIDE) -> torch.Tensor:
    """Decode an image file and bring it to scene form.

    Returns:
        float32 tensor (3, side, side) in [0, 1].

    Raises:
        InputError: empty, oversized, truncated or non-image data.
    """
    image = open_image(data)
    if image.mode.startswith(("I", "F")):  # 16/32-bit grey: scale to 8 bits before RGB
        array = np.asarray(image, dtype=np.float32)
        top = float(array.max()) if array.size else 0.0
        image = Image.fromarray(np.clip(array / (top or 1.0) * 255.0, 0, 255).astype(np.uint8))
    rgba = image.convert("RGBA")
    width, height = rgba.size
    square = Image.new("RGBA", (max(width, height),) * 2, (*BACKGROUND, 255))
    square.alpha_composite(rgba, ((square.width - width) // 2, (square.height - height) // 2))
    scene = square.convert("RGB").resize((side, side), Image.Resampling.BOX if square.width > side else Image.Resampling.BICUBIC)
    return torch.from_numpy(np.asarray(scene, dtype=np.float32) / 255.0).permute(2, 0, 1).contiguous()
