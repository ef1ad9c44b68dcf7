"""Typed errors that a person can act on.

Every error a user can cause (a bad upload, an unknown name, a missing dataset) is a
``FusionLabError``; its message says what went wrong and what to do about it, so a CLI or
UI can print ``str(error)`` and nothing else.
"""


class FusionLabError(Exception):
    """Base class of all errors a user can cause and fix."""


class InputError(FusionLabError, ValueError):
    """A user-supplied input (image, audio, option) cannot be used; the message says why."""


class UnknownNameError(FusionLabError, KeyError):
    """A name that no registry holds; the message lists the valid names."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DatasetMissingError(FusionLabError):
    """A dataset is not in the data directory and could not be downloaded."""


class ChecksumError(FusionLabError):
    """A downloaded file or a weights file does not match its pinned sha256."""


class ModelCardError(FusionLabError):
    """A pretrained model card is missing, malformed or does not match its weights."""
