"""Corruptions per signal kind at a level in [0, 1], for robustness studies (after MultiBench).

Level 0 is the identity; level 1 leaves (almost) no signal. Every corruption takes a batch of
canonical signals and a level per sample, so training can draw a different level for each.
"""

from typing import Callable, List, Optional, Union

import torch

from ..errors import InputError
from ..registry import Registry

Corruption = Callable[[torch.Tensor, torch.Tensor, torch.Generator], torch.Tensor]
CORRUPTIONS: Registry[Corruption] = Registry("corruption")
LEVELS = tuple(round(0.1 * i, 1) for i in range(11))


def register_corruption(kind: str, name: str) -> Callable[[Corruption], Corruption]:
    """Register ``fn(signals, levels, generator)`` as corruption ``name`` of signal ``kind``."""
    return CORRUPTIONS.register(f"{kind}/{name}")


def list_corruptions(kind: str) -> List[str]:
    """Names of the corruptions registered for signals of ``kind`` ("image", "audio", ...)."""
    return [key.split("/", 1)[1] for key in CORRUPTIONS.names() if key.startswith(kind + "/")]


def corrupt(
    kind: str,
    name: str,
    signals: torch.Tensor,
    level: Union[float, torch.Tensor],
    generator: Optional[torch.Generator] = None,
) -> torch.Tensor:
    """Corrupt a batch of canonical signals (B, ...) at ``level`` (a float or one per sample)."""
    fn = CORRUPTIONS.get(f"{kind}/{name}")
    levels = torch.as_tensor(level, dtype=torch.float32).expand(signals.shape[0]).clone()
    if not bool(((levels >= 0) & (levels <= 1)).all()):
        raise InputError(f"corruption level must be in [0, 1], got {level}")
    if generator is None:
        generator = torch.Generator().manual_seed(0)
    out = fn(signals, levels.to(signals.device), generator)
    keep = (levels == 0).to(signals.device).view(-1, *([1] * (signals.dim() - 1)))
    return torch.where(keep, signals, out)


def per_sample(levels: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Reshape levels (B,) to broadcast against ``like`` (B, ...)."""
    return levels.view(-1, *([1] * (like.dim() - 1)))


def rand_like(like: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Uniform noise drawn on the CPU generator (reproducible on every device), moved to ``like``."""
    return torch.rand(like.shape, generator=generator).to(like.device)


def randn_like(like: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    return torch.randn(like.shape, generator=generator).to(like.device)


from . import audio, image, text  # noqa: E402,F401  (registers the corruptions)
