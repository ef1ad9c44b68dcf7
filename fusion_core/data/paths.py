"""The data directory: one setting (``FUSIONLAB_DATA`` or ``--data-dir``) for every dataset."""

import os
from pathlib import Path
from typing import Optional, Union

DATA_DIR_ENV = "FUSIONLAB_DATA"
# Set to 0 to forbid downloads (air-gapped machines, CI): a missing dataset is then an error.
DOWNLOAD_ENV = "FUSIONLAB_DOWNLOAD"
DEFAULT_DATA_DIR = Path.home() / ".cache" / "fusionlab" / "datasets"


def resolve_data_dir(data_dir: Optional[Union[str, Path]] = None) -> Path:
    """The directory datasets are read from and downloaded into.

    Args:
        data_dir: an explicit directory (the CLI's ``--data-dir``); else ``$FUSIONLAB_DATA``;
            else ``~/.cache/fusionlab/datasets``.
    """
    chosen = data_dir or os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR
    return Path(chosen).expanduser().resolve()


def downloads_allowed() -> bool:
    """Whether a missing dataset may be fetched from its pinned URL."""
    return os.environ.get(DOWNLOAD_ENV, "1").strip().lower() not in ("0", "false", "no")
