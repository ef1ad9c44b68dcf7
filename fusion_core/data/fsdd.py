"""Free Spoken Digit Dataset (Z. Jackson et al., CC BY-SA 4.0), release v1.0.9.

2,500 recordings ``{digit}_{speaker}_{take}.wav`` (mono 16-bit, 8 kHz), five speakers, 50 takes
of each digit each. The dataset's own split: takes 0-4 test, 5-49 train.
"""

import hashlib
import re
import tarfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import List, Tuple

from ..errors import ChecksumError, DatasetMissingError
from .download import RemoteFile, fetch
from .paths import DATA_DIR_ENV, DOWNLOAD_ENV, downloads_allowed

FSDD_SUBDIR = Path("fsdd") / "recordings"
FSDD_ARCHIVE = RemoteFile(
    name="free-spoken-digit-dataset-1.0.9.tar.gz",
    urls=("https://github.com/Jakobovski/free-spoken-digit-dataset/archive/v1.0.9.tar.gz",),
    # As published by TensorFlow Datasets (datasets/spoken_digit/checksums.tsv).
    sha256="8bc44cde129d505cbbb6b365c09f80c663f2aa77578afc634e6141a2f87100c0",
    size=11975353,
)
SPEAKERS: Tuple[str, ...] = ("george", "jackson", "nicolas", "theo", "yweweler")
TAKES_PER_DIGIT = 50
TEST_TAKES = range(0, 5)
# sha256 over "name\0sha256(file)\n" for the 2,500 files in name order: one pin for the whole set.
CONTENT_SHA256 = "11110d6e58039066ecf4dc9ce1757ef101ff489d0a87a6525fac1d8eab60cd89"
_NAME = re.compile(r"^(\d)_([a-z]+)_(\d+)\.wav$")


@dataclass(frozen=True)
class Recording:
    """One FSDD recording and what its file name says about it."""

    path: Path
    digit: int
    speaker: str
    take: int

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def is_test(self) -> bool:
        return self.take in TEST_TAKES


@lru_cache(maxsize=4)
def list_recordings(data_dir: Path) -> Tuple[Recording, ...]:
    """Every recording of the five pinned speakers, verified, in file-name order."""
    root = data_dir / FSDD_SUBDIR
    if not root.is_dir():
        _download(data_dir)
    paths = sorted(p for p in root.glob("*.wav") if _speaker_of(p) in SPEAKERS)
    expected = len(SPEAKERS) * 10 * TAKES_PER_DIGIT
    if len(paths) != expected:
        raise DatasetMissingError(
            f"{root} holds {len(paths)} recordings of the speakers {', '.join(SPEAKERS)}, "
            f"not the {expected} of FSDD v1.0.9; replace it with a full copy of the release's recordings/"
        )
    if _content_digest(paths) != CONTENT_SHA256:
        raise ChecksumError(f"the recordings in {root} differ from FSDD v1.0.9 (content sha256 mismatch)")
    recordings: List[Recording] = []
    for path in paths:
        digit, speaker, take = _NAME.match(path.name).groups()  # type: ignore[union-attr]
        recordings.append(Recording(path=path, digit=int(digit), speaker=speaker, take=int(take)))
    return tuple(recordings)


def _speaker_of(path: Path) -> str:
    match = _NAME.match(path.name)
    return match.group(2) if match else ""


def _content_digest(paths: List[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).hexdigest().encode() + b"\n")
    return digest.hexdigest()


def _download(data_dir: Path) -> None:
    root = data_dir / FSDD_SUBDIR
    if not downloads_allowed():
        raise DatasetMissingError(
            f"the Free Spoken Digit Dataset is not in {root}. Copy the release's recordings/*.wav there "
            f"(or point {DATA_DIR_ENV} / --data-dir at a directory holding fsdd/recordings/), or allow "
            f"the download from {FSDD_ARCHIVE.urls[0]} by unsetting {DOWNLOAD_ENV}=0."
        )
    archive = fetch(FSDD_ARCHIVE, data_dir / "downloads" / FSDD_ARCHIVE.name)
    staging = root.with_name(".recordings-partial")
    staging.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            name = Path(member.name).name
            # Only plain files named like recordings; nothing the archive says about paths is trusted.
            if member.isfile() and Path(member.name).parent.name == "recordings" and _NAME.match(name):
                (staging / name).write_bytes(tar.extractfile(member).read())  # type: ignore[union-attr]
    staging.rename(root)
