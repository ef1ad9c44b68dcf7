"""Fetch a pinned file over HTTP(S) and verify its sha256 before anything reads it."""

import hashlib
import logging
import shutil
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Tuple

from tqdm.auto import tqdm

from ..errors import ChecksumError, DatasetMissingError

log = logging.getLogger(__name__)
TIMEOUT_S = 30
CHUNK = 1 << 16


@dataclass(frozen=True)
class RemoteFile:
    """A file published at one or more mirrors, pinned by size and sha256."""

    name: str
    urls: Tuple[str, ...]
    sha256: str
    size: int


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(remote: RemoteFile, dest: Path) -> Path:
    """Download ``remote`` to ``dest`` (trying each mirror), verify it, and return ``dest``.

    A file already at ``dest`` with the right hash is reused. Nothing unverified is left at
    ``dest``: the download goes to a temporary file that is renamed only after its hash matched.

    Raises:
        DatasetMissingError: every mirror failed (offline machine, moved file).
        ChecksumError: a mirror served bytes that do not match the pinned sha256.
    """
    if dest.exists() and sha256_file(dest) == remote.sha256:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    errors = []
    for url in remote.urls:
        with tempfile.NamedTemporaryFile(dir=dest.parent, prefix=f".{remote.name}.", delete=False) as tmp:
            tmp_path = Path(tmp.name)
            try:
                _stream(url, tmp, remote)
            except OSError as error:  # URLError, HTTPError and socket timeouts are OSErrors
                errors.append(f"{url}: {error}")
                tmp.close()
                tmp_path.unlink(missing_ok=True)
                continue
        got = sha256_file(tmp_path)
        if got != remote.sha256:
            tmp_path.unlink(missing_ok=True)
            raise ChecksumError(
                f"{url} served a file whose sha256 is {got}, not the pinned {remote.sha256}; "
                "the mirror changed or the download was tampered with, so it was discarded"
            )
        shutil.move(str(tmp_path), dest)
        return dest
    raise DatasetMissingError(f"could not download {remote.name}: " + "; ".join(errors))


def _stream(url: str, out, remote: RemoteFile) -> None:
    log.info("downloading %s", url)
    request = urllib.request.Request(url, headers={"User-Agent": "fusionlab"})
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
        with tqdm(total=remote.size, unit="B", unit_scale=True, desc=remote.name, leave=False, disable=None) as bar:
            for block in iter(lambda: response.read(CHUNK), b""):
                out.write(block)
                bar.update(len(block))
