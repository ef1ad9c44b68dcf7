"""Image uploads: every common format and quirk becomes an MNIST-form digit; bad files get clear errors."""

import io
import struct
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

from fusion_core.errors import InputError
from fusion_core.preprocess.image import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, load_image, to_mnist_form
from fusion_core.samples import digit_png


def encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def mnist_like(side: int = 200) -> Image.Image:
    """A dark "7"-ish stroke on white paper."""
    image = Image.new("RGB", (side, side), (250, 250, 245))
    pixels = np.array(image)
    s = side // 10
    pixels[2 * s : 3 * s, 2 * s : 8 * s] = 15  # top bar
    for row in range(3 * s, 9 * s):  # diagonal stem
        col = 8 * s - (row - 3 * s) * 5 // 6
        pixels[row, col - s // 2 : col + s // 2] = 15
    return Image.fromarray(pixels)


def centre_of_mass(x: torch.Tensor) -> tuple:
    rows, cols = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    return float((x * rows).sum() / x.sum()), float((x * cols).sum() / x.sum())


def check_mnist_form(x: torch.Tensor) -> None:
    assert x.shape == (28, 28) and x.dtype == torch.float32
    assert float(x.min()) >= 0 and float(x.max()) <= 1 and float(x.max()) > 0.9
    # light digit on dark ground, inside the 20x20 box, centred by mass
    assert float(x[0].max() + x[-1].max() + x[:, 0].max() + x[:, -1].max()) < 0.05
    cy, cx = centre_of_mass(x)
    assert abs(cy - 13.5) < 1.5 and abs(cx - 13.5) < 1.5


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP", "WEBP", "GIF", "TIFF"])
def test_formats(fmt):
    check_mnist_form(load_image(encode(mnist_like(), fmt)))


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "P", "1", "I;16"])
def test_colour_modes(mode):
    image = mnist_like().convert("L")
    if mode == "I;16":
        image = Image.fromarray((np.asarray(image).astype(np.uint16) * 257))
    else:
        image = image.convert(mode)
    check_mnist_form(load_image(encode(image, "PNG")))


def test_light_and_dark_backgrounds_give_the_same_digit():
    dark_on_light = load_image(encode(mnist_like(), "PNG"))
    inverted = Image.fromarray(255 - np.asarray(mnist_like()))
    light_on_dark = load_image(encode(inverted, "PNG"))
    assert torch.allclose(dark_on_light, light_on_dark, atol=0.02)


@pytest.mark.parametrize("ink", [(0, 0, 0, 255), (255, 255, 255, 255)])
def test_strokes_on_a_transparent_canvas(ink):
    """Drawing canvases give RGBA strokes on transparency, black or white."""
    canvas = np.zeros((200, 200, 4), dtype=np.uint8)
    canvas[40:160, 90:110] = ink  # a "1"
    x = load_image(encode(Image.fromarray(canvas, "RGBA"), "PNG"))
    check_mnist_form(x)
    assert float(x[:, 12:16].mean()) > float(x[:, :8].mean()) + 0.3


def test_any_size_and_aspect():
    for size in [(28, 28), (12, 40), (1200, 300), (3000, 2000)]:
        check_mnist_form(load_image(encode(mnist_like().resize(size), "PNG")))


def test_animated_gif_uses_the_first_frame():
    first = mnist_like()
    second = Image.new("RGB", first.size, (0, 0, 0))
    data = encode(first, "GIF", save_all=True, append_images=[second])
    assert torch.allclose(load_image(data), load_image(encode(first, "GIF")), atol=1e-6)


def test_exif_rotation_is_honoured():
    image = mnist_like()
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    rotated = load_image(encode(image.rotate(90, expand=True), "JPEG", exif=exif, quality=95))
    assert torch.allclose(rotated, load_image(encode(image, "JPEG", quality=95)), atol=0.15)


def test_a_font_rendered_digit():
    check_mnist_form(load_image(digit_png(3)))


def test_mnist_digits_survive_a_round_trip(data_dir):
    """Real MNIST digits, upscaled 10x, inverted and saved as JPEG, come back close to themselves."""
    from fusion_core.data.mnist import load_mnist_test

    images, _ = load_mnist_test(data_dir)
    scores = []
    for digit in images[5000:5100]:
        photo = Image.fromarray(255 - digit).resize((280, 280), Image.Resampling.BICUBIC).convert("RGB")
        out = load_image(encode(photo, "JPEG", quality=85)).numpy()
        scores.append(np.corrcoef(out.ravel(), digit.ravel() / 255.0)[0, 1])
    assert np.mean(scores) > 0.9 and np.percentile(scores, 10) > 0.8


def test_direct_mnist_form_is_nearly_the_identity_on_mnist(data_dir):
    from fusion_core.data.mnist import load_mnist_test

    images, _ = load_mnist_test(data_dir)
    scores = [np.corrcoef(to_mnist_form(d / 255.0).ravel(), d.ravel())[0, 1] for d in images[:200]]
    assert np.median(scores) > 0.99


def png_header_only(width: int, height: int) -> bytes:
    """A valid PNG signature + IHDR announcing a huge image, with a tiny compressed body."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1024)) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"this is plainly not an image", "not an image"),
        (b"%PDF-1.4\n" + b"0" * 100, "not an image"),
        (png_header_only(50_000, 50_000), "megapixels"),
        (png_header_only(7_000, 7_000), "megapixels"),
    ],
)
def test_bad_images_raise_one_clear_error(data, message):
    with pytest.raises(InputError, match=message):
        load_image(data)


def test_truncated_image():
    data = encode(mnist_like(), "PNG")
    with pytest.raises(InputError, match="damaged or truncated"):
        load_image(data[: len(data) // 2])


def test_oversized_file():
    with pytest.raises(InputError, match="MiB"):
        load_image(b"\x89PNG" + b"\0" * (MAX_IMAGE_BYTES + 1))


@pytest.mark.parametrize("value", [0, 128, 255])
def test_blank_images(value):
    with pytest.raises(InputError, match="no digit"):
        load_image(encode(Image.new("L", (100, 100), value), "PNG"))


def test_limits_are_named_constants():
    assert MAX_IMAGE_PIXELS == 40_000_000 and MAX_IMAGE_BYTES == 10 * 2**20


def _page(digit: int, light: np.ndarray, lines: bool = False) -> bytes:
    """A photo-like page: a dark digit on paper, times ``light`` (H, W); optional faint ruled lines."""
    clean = np.asarray(Image.open(io.BytesIO(digit_png(digit, side=240))).convert("L"), dtype=np.float64) / 255
    page = 0.92 * clean + 0.05 * (1 - clean)
    if lines:
        page[::24] *= 0.82
        page[1::24] *= 0.82
    out = io.BytesIO()
    Image.fromarray((np.clip(page * light, 0, 1) * 255).astype(np.uint8)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("kind", ["shadow", "wide shadow", "gradient", "lined", "table edge"])
def test_a_page_photo_reads_like_the_clean_digit(kind):
    """Uneven light, a shadow's edge and ruled lines are divided out: the ink found is the digit's, not the page's.

    "wide shadow" darkens most of the page's border below mid-grey: the page is still the light ground;
    "table edge" is a tilted page's photo with a dark band of table along one side, which is not ink.
    """
    xs = np.linspace(0, 1, 240)[None, :].repeat(240, axis=0)
    light = {
        "shadow": np.where(xs > 0.6, 0.55, 1.0),
        "wide shadow": np.where(xs > 0.3, 0.5, 1.0),
        "gradient": 1.0 - 0.45 * xs,
        "lined": np.ones((240, 240)),
        "table edge": np.where(xs < 0.05, 0.35, 1.0),
    }[kind]
    clean = load_image(_page(3, np.ones((240, 240))))
    seen = load_image(_page(3, light, lines=kind == "lined"))
    overlap = ((clean > 0.5) & (seen > 0.5)).sum() / ((clean > 0.5) | (seen > 0.5)).sum()
    assert overlap > 0.8, float(overlap)


def test_a_speck_on_the_page_is_not_part_of_the_digit():
    light = np.ones((240, 240))
    data = _page(1, light)
    page = np.asarray(Image.open(io.BytesIO(data)), dtype=np.uint8).copy()
    page[8:12, 8:12] = 0  # a crumb in the corner
    out = io.BytesIO()
    Image.fromarray(page).save(out, format="PNG")
    torch.testing.assert_close(load_image(out.getvalue()), load_image(data), atol=0.05, rtol=0)
