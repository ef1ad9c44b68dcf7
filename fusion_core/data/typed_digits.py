"""Digits as people give them: typed in a typeface, on paper and photographed, or drawn thick on a canvas.

A seeded generator of image files (the bytes a person would upload), for measuring the image path on
inputs no model was trained on. Each sample is one digit in one typeface under one condition:

- typefaces: Pillow's built-in scalable face and the DejaVu and Liberation families, where the machine
  has them (their files are looked up, never shipped); which ones were found is part of a set's record.
- conditions: ``clean`` (dark type on white, a screenshot), ``paper`` (off-white paper, uneven light,
  sensor noise, JPEG), ``lined`` (lined paper, blue ink, photographed), ``shadow`` (a hand's soft shadow
  across the page), ``canvas`` (a thick white-on-black stroke, as a drawing canvas gives).

Every sample is rotated slightly, seen with a slight perspective, placed off-centre with wide margins
and saved as PNG, JPEG, WebP or BMP. ``HELD_OUT_FACES`` and ``HELD_OUT_CONDITIONS`` are never to be used
for training (augmentation may draw on the others); the held-out set is made from them alone.
"""

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

SEED = 20261123
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts", Path("/Library/Fonts"))
# face -> font file name (searched under FONT_DIRS); "builtin" is Pillow's own scalable face.
FACES: Dict[str, Optional[str]] = {
    "builtin": None,
    "dejavu-sans": "DejaVuSans.ttf",
    "dejavu-sans-bold": "DejaVuSans-Bold.ttf",
    "dejavu-sans-mono": "DejaVuSansMono.ttf",
    "dejavu-serif": "DejaVuSerif.ttf",
    "dejavu-serif-italic": "DejaVuSerif-Italic.ttf",
    "liberation-sans": "LiberationSans-Regular.ttf",
    "liberation-sans-narrow-bold": "LiberationSansNarrow-Bold.ttf",
    "liberation-serif": "LiberationSerif-Regular.ttf",
    "liberation-serif-bold-italic": "LiberationSerif-BoldItalic.ttf",
    "liberation-mono": "LiberationMono-Regular.ttf",
    "dejavu-sans-mono-bold-oblique": "DejaVuSansMono-BoldOblique.ttf",
}
HELD_OUT_FACES = ("liberation-serif", "liberation-serif-bold-italic", "liberation-mono", "dejavu-sans-mono-bold-oblique")
CONDITIONS = ("clean", "paper", "lined", "shadow", "canvas")
HELD_OUT_CONDITIONS = ("lined", "shadow")
TRAINING_FACES = tuple(f for f in FACES if f not in HELD_OUT_FACES)
TRAINING_CONDITIONS = tuple(c for c in CONDITIONS if c not in HELD_OUT_CONDITIONS)
TRAINING_SEED = SEED + 1  # a different draw from the held-out set's, on the training faces and conditions
FORMATS = ("PNG", "JPEG", "WEBP", "BMP")
SIDE = 256  # pixels of the photographed page around one digit


@dataclass(frozen=True)
class TypedDigit:
    digit: int
    face: str
    condition: str
    format: str
    data: bytes  # the file, as uploaded


@lru_cache(maxsize=1)
def available_faces() -> Dict[str, Optional[Path]]:
    """The faces this machine can draw: name -> font file (None: Pillow's built-in)."""
    found: Dict[str, Optional[Path]] = {"builtin": None}
    for face, filename in FACES.items():
        if filename is None:
            continue
        for root in FONT_DIRS:
            hits = sorted(root.rglob(filename)) if root.is_dir() else []
            if hits:
                found[face] = hits[0]
                break
    return found


def _font(face: str, size: int) -> ImageFont.FreeTypeFont:
    path = available_faces()[face]
    return ImageFont.load_default(size=size) if path is None else ImageFont.truetype(str(path), size)


def _paper(rng: np.random.Generator, condition: str) -> np.ndarray:
    """The page (SIDE, SIDE, 3) in [0, 1] before the ink."""
    if condition == "canvas":
        return np.zeros((SIDE, SIDE, 3))
    if condition == "clean":
        return np.ones((SIDE, SIDE, 3))
    tint = np.array([1.0, 0.97, 0.9]) * rng.uniform(0.85, 0.97)  # off-white, warm
    page = np.ones((SIDE, SIDE, 3)) * tint
    if condition == "lined":
        gap, start = int(rng.integers(22, 34)), int(rng.integers(0, 20))
        for y in range(start, SIDE, gap):
            page[y : y + 2] = page[y : y + 2] * np.array([0.75, 0.85, 1.0])
    return page


def _light(rng: np.random.Generator, condition: str) -> np.ndarray:
    """Multiplicative light over the page (SIDE, SIDE, 1): a gradient, and a soft shadow for ``shadow``."""
    if condition in ("clean", "canvas"):
        return np.ones((SIDE, SIDE, 1))
    ys, xs = np.mgrid[0:SIDE, 0:SIDE] / SIDE
    angle = rng.uniform(0, 2 * np.pi)
    light = 1.0 - rng.uniform(0.1, 0.3) * (np.cos(angle) * xs + np.sin(angle) * ys)
    if condition == "shadow":
        edge = rng.uniform(0.25, 0.75)
        tilt = rng.uniform(-0.5, 0.5)
        light = light * (1.0 - rng.uniform(0.3, 0.5) / (1.0 + np.exp(-(xs - edge - tilt * ys) * 25)))
    return light[..., None]


def _perspective(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A slight perspective: the page's corners moved by up to 6% of its side; what comes into view is more page."""
    w, h = image.size
    jitter = rng.uniform(-0.06, 0.06, size=8) * np.array([w, h] * 4)
    corners = np.array([0, 0, w, 0, w, h, 0, h], dtype=float) + jitter
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=float)
    dst = corners.reshape(4, 2)
    rows = []
    for (x, y), (u, v) in zip(dst, src):  # map output (x, y) to input (u, v)
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y, u])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y, v])
    a = np.array(rows)
    coefficients = np.linalg.solve(a[:, :8], a[:, 8])
    fill = tuple(int(v) for v in np.median(np.asarray(image).reshape(-1, 3), axis=0))
    return image.transform((w, h), Image.Transform.PERSPECTIVE, tuple(coefficients), Image.Resampling.BICUBIC, fillcolor=fill)


def render(digit: int, face: str, condition: str, fmt: str, rng: np.random.Generator) -> bytes:
    """One digit as an image file."""
    canvas = condition == "canvas"
    size = int(rng.uniform(0.25, 0.5) * SIDE)
    ink_layer = Image.new("L", (SIDE, SIDE), 0)
    draw = ImageDraw.Draw(ink_layer)
    centre = (SIDE / 2 + rng.uniform(-0.2, 0.2) * SIDE, SIDE / 2 + rng.uniform(-0.2, 0.2) * SIDE)
    stroke = int(size * rng.uniform(0.03, 0.07)) if canvas else 0
    draw.text(centre, str(digit), fill=255, font=_font(face, size), anchor="mm", stroke_width=stroke, stroke_fill=255)
    ink_layer = ink_layer.rotate(rng.uniform(-10, 10), resample=Image.Resampling.BICUBIC, center=centre)
    if not canvas:
        ink_layer = ink_layer.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))  # focus and print
    ink = np.asarray(ink_layer, dtype=np.float64)[..., None] / 255.0
    if canvas:
        colour = np.ones(3)
    elif condition == "lined":
        colour = np.array([0.1, 0.15, 0.55]) * rng.uniform(0.8, 1.2)  # blue ballpoint
    else:
        colour = np.full(3, rng.uniform(0.0, 0.2))  # black to dark grey
    page = _paper(rng, condition) * (1 - ink) + colour * ink
    page = page * _light(rng, condition)
    if condition not in ("clean", "canvas"):
        page = page + rng.normal(0, 0.02, page.shape)
    image = Image.fromarray((np.clip(page, 0, 1) * 255).round().astype(np.uint8), "RGB")
    if condition not in ("clean", "canvas"):
        image = _perspective(image, rng)
    out = io.BytesIO()
    options = {"quality": int(rng.integers(55, 90))} if fmt in ("JPEG", "WEBP") else {}
    image.save(out, format=fmt, **options)
    return out.getvalue()


def generate(count: int, faces: Sequence[str], conditions: Sequence[str], seed: int = SEED) -> List[TypedDigit]:
    """``count`` samples, digits 0-9 in turn, faces and conditions drawn at random from those given."""
    usable = [f for f in faces if f in available_faces()]
    if not usable:
        raise ValueError(f"none of the faces {', '.join(faces)} is installed here")
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        face = usable[int(rng.integers(len(usable)))]
        condition = conditions[int(rng.integers(len(conditions)))]
        fmt = FORMATS[int(rng.integers(len(FORMATS)))]
        out.append(TypedDigit(i % 10, face, condition, fmt, render(i % 10, face, condition, fmt, rng)))
    return out


def training_set(count: int) -> List[TypedDigit]:
    """Samples for augmentation: the training faces under the training conditions only."""
    return generate(count, TRAINING_FACES, TRAINING_CONDITIONS, seed=TRAINING_SEED)


def held_out_set(count: int = 1000, draw: int = 0) -> Tuple[List[TypedDigit], Dict[str, object]]:
    """The held-out set: held-out faces under every condition, and every face under the held-out conditions.

    ``draw`` picks an independent set from the same faces and conditions: draw 0 is the set whose failures
    were looked at while the loader was being mended; draw 1 was first used to measure the result.
    Returns the samples and their record (the faces this machine had, the seed, the draw), for a report.
    """
    held = list(HELD_OUT_FACES)
    rng = np.random.default_rng([SEED, 1 + draw])
    half = count // 2
    first = generate(half, held, CONDITIONS, seed=int(rng.integers(2**31)))
    second = generate(count - half, list(FACES), HELD_OUT_CONDITIONS, seed=int(rng.integers(2**31)))
    record = {
        "seed": SEED,
        "draw": draw,
        "count": count,
        "faces_found": sorted(available_faces()),
        "held_out_faces": [f for f in held if f in available_faces()],
        "held_out_conditions": list(HELD_OUT_CONDITIONS),
    }
    return first + second, record
