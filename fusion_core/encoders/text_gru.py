"""A bidirectional GRU over a question's words."""

import torch
from torch import nn

from . import register_encoder
from .base import Encoder


@register_encoder("text-gru")
class TextGRU(Encoder):
    """Word embeddings, then a bidirectional GRU: one token per word position, each aware of the whole question.

    The model input is one-hot rows (B, max_tokens, vocab_size), padding rows all zero, so that the
    embedding is a linear map of the input and attributions reach each word without hooks.

    Args:
        vocab_size: rows of the embedding (the task's vocabulary, padding and unknown included).
        width: embedding and token dim (the GRU runs width/2 units each way).
    """

    def __init__(self, vocab_size: int, width: int = 64) -> None:
        super().__init__()
        self.dim = self.stem_channels = width
        self.embed = nn.Linear(vocab_size, width, bias=False)
        self.gru = nn.GRU(width, width // 2, batch_first=True, bidirectional=True)

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        """Inputs: x (B, L, vocab_size) one-hot words. Returns embeddings (B, width, L)."""
        return self.embed(x).transpose(1, 2)

    def head(self, features: torch.Tensor) -> torch.Tensor:
        words = features.transpose(1, 2)
        if words.is_cuda and not self.training and torch.is_grad_enabled():
            # cuDNN differentiates an RNN only in training mode, and gradients do pass through this one in
            # eval mode: frozen encoders under a trained fusion head, Integrated Gradients in Explain.
            # PyTorch's own GRU kernels compute the same and differentiate in either mode.
            with torch.backends.cudnn.flags(enabled=False):
                tokens, _ = self.gru(words)
            return tokens
        tokens, _ = self.gru(words)
        return tokens

    @classmethod
    def tokenizer(cls, token_width: int, vocab_size: int = 0, width: int = 64) -> Encoder:
        return _WordTokenizer(vocab_size, token_width)


class _WordTokenizer(Encoder):
    """Word embeddings alone: one low-level token per word, for input-level fusion."""

    def __init__(self, vocab_size: int, width: int) -> None:
        super().__init__()
        self.dim = self.stem_channels = width
        self.embed = nn.Linear(vocab_size, width, bias=False)

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        return self.embed(x).transpose(1, 2)

    def head(self, features: torch.Tensor) -> torch.Tensor:
        return features.transpose(1, 2)
