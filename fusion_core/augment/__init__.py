"""Training-time augmentation per signal kind: what users' inputs look like, not the datasets'.

People draw digits with a mouse (thick, even, hard-edged strokes) and speak into laptop
microphones (other voices and speeds, room echo, hum, background noise), so training sees that.
"""

from typing import Callable

import torch

from ..registry import Registry

Augmentation = Callable[[torch.Tensor, torch.Generator], torch.Tensor]
AUGMENTATIONS: Registry[Augmentation] = Registry("augmentation")
# Augmentations of the model's features rather than of the signal (a warp of the spectrogram's
# frequency axis, which the signal path cannot do cheaply); applied after featurizing.
FEATURE_AUGMENTATIONS: Registry[Augmentation] = Registry("feature augmentation")


def _apply(registry: Registry[Augmentation], kind: str, batch: torch.Tensor, generator: torch.Generator):
    if kind not in registry:
        return batch
    return registry.get(kind)(batch, generator)


def augment(kind: str, signals: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Augment a batch of canonical signals of ``kind``; kinds without an augmentation pass through."""
    return _apply(AUGMENTATIONS, kind, signals, generator)


def augment_features(kind: str, features: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Augment a batch of featurized inputs of ``kind``; kinds without a feature augmentation pass through."""
    return _apply(FEATURE_AUGMENTATIONS, kind, features, generator)


from . import audio, image, scene, text  # noqa: E402,F401  (registers the augmentations)
