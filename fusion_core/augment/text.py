"""Question augmentation: people leave words out; the templates already vary the phrasing."""

import torch

from . import AUGMENTATIONS

P_DROP_ONE = 0.2  # chance a question loses one word at random


@AUGMENTATIONS.register("text")
def augment_questions(tokens: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """With chance P_DROP_ONE, drop one random word of a question (the rest move up).

    Args:
        tokens: (B, L) token ids, 0 = padding.
    """
    out = tokens.clone()
    lengths = (tokens != 0).sum(dim=1)
    rolls = torch.rand(tokens.shape[0], generator=generator)
    picks = torch.rand(tokens.shape[0], generator=generator)
    for row in torch.nonzero((rolls < P_DROP_ONE) & (lengths > 1)).flatten().tolist():
        length = int(lengths[row])
        lost = int(picks[row] * length)
        kept = torch.cat([tokens[row, :lost], tokens[row, lost + 1 : length]])
        out[row] = 0
        out[row, : kept.numel()] = kept
    return out
