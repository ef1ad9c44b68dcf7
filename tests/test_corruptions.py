"""Corruptions: level 0 is the identity, level 1 leaves (almost) no signal, damage grows with the level."""

import pytest
import torch

from fusion_core.corruptions import LEVELS, corrupt, list_corruptions
from fusion_core.errors import InputError

SIGNALS = {
    "image": lambda g: (torch.rand(64, 28, 28, generator=g) > 0.7).float(),
    "audio": lambda g: 0.1 * torch.sin(torch.arange(8000) * 0.2).repeat(64, 1) * (1 + torch.rand(64, 1, generator=g)),
}
CASES = [(kind, name) for kind in SIGNALS for name in list_corruptions(kind)]


def similarity(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean per-sample correlation with the clean signal (0 when nothing is left)."""
    a, b = a.flatten(1), b.flatten(1)
    a, b = a - a.mean(1, keepdim=True), b - b.mean(1, keepdim=True)
    denominator = (a.norm(dim=1) * b.norm(dim=1)).clamp_min(1e-12)
    return float(((a * b).sum(1) / denominator).mean())


def test_each_kind_has_the_corruptions_the_issue_names():
    assert {"gaussian_noise", "salt_pepper", "occlusion"} <= set(list_corruptions("image"))
    assert {"white_noise", "dropout"} <= set(list_corruptions("audio"))


@pytest.mark.parametrize("kind, name", CASES)
def test_level_zero_is_the_identity(kind, name):
    clean = SIGNALS[kind](torch.Generator().manual_seed(0))
    assert torch.equal(corrupt(kind, name, clean, 0.0), clean)


@pytest.mark.parametrize("kind, name", CASES)
def test_damage_grows_with_level_and_level_one_leaves_nothing(kind, name):
    clean = SIGNALS[kind](torch.Generator().manual_seed(0))
    scores = [similarity(corrupt(kind, name, clean, level, torch.Generator().manual_seed(1)), clean) for level in LEVELS]
    assert scores[0] == pytest.approx(1.0)
    assert all(later <= earlier + 0.02 for earlier, later in zip(scores, scores[1:])), scores
    assert scores[-1] < 0.12, scores


@pytest.mark.parametrize("kind, name", CASES)
def test_per_sample_levels_and_reproducibility(kind, name):
    clean = SIGNALS[kind](torch.Generator().manual_seed(0))[:4]
    levels = torch.tensor([0.0, 0.2, 0.6, 1.0])
    first = corrupt(kind, name, clean, levels, torch.Generator().manual_seed(5))
    again = corrupt(kind, name, clean, levels, torch.Generator().manual_seed(5))
    assert torch.equal(first, again) and torch.equal(first[0], clean[0])
    assert first.shape == clean.shape and torch.isfinite(first).all()


def test_levels_outside_zero_one_are_refused():
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        corrupt("image", "occlusion", torch.zeros(1, 28, 28), 1.5)
