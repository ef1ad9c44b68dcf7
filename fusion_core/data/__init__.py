"""Datasets: where they live, how they are fetched and verified, how they are read."""

from .paths import DATA_DIR_ENV, DOWNLOAD_ENV, resolve_data_dir

__all__ = ["DATA_DIR_ENV", "DOWNLOAD_ENV", "resolve_data_dir"]
