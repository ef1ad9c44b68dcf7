"""Audio uploads: every format, rate, width and channel count; the trim; every bad input."""

import io
import math

import numpy as np
import pytest
import soundfile as sf
import torch
from scipy import signal as sps

from fusion_core.errors import InputError
from fusion_core.preprocess.audio import (
    CLIP_SAMPLES,
    MAX_AUDIO_BYTES,
    MAX_AUDIO_SECONDS,
    N_FRAMES,
    N_MELS,
    SAMPLE_RATE,
    TARGET_RMS,
    TRIM_FRAME,
    TRIM_HOP,
    fit_length,
    frame_db,
    load_audio,
    log_mel,
    trim_silence,
)


def burst(rate: int, seconds: float = 2.0, start: float = 0.6, stop: float = 1.2, noise: float = 1e-3) -> np.ndarray:
    """A voiced-like harmonic burst between start and stop, in faint noise."""
    t = np.arange(int(rate * seconds)) / rate
    voiced = (t >= start) & (t < stop)
    wave = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 8)) * 0.2 * voiced
    return (wave + np.random.default_rng(0).normal(0, noise, t.shape)).astype(np.float32)


def encode(samples: np.ndarray, rate: int, fmt: str = "WAV", subtype: str = "PCM_16") -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format=fmt, subtype=subtype)
    return buffer.getvalue()


CASES = [
    ("WAV", "PCM_16", 8000), ("WAV", "PCM_24", 16000), ("WAV", "PCM_32", 22050), ("WAV", "FLOAT", 44100),
    ("WAV", "PCM_U8", 11025), ("FLAC", "PCM_16", 48000), ("OGG", "VORBIS", 44100), ("OGG", "OPUS", 48000),
    ("MP3", "MPEG_LAYER_III", 44100),
]


@pytest.mark.parametrize("fmt, subtype, rate", CASES)
@pytest.mark.parametrize("channels", [1, 2])
def test_formats_rates_widths_channels(fmt, subtype, rate, channels):
    mono = burst(rate)
    samples = mono if channels == 1 else np.stack([mono, 0.5 * mono], axis=1)
    clip = load_audio(encode(samples, rate, fmt, subtype))
    assert clip.shape == (CLIP_SAMPLES,) and clip.dtype == torch.float32 and torch.isfinite(clip).all()
    # 0.6 s of sound, trimmed and centred in the 1 s clip, at the target level
    loud = torch.nonzero(clip.abs() > 0.05).flatten()
    assert 0.45 * SAMPLE_RATE < int(loud[-1] - loud[0]) < 0.75 * SAMPLE_RATE
    assert abs(int(loud[0] + loud[-1]) / 2 - CLIP_SAMPLES / 2) < 0.08 * SAMPLE_RATE
    assert abs(float(clip.pow(2).mean().sqrt()) - TARGET_RMS) < 0.02


def test_resampling_matches_a_library_reference():
    """Our resampler is torchaudio's; a 44.1 kHz sweep must match scipy's polyphase resampler."""
    rate = 44100
    t = np.arange(rate) / rate
    sweep = (0.3 * sps.chirp(t, 100, 1.0, 3000)).astype(np.float32)
    ours = load_audio(encode(sweep, rate, subtype="FLOAT")).numpy()
    reference = sps.resample_poly(sweep, 80, 441).astype(np.float32)
    reference = fit_length(torch.from_numpy(reference[:CLIP_SAMPLES])).numpy()
    assert np.corrcoef(ours, reference)[0, 1] > 0.99


def test_frame_levels_match_a_direct_computation():
    """The one hand-written piece, the trim's frame energy, against numpy on a known signal."""
    tone = torch.sin(2 * math.pi * 440 * torch.arange(16000) / SAMPLE_RATE) * 0.5
    levels = frame_db(tone)
    window = np.hanning(TRIM_FRAME + 1)[:-1]  # torch's periodic Hann
    frame = tone.numpy()[TRIM_HOP * 40 - TRIM_FRAME // 2 : TRIM_HOP * 40 + TRIM_FRAME // 2]
    direct = 10 * np.log10(np.sum((frame * window) ** 2) / np.sum(window**2))
    assert abs(float(levels[40]) - direct) < 0.1
    assert abs(float(levels[40]) - 20 * math.log10(0.5 / math.sqrt(2))) < 0.1  # a sine's RMS


def test_trim_finds_the_sound():
    wave = torch.from_numpy(burst(SAMPLE_RATE, start=0.5, stop=0.9))
    start, end = trim_silence(wave)
    assert abs(start - 0.5 * SAMPLE_RATE) <= TRIM_FRAME and abs(end - 0.9 * SAMPLE_RATE) <= TRIM_FRAME


def test_long_recordings_keep_the_loudest_second():
    samples = burst(16000, seconds=6.0, start=3.0, stop=3.5)
    samples[: 16000] += 0.02 * np.sin(np.arange(16000) * 0.1).astype(np.float32)  # a faint hum at the start
    clip = load_audio(encode(samples, 16000))
    loud = torch.nonzero(clip.abs() > 0.05).flatten()
    assert int(loud[-1] - loud[0]) > 0.4 * SAMPLE_RATE


def test_log_mel_shape_and_normalisation():
    features = log_mel(torch.stack([load_audio(encode(burst(8000), 8000)), torch.zeros(CLIP_SAMPLES)]))
    assert features.shape == (2, N_MELS, N_FRAMES)
    # every mel band has zero mean over time (a microphone's fixed colouring cancels), unit std per clip
    assert float(features[0].mean(dim=-1).abs().max()) < 1e-4 and abs(float(features[0].std()) - 1) < 1e-2
    assert torch.equal(features[1], torch.zeros_like(features[1]))  # digital silence: no NaN


def truncated_wav() -> bytes:
    data = encode(burst(8000), 8000)
    return data[: len(data) // 2]


def truncated_mp3() -> bytes:
    data = encode(burst(44100), 44100, "MP3", "MPEG_LAYER_III")
    return data[: len(data) // 3]


def ten_minutes() -> bytes:
    return encode(np.zeros(8000 * 600, dtype=np.float32), 8000)


def with_nan() -> bytes:
    samples = burst(8000)
    samples[1000] = np.nan
    return encode(samples, 8000, subtype="FLOAT")


def with_inf() -> bytes:
    samples = burst(8000)
    samples[1000] = np.inf
    return encode(samples, 8000, subtype="FLOAT")


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: b"", "empty"),
        (lambda: b"definitely not audio at all", "not audio"),
        (lambda: b"RIFF\x10\x00\x00\x00WAVEfmt ", "not audio"),
        (truncated_wav, "truncated"),
        (truncated_mp3, "truncated"),
        (lambda: encode(burst(8000, seconds=31), 8000), "limit is 30 s"),
        (ten_minutes, "limit is 30 s"),
        (lambda: encode(np.zeros(16000, dtype=np.float32), 16000), "silent"),
        (lambda: encode(np.random.default_rng(1).normal(0, 1e-5, 16000).astype(np.float32), 16000, subtype="FLOAT"), "silent"),
        (with_nan, "NaN"),
        (with_inf, "infinite"),
        (lambda: b"RIFF" + b"\0" * (MAX_AUDIO_BYTES + 1), "MiB"),
        # Shorter than one analysis frame (once a RuntimeError from the padding step), at several rates.
        (lambda: encode(burst(8000)[:1], 8000), "lasts 0.1 ms"),
        (lambda: encode(burst(8000)[:80], 8000), "lasts 10.0 ms"),
        (lambda: encode(burst(44100)[:441], 44100), "lasts 10.0 ms"),
        (lambda: encode(burst(48000)[:5], 48000, subtype="FLOAT"), "half a second"),
    ],
)
def test_bad_audio_raises_one_clear_error(make, message):
    with pytest.raises(InputError, match=message):
        load_audio(make())


def test_limits_are_named_constants():
    assert MAX_AUDIO_SECONDS == 30.0 and MAX_AUDIO_BYTES == 20 * 2**20


def test_a_real_recording_goes_through_the_upload_path(data_dir):
    from fusion_core.data.fsdd import list_recordings

    recording = list_recordings(data_dir)[0]
    clip = load_audio(recording.path.read_bytes())
    assert clip.shape == (CLIP_SAMPLES,) and float(clip.abs().max()) > 0.1


def av_encode(samples: np.ndarray, rate: int, container: str, codec: str, layout: str = "mono") -> bytes:
    """A recording as a phone (M4A/AAC) or a browser (WebM/Opus) saves it, encoded by FFmpeg through PyAV."""
    import av

    channels = 2 if layout == "stereo" else 1
    planar = np.ascontiguousarray(np.tile(samples[None, :], (channels, 1)).astype(np.float32))
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = layout
        frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout=layout)
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    return buffer.getvalue()


PHONE_AND_BROWSER = [
    ("ipod", "aac", 44100, "stereo"),  # .m4a from a phone's voice recorder
    ("mp4", "aac", 48000, "mono"),
    ("adts", "aac", 44100, "mono"),  # a bare .aac stream
    ("webm", "libopus", 48000, "mono"),  # MediaRecorder in Chrome and Firefox
    ("webm", "libopus", 48000, "stereo"),
]


@pytest.mark.parametrize("container, codec, rate, layout", PHONE_AND_BROWSER)
def test_phone_and_browser_formats_decode_to_the_same_clip(container, codec, rate, layout, data_dir):
    from fusion_core.data.fsdd import list_recordings

    recording = next(r for r in list_recordings(data_dir) if r.is_test)
    original, original_rate = sf.read(recording.path, dtype="float32")
    resampled = sps.resample_poly(original, rate, original_rate).astype(np.float32)
    clip = load_audio(av_encode(resampled, rate, container, codec, layout))
    reference = load_audio(recording.path.read_bytes())
    # Lossy codecs and encoder delay shift the clip a little: compare spectrograms, not samples.
    a, b = log_mel(clip[None]), log_mel(reference[None])
    assert clip.shape == (CLIP_SAMPLES,) and float(torch.corrcoef(torch.stack([a.flatten(), b.flatten()]))[0, 1]) > 0.9


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: av_encode(burst(48000), 48000, "webm", "libopus")[:300], "not audio|no samples|truncated"),
        (lambda: av_encode(burst(44100), 44100, "ipod", "aac")[:-2000], "not audio|no samples|truncated"),
        (lambda: av_encode(burst(44100, seconds=31), 44100, "adts", "aac"), "limit is 30 s"),
        (lambda: av_encode(np.zeros(44100, np.float32), 44100, "ipod", "aac"), "silent"),
    ],
)
def test_phone_and_browser_formats_that_cannot_be_used_get_a_message(make, message):
    with pytest.raises(InputError, match=message):
        load_audio(make())


def test_a_container_without_sound_is_named():
    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("mpeg4", rate=1)
        stream.width = stream.height = 16
        frame = av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), np.uint8), format="rgb24")
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    with pytest.raises(InputError, match="no sound track"):
        load_audio(buffer.getvalue())
