"""Any common image file -> an MNIST-form digit: 28x28, grey, light ink on dark, centred by mass.

MNIST's own recipe (LeCun et al.): the digit is size-normalised into a 20x20 box keeping its
aspect ratio, then placed in a 28x28 field so that its centre of mass is at the centre.
"""

import io
import warnings

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage

from ..errors import InputError

MAX_IMAGE_BYTES = 10 * 2**20  # 10 MiB
MAX_IMAGE_PIXELS = 40_000_000  # width * height, checked from the header before decoding
WORKING_SIDE = 512  # large photos are reduced to this before analysis
BOX_SIDE = 20
FIELD_SIDE = 28
MARGIN = 1  # centring by mass may shift the box, but never onto the field's edge
INK_THRESHOLD = 0.2  # fraction of full contrast above which a pixel counts as ink
MIN_CONTRAST = 0.08  # below this, the image is blank
INSIDE = 0.2  # on a page, marks off the edges holding this share of the largest mark's ink are the digit (``_main_marks``)
SPECK = 0.05  # on a page, a separate mark with less ink than this share of the largest is a speck, not the digit
PHOTO_SIDE = 56  # dark ink on a light image this large is taken as a photo or scan of a page (see ``_flatten``)
NEAR_END = 0.25  # share of the grey range, from either end, that counts as "near" that end (``_light_background``)
FAINT = 0.35  # on a page, marks fainter than this share of the darkest ink (ruled lines, grain) are not ink


def load_image(data: bytes) -> torch.Tensor:
    """Decode an image file and bring it to MNIST form.

    Args:
        data: the file's bytes (PNG, JPEG, BMP, WebP, GIF (first frame), TIFF...).

    Returns:
        float32 tensor (28, 28) in [0, 1], digit light on dark.

    Raises:
        InputError: empty, oversized, truncated or non-image data, or an image with no digit.
    """
    return torch.from_numpy(to_mnist_form(decode_image(data)))


def decode_image(data: bytes) -> np.ndarray:
    """Decode to a float32 grey array (H, W) in [0, 1], transparency composited sensibly."""
    return _to_grey(open_image(data))


def open_image(data: bytes) -> Image.Image:
    """Decode an image file within the limits (bytes, pixels), first frame, upright, at most WORKING_SIDE."""
    if not data:
        raise InputError("the image file is empty")
    if len(data) > MAX_IMAGE_BYTES:
        raise InputError(f"the image file is {len(data) / 2**20:.1f} MiB; the limit is {MAX_IMAGE_BYTES // 2**20} MiB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size  # from the header: nothing decoded yet
            if width * height > MAX_IMAGE_PIXELS:
                raise InputError(
                    f"the image is {width}x{height} pixels; the limit is {MAX_IMAGE_PIXELS // 1_000_000} "
                    "megapixels. Resize it before uploading."
                )
            image.seek(0)  # first frame of an animation
            image = ImageOps.exif_transpose(image)
            image.load()
    except InputError:
        raise
    except UnidentifiedImageError:
        raise InputError("the file is not an image this app can read (use PNG, JPEG, BMP, WebP or GIF)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(
            f"the image has more than {MAX_IMAGE_PIXELS // 1_000_000} megapixels (a decompression bomb?); "
            "it was not opened. Resize it before uploading."
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise InputError(f"the image file is damaged or truncated ({error})") from None
    if max(image.size) > WORKING_SIDE:
        image.thumbnail((WORKING_SIDE, WORKING_SIDE), Image.Resampling.BOX)
    return image


def _to_grey(image: Image.Image) -> np.ndarray:
    if image.mode.startswith(("I", "F")):  # 16/32-bit integer or float grey: keep its full range
        grey = np.asarray(image, dtype=np.float32)
        top = float(np.nanmax(grey)) if grey.size else 0.0
        full_scale = 65535.0 if top > 255 else 255.0 if top > 1 else 1.0
        return np.clip(np.nan_to_num(grey) / full_scale, 0.0, 1.0)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    rgba = np.asarray(image.convert("RGBA"), dtype=np.float32) / 255.0
    grey = rgba[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    if not has_alpha:
        return grey
    alpha = rgba[..., 3]
    opaque = alpha > 0.5
    if opaque.all() or not opaque.any():
        return grey if opaque.any() else alpha
    # Strokes drawn on a transparent canvas: lay them on the background that contrasts with them.
    background = 0.0 if grey[opaque].mean() > 0.5 else 1.0
    return grey * alpha + background * (1.0 - alpha)


def to_mnist_form(grey: np.ndarray) -> np.ndarray:
    """Grey image (H, W) in [0, 1], any polarity -> MNIST-form (28, 28) float32."""
    grey = np.asarray(grey, dtype=np.float32)
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    background = float(np.median(border))
    light = _light_background(grey, background)
    page = light and min(grey.shape) >= PHOTO_SIDE
    if page:
        ink, background = _flatten(grey), 0.0
    else:
        ink = 1.0 - grey if light else grey
        background = 1.0 - background if light else background
    peak = float(np.percentile(ink, 99.5))
    if peak - background < MIN_CONTRAST:
        raise InputError("no digit found: the image is blank or has almost no contrast")
    ink = np.clip((ink - background) / (peak - background), 0.0, 1.0).astype(np.float32)
    if page:
        ink = _main_marks(np.clip((ink - FAINT) / (1.0 - FAINT), 0.0, 1.0).astype(np.float32))
    rows, cols = np.nonzero(ink > INK_THRESHOLD)
    if rows.size == 0:
        raise InputError("no digit found: the image is blank or has almost no contrast")
    crop = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    scale = BOX_SIDE / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    box = np.asarray(Image.fromarray(crop, mode="F").resize(size, Image.Resampling.LANCZOS))
    box = np.clip(box, 0.0, 1.0)
    field = np.zeros((FIELD_SIDE, FIELD_SIDE), dtype=np.float32)
    cy, cx = ndimage.center_of_mass(box)
    top = _place(FIELD_SIDE / 2 - cy, box.shape[0])
    left = _place(FIELD_SIDE / 2 - cx, box.shape[1])
    field[top : top + box.shape[0], left : left + box.shape[1]] = box
    return field


def _light_background(grey: np.ndarray, border: float) -> bool:
    """Whether the digit is dark on a light ground: the ground is the end of the grey range most pixels lie near.

    A border's median alone is misled when a shadow darkens half of a photographed page; the ink, dark or
    light, is the minority either way. When neither end holds clearly more pixels, the border decides.
    """
    low, high = np.percentile(grey, [0.5, 99.5])
    reach = NEAR_END * max(float(high - low), 1e-6)
    near_low, near_high = int((grey <= low + reach).sum()), int((grey >= high - reach).sum())
    if max(near_low, near_high) < 1.5 * min(near_low, near_high):
        return border > 0.5
    return near_high > near_low


def _flatten(grey: np.ndarray) -> np.ndarray:
    """Dark ink on a lit page -> ink (H, W) in [0, 1] with the page's light divided out.

    The page without the ink is a grey closing wider than a stroke (ink strokes are thin and dark; light
    gradients, shadows and the paper's tint are broad), so a shadow across a photo or a dim corner is
    not taken for ink; each pixel's ink is how much darker it is than the page around it.
    """
    size = max(3, round(max(grey.shape) / 8))
    page = ndimage.uniform_filter(ndimage.grey_closing(grey, size=(size, size)), size=size // 2 or 1)
    page = np.maximum(page, grey)
    return np.clip((page - grey) / np.maximum(page, 1e-3), 0.0, 1.0)


def _main_marks(ink: np.ndarray) -> np.ndarray:
    """Ink without the specks and the page's edges.

    Marks are connected above INK_THRESHOLD; those with under SPECK of the largest one's ink are specks.
    Marks touching the photo's edge (the table beyond a tilted page, the page's own border) are dropped
    when the marks inside hold at least INSIDE of the largest one's ink: then the digit is among those.
    """
    labels, count = ndimage.label(ink > INK_THRESHOLD)
    if count < 2:
        return ink
    mass = ndimage.sum(ink, labels, index=np.arange(1, count + 1))
    keep = np.concatenate([[False], mass >= SPECK * mass.max()])
    edge = np.zeros(count + 1, dtype=bool)
    edge[np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))] = True
    edge[0] = False
    inside = keep & ~edge
    if mass[inside[1:]].sum() >= INSIDE * mass.max():
        keep = inside
    # a pixel below the threshold belongs to the nearest kept mark if it touches one
    near = ndimage.binary_dilation(keep[labels], iterations=2)
    return np.where(near, ink, 0.0).astype(np.float32)


def _place(offset: float, length: int) -> int:
    """Where a box of `length` starts so its mass is centred, keeping MARGIN pixels to each edge."""
    low, high = MARGIN, FIELD_SIDE - MARGIN - length
    return int(np.clip(round(offset), min(low, high), max(low, high)))
