"""Audio augmentation: speed/pitch, room, microphone colour, notches, noise, clipping, dropouts; and a vocal-tract warp.

The signal-level steps are what laptops and phones do to a voice; the vocal-tract length warp
(Jaitly and Hinton 2013) acts on the log-mel features and stands in for voices never heard.
"""

import torch
import torchaudio.functional as AF

from ..preprocess.audio import SAMPLE_RATE, TARGET_RMS
from . import AUGMENTATIONS, FEATURE_AUGMENTATIONS

# Speed perturbation (Ko et al. 2015) changes tempo and pitch together, as a different voice does.
# Factors as small-integer resampling ratios (orig, new): speed = orig / new, e.g. 17/20 = 0.85.
SPEED_RATIOS = ((17, 20), (9, 10), (19, 20), (1, 1), (21, 20), (11, 10), (23, 20))
P_REVERB, P_COLOUR, P_NOISE, P_NOTCH, P_CLIP, P_GAP = 0.3, 0.3, 0.5, 0.3, 0.25, 0.3
RT60_RANGE = (0.1, 0.5)  # seconds: small rooms to living rooms
NOISE_SNR_DB = (5.0, 30.0)
GAIN_DB = (-12.0, 6.0)
MAX_SHIFT = 800  # samples (100 ms) of misalignment after trimming
NOTCH_HZ, NOTCH_DB, NOTCH_Q = (300.0, 3000.0), -30.0, 1.5  # a resonance or cheap codec's hole in the spectrum
CLIP_DRIVE_DB = (3.0, 15.0)  # automatic gain driving the peak this far past full scale
GAP_SAMPLES = (400, 1200)  # a dropped packet or a muted stretch: 50-150 ms
VTLP_RANGE = (0.85, 1.15)  # frequency-axis warp factors: shorter and longer vocal tracts


def _uniform(n: int, low: float, high: float, generator: torch.Generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=generator)


def _speed(waves: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    choice = torch.randint(len(SPEED_RATIOS), (waves.shape[0],), generator=generator)
    out = waves.clone()
    for index, (orig, new) in enumerate(SPEED_RATIOS):
        rows = torch.nonzero(choice == index).flatten()
        if orig == new or rows.numel() == 0:
            continue
        faster = AF.resample(waves[rows], orig, new)
        out[rows] = torch.stack([_centre(row, waves.shape[-1]) for row in faster])
    return out


def _centre(wave: torch.Tensor, length: int) -> torch.Tensor:
    if len(wave) >= length:
        start = (len(wave) - length) // 2
        return wave[start : start + length]
    pad = length - len(wave)
    return torch.nn.functional.pad(wave, (pad // 2, pad - pad // 2))


def _room_impulses(rt60: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Exponentially decaying noise tails (B, taps): the standard synthetic room impulse response."""
    t = torch.arange(int(RT60_RANGE[1] * SAMPLE_RATE)) / SAMPLE_RATE
    decay = torch.exp(-6.9 * t.view(1, -1) / rt60.view(-1, 1))  # -60 dB at rt60
    tails = torch.randn(decay.shape, generator=generator) * decay
    tails[:, 0] = 1.0
    return tails / tails.norm(dim=1, keepdim=True)


def _coloured_noise(n: int, length: int, generator: torch.Generator) -> torch.Tensor:
    """White, pink or brown noise (1/f^0, 1/f^1, 1/f^2 power) shaped in the frequency domain."""
    white = torch.randn(n, length, generator=generator)
    spectrum = torch.fft.rfft(white)
    freqs = torch.fft.rfftfreq(length).clamp_min(1.0 / length)
    exponent = torch.randint(0, 3, (n, 1), generator=generator).float()
    shaped = torch.fft.irfft(spectrum / freqs.pow(exponent / 2), n=length)
    return shaped / shaped.std(dim=-1, keepdim=True)


def _clip(waves: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Drive each clip's peak ``CLIP_DRIVE_DB`` past full scale and clip it, as automatic gain does."""
    drive = torch.pow(10.0, _uniform(len(waves), *CLIP_DRIVE_DB, generator) / 20).view(-1, 1)
    peak = waves.abs().amax(dim=1, keepdim=True).clamp_min(1e-8)
    return (waves * (drive / peak)).clamp(-1, 1)


def _silence_a_stretch(waves: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    n, length = waves.shape
    width = torch.randint(GAP_SAMPLES[0], GAP_SAMPLES[1] + 1, (n, 1), generator=generator)
    start = (torch.rand(n, 1, generator=generator) * (length - width)).long()
    t = torch.arange(length).view(1, length)
    return torch.where((t >= start) & (t < start + width), 0.0, waves)


@AUGMENTATIONS.register("audio")
def augment_audio(waves: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Speed, reverberation, microphone colour, a notch, gain, noise, clipping, a gap and shift at random.

    Args:
        waves: (B, samples) canonical clips.
    """
    device, (n, length) = waves.device, waves.shape
    x = _speed(waves.cpu(), generator)
    roll = torch.rand(n, 6, generator=generator)
    rooms = torch.nonzero(roll[:, 0] < P_REVERB).flatten()
    if rooms.numel():
        impulses = _room_impulses(_uniform(rooms.numel(), *RT60_RANGE, generator), generator)
        x[rooms] = AF.fftconvolve(x[rooms], impulses)[:, :length]
    colour = torch.nonzero(roll[:, 1] < P_COLOUR).flatten()
    if colour.numel():
        low_cut = float(_uniform(1, 80.0, 400.0, generator))
        high_cut = float(_uniform(1, 2500.0, 3800.0, generator))
        band = AF.highpass_biquad(x[colour], SAMPLE_RATE, low_cut)
        x[colour] = AF.lowpass_biquad(band, SAMPLE_RATE, high_cut)
    notch = torch.nonzero(roll[:, 3] < P_NOTCH).flatten()
    if notch.numel():
        centre = float(_uniform(1, *NOTCH_HZ, generator))
        x[notch] = AF.equalizer_biquad(x[notch], SAMPLE_RATE, centre, NOTCH_DB, NOTCH_Q)
    x = x * torch.pow(10.0, _uniform(n, *GAIN_DB, generator) / 20).view(n, 1)
    noisy = torch.nonzero(roll[:, 2] < P_NOISE).flatten()
    if noisy.numel():
        snr = _uniform(noisy.numel(), *NOISE_SNR_DB, generator)
        x[noisy] = AF.add_noise(x[noisy], _coloured_noise(noisy.numel(), length, generator), snr)
    clipped = torch.nonzero(roll[:, 4] < P_CLIP).flatten()
    if clipped.numel():
        x[clipped] = _clip(x[clipped], generator)
    gaps = torch.nonzero(roll[:, 5] < P_GAP).flatten()
    if gaps.numel():
        x[gaps] = _silence_a_stretch(x[gaps], generator)
    shift = torch.randint(-MAX_SHIFT, MAX_SHIFT + 1, (n, 1), generator=generator)
    source = torch.arange(length).view(1, length) - shift
    inside = (source >= 0) & (source < length)
    x = torch.where(inside, x.gather(1, source.clamp(0, length - 1)), 0.0)
    rms = x.pow(2).mean(dim=1, keepdim=True).sqrt().clamp_min(1e-8)
    return (x * (TARGET_RMS / rms)).clamp(-1, 1).to(device)


def warp_vocal_tract(features: torch.Tensor, factors: torch.Tensor) -> torch.Tensor:
    """Stretch (factor > 1) or squeeze each spectrogram's mel axis by its factor, linearly interpolated.

    Args:
        features: (B, mels, frames) log-mel spectrograms.
        factors: (B,) warp factors; 1 leaves a spectrogram as it is.
    """
    n, mels, frames = features.shape
    source = (torch.arange(mels, dtype=features.dtype).view(1, mels) / factors.view(n, 1)).clamp(0, mels - 1)
    low = source.floor().long().clamp(max=mels - 2)
    frac = (source - low).unsqueeze(-1)
    pick = lambda rows: features.gather(1, rows.unsqueeze(-1).expand(n, mels, frames))  # noqa: E731
    return pick(low) * (1 - frac) + pick(low + 1) * frac


@FEATURE_AUGMENTATIONS.register("audio")
def augment_spectrogram(features: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A random vocal-tract warp per spectrogram, renormalised to unit deviation as ``log_mel`` leaves it."""
    warped = warp_vocal_tract(features, _uniform(len(features), *VTLP_RANGE, generator).to(features.device))
    return warped / (warped.std(dim=(-2, -1), keepdim=True) + 1e-3)
