"""Device selection: CUDA when present, the CPU otherwise; the caller always decides."""

import torch

from .errors import InputError

DEVICE_CHOICES = ("auto", "cpu", "cuda")


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
    return f"CPU ({torch.get_num_threads()} threads)"
