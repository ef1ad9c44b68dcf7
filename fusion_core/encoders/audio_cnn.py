"""A temporal CNN over log-mel spectrograms: mel bins are channels, convolution runs over time."""

import torch
from torch import nn

from . import register_encoder
from .base import Encoder, conv_block


@register_encoder("audio-cnn")
class AudioCNN(Encoder):
    """Three 1-D conv blocks over time (as in TC-ResNet-style keyword spotters); 1/4-rate tokens.

    Args:
        n_mels: mel bins of the input spectrogram (its channels).
        width: channels of every block and the token dim.
    """

    def __init__(self, n_mels: int = 40, width: int = 64) -> None:
        super().__init__()
        self.dim = self.stem_channels = width
        self.stem_layers = nn.Sequential(
            conv_block(nn.Conv1d(n_mels, width, 5, padding=2), width, nn.BatchNorm1d, nn.MaxPool1d(2)),
            conv_block(nn.Conv1d(width, width, 3, padding=1), width, nn.BatchNorm1d, nn.MaxPool1d(2)),
        )
        self.head_layers = conv_block(nn.Conv1d(width, width, 3, padding=1), width, nn.BatchNorm1d, nn.Identity())

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        """Inputs: x (B, n_mels, frames). Returns (B, width, frames // 4)."""
        return self.stem_layers(x)

    def head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head_layers(features).transpose(1, 2)

    @classmethod
    def tokenizer(cls, token_width: int, n_mels: int = 40, width: int = 64) -> Encoder:
        return FrameTokenizer(n_mels, token_width)


class FrameTokenizer(Encoder):
    """One narrow conv over time, then groups of 4 frames -> one token: 25 low-level tokens of 1 s."""

    def __init__(self, n_mels: int, width: int) -> None:
        super().__init__()
        self.dim = self.stem_channels = width
        self.layers = nn.Sequential(
            conv_block(nn.Conv1d(n_mels, 32, 3, padding=1), 32, nn.BatchNorm1d, nn.Identity()),
            nn.Conv1d(32, width, 4, stride=4),
        )

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)

    def head(self, features: torch.Tensor) -> torch.Tensor:
        return features.transpose(1, 2)
