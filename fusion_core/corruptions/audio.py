"""Audio corruptions on canonical clips (B, samples)."""

import torch
import torchaudio.functional as AF

from . import per_sample, rand_like, randn_like, register_corruption

SNR_AT_LEVEL_0_DB = 30.0  # the first step above the identity
SNR_AT_LEVEL_1_DB = -20.0  # speech buried 20 dB under the noise
DROPOUT_CHUNK = 160  # 20 ms at 8 kHz, a typical lost network packet


@register_corruption("audio", "white_noise")
def white_noise(waves: torch.Tensor, levels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Add white noise at an SNR falling linearly from 30 dB to -20 dB as the level goes 0 -> 1."""
    snr = SNR_AT_LEVEL_0_DB + (SNR_AT_LEVEL_1_DB - SNR_AT_LEVEL_0_DB) * levels
    return AF.add_noise(waves, randn_like(waves, generator), snr)


@register_corruption("audio", "dropout")
def dropout(waves: torch.Tensor, levels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Silence a ``level`` fraction of 20 ms chunks at random, as lost packets do."""
    chunks = -(-waves.shape[-1] // DROPOUT_CHUNK)
    lost = rand_like(waves.new_empty(waves.shape[0], chunks), generator) < per_sample(levels, waves)
    keep = (~lost).repeat_interleave(DROPOUT_CHUNK, dim=-1)[..., : waves.shape[-1]]
    return waves * keep
