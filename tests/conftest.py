"""Shared fixtures: the data directory and a tiny synthetic task."""

import os
from pathlib import Path

import pytest
import torch

from fusion_core.data import resolve_data_dir
from helpers import SyntheticTask

# AppTest runs app.py inside this process, and the app sets torch's threads for its process (default 1, right
# for a server's many sessions); the tests keep torch's own default so that training and evaluation use every core.
os.environ.setdefault("FUSIONLAB_THREADS", str(torch.get_num_threads()))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The data directory as the project resolves it ($FUSIONLAB_DATA; CI points it at ../shared/datasets).

    Where the datasets are missing and downloads are allowed they are fetched (pinned and checked);
    otherwise the tests that need them fail with the loader's message saying where to put them.
    """
    return resolve_data_dir()


@pytest.fixture
def synthetic_task() -> SyntheticTask:
    return SyntheticTask()
