"""Device selection: CUDA when present, the CPU otherwise; the caller always decides."""

import os
from functools import lru_cache

import torch

from .errors import InputError

DEVICE_CHOICES = ("auto", "cpu", "cuda")
THREADS_ENV = "FUSIONLAB_THREADS"


@lru_cache(maxsize=1)
def configure_threads() -> int:
    """Set torch's intra-op threads once per process: ``$FUSIONLAB_THREADS``, else 1. Returns the number.

    A served app runs each session's models on its own thread; with torch's default (a thread per
    core) every session's matrix products fan out over every core and contend with the others'. The
    zoo's models are small: on 2 cores, one thread runs all 15 digits-av models in 15.5 ms against
    14.4 ms with two, and shapes-vqa's in 29 ms against 38 ms (README "Performance").
    """
    value = os.environ.get(THREADS_ENV, "1").strip()
    if not value.isdigit() or int(value) < 1:
        raise InputError(f"{THREADS_ENV}={value!r}: give a whole number of threads, 1 or more")
    torch.set_num_threads(int(value))
    return int(value)


def pick_device(preference: str = "auto") -> torch.device:
    """Resolve ``auto``/``cpu``/``cuda`` to a usable ``torch.device``.

    Args:
        preference: ``auto`` takes CUDA when available; ``cuda`` without a GPU is an error.
    """
    if preference not in DEVICE_CHOICES:
        raise InputError(f"unknown device {preference!r}; choose one of: {', '.join(DEVICE_CHOICES)}")
    if preference == "cuda" and not torch.cuda.is_available():
        raise InputError("device 'cuda' was asked for, but no CUDA GPU is visible; use 'cpu' or 'auto'")
    if preference == "cpu" or not torch.cuda.is_available():
        return torch.device("cpu")
    return torch.device("cuda")


def describe_device(device: torch.device) -> str:
    """A human-readable device name: the GPU model, or ``CPU (N threads)``."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    threads = torch.get_num_threads()
    return f"CPU ({threads} thread{'s' if threads != 1 else ''})"
