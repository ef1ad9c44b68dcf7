"""Spoken digits as laptops, phones and browsers save them: a speaker's FSDD takes, re-recorded and transcoded.

For measuring the audio path on a voice no model heard: train a zoo with that speaker left out
(``python -m fusion_core train --task digits-av --holdout SPEAKER --out DIR``), then play it this speaker's
recordings as files a person would upload (``scripts/held_out_audio.py``). Each recording becomes one file per
``PROFILES`` entry: resampled to the device's rate, set in a small room (a synthetic reverberation tail), with the
room's noise, at the device's gain (quiet, or pushed into clipping by automatic gain), in its channels and
sample format, and encoded by the device's codec and container through PyAV (the decoder the app uses, too).

Everything is seeded by (``SEED``, profile, recording name), so a file is the same on every machine.
"""

import io
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence

import av
import numpy as np
import soundfile as sf
import torch
import torchaudio.functional as AF
from scipy.signal import fftconvolve

from . import fsdd

SEED = 20261124
CHUNK = 1024  # samples per frame handed to the encoder


@dataclass(frozen=True)
class Profile:
    """How one kind of device records and saves a clip.

    Attributes:
        name: short name, used in reports.
        rate: sample rate of the file (Hz).
        channels: 1 or 2 (a stereo laptop microphone: the second channel a slightly later, quieter copy).
        container, codec: PyAV's format and encoder names.
        gain: "normal" (peak at -6 dBFS), "quiet" (peak at -30 dBFS) or "agc" (automatic gain: 4x past full scale,
            clipped).
        snr_db: speech-to-noise ratio of the room's noise (pink, with mains hum); None: no noise.
        rt60: reverberation time of the room (s); 0: none.
        what: one line for reports.
    """

    name: str
    rate: int
    channels: int
    container: str
    codec: str
    gain: str
    snr_db: Optional[float]
    rt60: float
    what: str


PROFILES = (
    Profile("laptop-wav", 44100, 2, "wav", "pcm_s16le", "normal", 35.0, 0.25, "44.1 kHz stereo 16-bit WAV, a laptop in a quiet room"),
    Profile("quiet-float", 48000, 1, "wav", "pcm_f32le", "quiet", 40.0, 0.2, "48 kHz 32-bit float WAV, spoken far from the microphone (peak -30 dBFS)"),
    Profile("agc-clipped", 48000, 2, "wav", "pcm_s16le", "agc", 30.0, 0.2, "48 kHz stereo WAV, automatic gain pushing the voice into clipping"),
    Profile("noisy-flac", 16000, 1, "flac", "flac", "normal", 12.0, 0.5, "16 kHz FLAC in a noisy, echoing room (12 dB SNR)"),
    Profile("ogg-vorbis", 22050, 2, "ogg", "vorbis", "normal", 30.0, 0.3, "22.05 kHz stereo Ogg Vorbis"),
    Profile("mp3", 44100, 2, "mp3", "libmp3lame", "normal", 30.0, 0.3, "44.1 kHz stereo MP3"),
    Profile("phone-m4a", 44100, 1, "ipod", "aac", "agc", 25.0, 0.3, "a phone's voice memo: AAC in M4A, automatic gain"),
    Profile("browser-webm", 48000, 1, "webm", "libopus", "normal", 25.0, 0.3, "a browser's MediaRecorder: Opus in WebM"),
    Profile("ogg-opus", 48000, 1, "ogg", "libopus", "quiet", 30.0, 0.2, "48 kHz Opus in Ogg, quiet"),
)
_PACKED = {"pcm_s16le": "s16", "pcm_f32le": "flt", "flac": "s16"}  # sample formats of the encoders that take packed samples


@dataclass(frozen=True)
class RecordedDigit:
    digit: int
    speaker: str
    recording: str  # the FSDD recording's name
    profile: str
    data: bytes  # the file, as uploaded


def _rng(profile: Profile, name: str) -> np.random.Generator:
    return np.random.default_rng([SEED, zlib.crc32(profile.name.encode()), zlib.crc32(name.encode())])


def _room(wave: np.ndarray, rate: int, rt60: float, rng: np.random.Generator) -> np.ndarray:
    """The voice in a room: the direct sound plus an exponentially decaying diffuse tail (-60 dB after rt60 s)."""
    if rt60 <= 0:
        return wave
    t = np.arange(int(rt60 * rate)) / rate
    tail = rng.normal(0, 1, t.size) * np.exp(-6.9 * t / rt60)
    tail[: int(0.005 * rate)] = 0.0  # the first reflections arrive after ~5 ms
    impulse = np.concatenate([[1.0], 0.25 * tail / np.sqrt(np.sum(tail**2) + 1e-12)])
    return fftconvolve(wave, impulse)[: wave.size + int(0.1 * rate)]


def _noise(count: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Pink noise (1/f power) with a little 50 Hz hum and its harmonics, unit RMS."""
    spectrum = np.fft.rfft(rng.normal(0, 1, count))
    spectrum /= np.sqrt(np.maximum(np.fft.rfftfreq(count, 1 / rate), 20.0))
    noise = np.fft.irfft(spectrum, count)
    t = np.arange(count) / rate
    noise = noise / (noise.std() + 1e-12) + 0.3 * sum(np.sin(2 * np.pi * 50 * k * t + rng.uniform(0, 6.3)) / k for k in (1, 2, 3))
    return noise / (noise.std() + 1e-12)


def record(wave: np.ndarray, rate: int, profile: Profile, rng: np.random.Generator) -> np.ndarray:
    """A clip (mono float at ``rate``) as the device hears it: (channels, samples) float32 at the profile's rate."""
    x = AF.resample(torch.from_numpy(wave.astype(np.float32)), rate, profile.rate).double().numpy()
    x = _room(x, profile.rate, profile.rt60, rng)
    pad = np.zeros(int(rng.uniform(0.1, 0.4) * profile.rate))  # the device starts before the voice
    x = np.concatenate([pad, x, pad[: pad.size // 2]])
    if profile.snr_db is not None:
        voice = np.sqrt(np.mean(x[pad.size : -(pad.size // 2) or None] ** 2)) + 1e-12
        x = x + _noise(x.size, profile.rate, rng) * voice / 10 ** (profile.snr_db / 20)
    peak = np.abs(x).max() + 1e-12
    x = x / peak * {"normal": 0.5, "quiet": 10 ** (-30 / 20), "agc": 4.0}[profile.gain]
    x = np.clip(x, -1.0, 1.0)
    if profile.channels == 2:
        delay = int(0.0003 * profile.rate)
        x = np.stack([x, 0.9 * np.concatenate([np.zeros(delay), x[: x.size - delay]])])
    return np.atleast_2d(x).astype(np.float32)


def encode(samples: np.ndarray, profile: Profile) -> bytes:
    """(channels, samples) float32 in [-1, 1] -> the bytes of the profile's file."""
    layout = "stereo" if samples.shape[0] == 2 else "mono"
    packed = _PACKED.get(profile.codec)
    out = io.BytesIO()
    with av.open(out, mode="w", format=profile.container) as container:
        stream = container.add_stream(profile.codec, rate=profile.rate, layout=layout)
        if profile.codec == "vorbis":
            stream.codec_context.options = {"strict": "experimental"}  # FFmpeg's own Vorbis encoder
        for start in range(0, samples.shape[1], CHUNK):
            block = samples[:, start : start + CHUNK]
            if packed == "s16":
                array = np.round(block.T.reshape(1, -1) * 32767).astype(np.int16)
            elif packed == "flt":
                array = np.ascontiguousarray(block.T.reshape(1, -1))
            else:
                array = np.ascontiguousarray(block)
            frame = av.AudioFrame.from_ndarray(array, format=packed or "fltp", layout=layout)
            frame.sample_rate, frame.pts = profile.rate, start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def speaker_set(data_dir: Path, speaker: str, profiles: Sequence[Profile] = PROFILES, takes: int = 50) -> List[RecordedDigit]:
    """The first ``takes`` recordings of each digit by ``speaker`` (FSDD has 50), once per profile."""
    if speaker not in fsdd.SPEAKERS:
        raise ValueError(f"unknown speaker {speaker!r}; choose one of: {', '.join(fsdd.SPEAKERS)}")
    out = []
    for recording in fsdd.list_recordings(data_dir):
        if recording.speaker != speaker or recording.take >= takes:
            continue
        wave, rate = sf.read(str(recording.path), dtype="float64", always_2d=True)
        wave = wave.mean(axis=1)
        for profile in profiles:
            samples = record(wave, rate, profile, _rng(profile, recording.name))
            out.append(RecordedDigit(recording.digit, speaker, recording.name, profile.name, encode(samples, profile)))
    return out

