"""Training augmentation: same shapes, plausible values, real change, reproducible."""

import pytest
import torch

from fusion_core.augment import audio as audio_augment
from fusion_core.augment import augment, augment_features
from fusion_core.augment.audio import warp_vocal_tract
from fusion_core.preprocess.audio import TARGET_RMS


def signals(kind: str) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    if kind == "image":
        images = torch.zeros(32, 28, 28)
        images[:, 6:22, 12:16] = 1.0
        return images
    return 0.1 * torch.sin(torch.arange(8000) * 0.3).repeat(32, 1) + 0.01 * torch.randn(32, 8000, generator=g)


@pytest.mark.parametrize("kind", ["image", "audio"])
def test_augmentation_changes_but_keeps_form(kind):
    clean = signals(kind)
    out = augment(kind, clean, torch.Generator().manual_seed(1))
    assert out.shape == clean.shape and torch.isfinite(out).all()
    assert not torch.allclose(out, clean, atol=1e-3)
    if kind == "image":
        assert float(out.min()) >= 0 and float(out.max()) <= 1
        assert float(out.sum(dim=(1, 2)).min()) > 10  # the stroke survives
    else:
        assert torch.allclose(out.pow(2).mean(1).sqrt(), torch.full((32,), TARGET_RMS), atol=1e-3)


@pytest.mark.parametrize("kind", ["image", "audio"])
def test_augmentation_is_reproducible(kind):
    a = augment(kind, signals(kind), torch.Generator().manual_seed(3))
    b = augment(kind, signals(kind), torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_unknown_kinds_pass_through():
    x = torch.arange(6.0)
    assert torch.equal(augment("smell", x, torch.Generator()), x)


def test_vocal_tract_warp_moves_energy_along_the_mel_axis():
    spectrogram = torch.zeros(3, 40, 5)
    spectrogram[:, 10] = 1.0  # one lit band
    out = warp_vocal_tract(spectrogram, torch.tensor([1.0, 1.2, 0.85]))
    assert torch.equal(out[0], spectrogram[0])
    lit = out.sum(-1).argmax(1).tolist()
    assert lit[1] == 12 and lit[2] in (8, 9)  # a longer tract moves formants up, a shorter one down
    assert torch.isfinite(out).all() and out.shape == spectrogram.shape


def test_spectrogram_augmentation_keeps_unit_deviation():
    features = torch.randn(8, 40, 32)
    out = augment_features("audio", features, torch.Generator().manual_seed(0))
    assert out.shape == features.shape and not torch.allclose(out, features)
    assert torch.allclose(out.std(dim=(-2, -1)), torch.ones(8), atol=1e-2)
    assert torch.equal(augment_features("image", features, torch.Generator()), features)


def test_clipping_flattens_the_peaks():
    wave = 0.1 * torch.sin(torch.arange(8000) * 0.3).repeat(4, 1)
    out = audio_augment._clip(wave, torch.Generator().manual_seed(0))
    assert float(out.abs().max()) == 1.0
    assert float((out.abs() == 1.0).float().mean()) > 0.05  # a clipped sine spends time at full scale


def test_a_gap_silences_one_stretch():
    wave = torch.ones(6, 8000)
    out = audio_augment._silence_a_stretch(wave, torch.Generator().manual_seed(0))
    silent = (out == 0).sum(1)
    assert bool(((silent >= audio_augment.GAP_SAMPLES[0]) & (silent <= audio_augment.GAP_SAMPLES[1])).all())
    for row in out:  # one contiguous stretch
        zeros = torch.nonzero(row == 0).flatten()
        assert int(zeros[-1] - zeros[0]) + 1 == len(zeros)
