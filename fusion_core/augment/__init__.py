"""Training-time augmentation per signal kind: what users' inputs look like, not the datasets'.

People draw digits with a mouse (thick, even, hard-edged strokes) and speak into laptop
microphones (other voices and speeds, room echo, hum, background noise), so training sees that.
"""

from typing import Callable

import torch

from ..registry import Registry

Augmentation = Callable[[torch.Tensor, torch.Generator], torch.Tensor]
AUGMENTATIONS: Registry[Augmentation] = Registry("augmentation")


def augment(kind: str, signals: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Augment a batch of canonical signals of ``kind``; kinds without an augmentation pass through."""
    if kind not in AUGMENTATIONS:
        return signals
    return AUGMENTATIONS.get(kind)(signals, generator)


from . import audio, image, scene, text  # noqa: E402,F401  (registers the augmentations)
