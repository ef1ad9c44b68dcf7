"""Example files of each signal kind, made in memory: for benchmarks, tests and demos."""

import io

import numpy as np
import soundfile as sf
from PIL import Image, ImageDraw, ImageFont

from .errors import InputError


def digit_png(digit: int = 7, side: int = 280, dark_on_light: bool = True) -> bytes:
    """A PNG of a digit written in a large font: what a phone photo of a note might look like."""
    ink, paper = (20, 20, 20), (235, 235, 225)
    if not dark_on_light:
        ink, paper = paper, ink
    image = Image.new("RGB", (side, side), paper)
    font = ImageFont.load_default(size=int(side * 0.8))
    ImageDraw.Draw(image).text((side / 2, side / 2), str(digit), fill=ink, font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def tone_wav(seconds: float = 2.0, sample_rate: int = 44100, channels: int = 2, subtype: str = "PCM_16") -> bytes:
    """A WAV of a voiced-sounding harmonic burst between silences (not speech: for timing only)."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    envelope = np.exp(-(((t - seconds / 2) / (seconds / 8)) ** 2))
    wave = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 6)) * envelope * 0.3
    buffer = io.BytesIO()
    sf.write(buffer, np.repeat(wave[:, None], channels, axis=1).astype(np.float32), sample_rate, format="WAV", subtype=subtype)
    return buffer.getvalue()


def scene_png(number: int = 0, side: int = 512) -> bytes:
    """A PNG of a shapes scene (the test split's ``number``), drawn at ``side`` pixels as a screenshot might be."""
    from .data import shapes

    objects, _ = shapes.scene("test", number)
    image = Image.fromarray(shapes.render(objects)).resize((side, side), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def question_txt(number: int = 0) -> bytes:
    """A text file holding the first question about the test split's scene ``number``."""
    from .data import shapes

    _, questions = shapes.scene("test", number)
    return (questions[0].text + "\n").encode()


def sample_file(kind: str) -> bytes:
    """A typical upload of signal ``kind``."""
    samples = {"image": digit_png, "audio": tone_wav, "scene": scene_png, "text": question_txt}
    if kind in samples:
        return samples[kind]()
    raise InputError(f"no sample file for signal kind {kind!r}")
