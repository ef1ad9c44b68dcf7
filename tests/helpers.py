"""Test helpers: small encoder specs and a synthetic, learnable task on generated data."""

import math
from pathlib import Path
from typing import Dict, Optional

import torch

from fusion_core.config import TrainConfig
from fusion_core.encoders import EncoderSpec
from fusion_core.preprocess.audio import CLIP_SAMPLES, N_MELS, SAMPLE_RATE, log_mel
from fusion_core.tasks import Modality, PairedData, Task
from fusion_core.tasks.digit_pairs import featurize_images


def tiny_specs() -> Dict[str, EncoderSpec]:
    return {
        "audio": EncoderSpec("audio-cnn", {"n_mels": N_MELS, "width": 8}),
        "image": EncoderSpec("image-cnn", {"in_channels": 1, "widths": (4, 8, 8)}),
    }


def _not_loaded(data: bytes) -> torch.Tensor:
    raise NotImplementedError


class SyntheticTask(Task):
    """Four classes; the image shows a bar at a class-dependent height, the audio a class-dependent tone.

    Each modality alone carries the label, and a quarter of the samples have one modality
    replaced by noise, so that fusing both is measurably better than either.
    """

    name = "synthetic"
    title = "Synthetic bars and tones"
    description = "generated data for tests"
    labels = ("a", "b", "c", "d")
    group_kind = "seed"
    groups = ("g0", "g1")
    unimodal_recipe = TrainConfig(epochs=3, modality_dropout=0.0, augment=False, corrupt_prob=0.0)
    fusion_recipe = TrainConfig(epochs=3, pretrained_encoders=True, freeze_encoders=True, augment=False, corrupt_prob=0.0)
    scratch_recipe = TrainConfig(epochs=3, augment=False, corrupt_prob=0.0)

    def __init__(self, size: int = 192) -> None:
        specs = tiny_specs()
        self.size = size
        self.modalities = (
            Modality("image", "image", specs["image"], _not_loaded, featurize_images, ("png",), (28, 28)),
            Modality("audio", "audio", specs["audio"], _not_loaded, log_mel, ("wav",), (CLIP_SAMPLES,)),
        )

    def load(self, split: str, data_dir: Path, seed: int = 0, holdout: Optional[str] = None) -> PairedData:
        generator = torch.Generator().manual_seed({"train": 1, "val": 2, "test": 3}[split] * 1000 + seed)
        labels = torch.arange(self.size) % len(self.labels)
        images = torch.rand(self.size, 28, 28, generator=generator) * 0.2
        for i, label in enumerate(labels.tolist()):
            images[i, 4 + 6 * label : 7 + 6 * label, 4:24] = 1.0
        t = torch.arange(CLIP_SAMPLES) / SAMPLE_RATE
        tones = torch.stack([torch.sin(2 * math.pi * (300 + 400 * label) * t) for label in labels.tolist()]) * 0.1
        audio = tones + 0.01 * torch.randn(self.size, CLIP_SAMPLES, generator=generator)
        noisy = torch.rand(self.size, generator=generator) < 0.25
        which = torch.rand(self.size, generator=generator) < 0.5
        images[noisy & which] = torch.rand(int((noisy & which).sum()), 28, 28, generator=generator)
        audio[noisy & ~which] = 0.1 * torch.randn(int((noisy & ~which).sum()), CLIP_SAMPLES, generator=generator)
        rows = torch.arange(self.size)
        ids = {m: [f"{split}-{i}" for i in range(self.size)] for m in ("image", "audio")}
        return PairedData({"image": images, "audio": audio}, {"image": rows, "audio": rows}, labels, ids)

    def provenance(self) -> dict:
        return {"generated": "tests/conftest.py SyntheticTask"}
