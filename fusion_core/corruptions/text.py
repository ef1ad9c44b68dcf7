"""Text corruptions on canonical questions: token ids (B, L), 0 = padding, 1 = a lost (unknown) word."""

import torch

from . import rand_like, register_corruption

PAD, UNKNOWN = 0, 1


def _compact(tokens: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Each row's kept tokens moved to the front, in order, padded with 0."""
    out = torch.zeros_like(tokens)
    for row in range(tokens.shape[0]):
        kept = tokens[row][keep[row]]
        out[row, : kept.numel()] = kept
    return out


@register_corruption("text", "word_dropout")
def word_dropout(tokens: torch.Tensor, levels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Leave out each word with chance ``level``: a hurried, telegraphic question."""
    words = tokens != PAD
    lost = rand_like(tokens.float(), generator) < levels.view(-1, 1)
    return _compact(tokens, words & ~lost)


@register_corruption("text", "word_swap")
def word_swap(tokens: torch.Tensor, levels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Swap each word with the next one with chance ``level``, left to right: scrambled word order."""
    out = tokens.clone()
    rolls = rand_like(tokens.float(), generator)
    lengths = (tokens != PAD).sum(dim=1).tolist()
    for row, length in enumerate(lengths):
        for i in range(length - 1):
            if rolls[row, i] < levels[row]:
                out[row, i], out[row, i + 1] = out[row, i + 1].clone(), out[row, i].clone()
    return out


@register_corruption("text", "typo")
def typo(tokens: torch.Tensor, levels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Misspell each word with chance ``level``: a misspelt word is one the model cannot read (unknown)."""
    hit = (rand_like(tokens.float(), generator) < levels.view(-1, 1)) & (tokens != PAD)
    return torch.where(hit, torch.full_like(tokens, UNKNOWN), tokens)
