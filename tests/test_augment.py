"""Training augmentation: same shapes, plausible values, real change, reproducible."""

import pytest
import torch

from fusion_core.augment import augment
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
