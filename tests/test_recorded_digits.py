"""Spoken digits re-recorded and saved as devices do: every profile's file opens in the app's loader as a clip."""

import io

import av
import numpy as np
import pytest
import soundfile as sf

from fusion_core.data import fsdd
from fusion_core.data import recorded_digits as rd
from fusion_core.preprocess.audio import CLIP_SAMPLES, decode_audio, load_audio

CONTAINERS = {"wav": "wav", "flac": "flac", "ogg": "ogg", "mp3": "mp3", "ipod": "mov,mp4,m4a,3gp,3g2,mj2", "webm": "matroska,webm"}


@pytest.fixture(scope="module")
def recording(data_dir):
    first = next(r for r in fsdd.list_recordings(data_dir) if r.speaker == "theo")
    wave, rate = sf.read(str(first.path), dtype="float64")
    return first, wave, rate


@pytest.mark.parametrize("profile", rd.PROFILES, ids=lambda p: p.name)
def test_each_profile_makes_the_file_it_names(profile, recording):
    first, wave, rate = recording
    data = rd.encode(rd.record(wave, rate, profile, rd._rng(profile, first.name)), profile)
    with av.open(io.BytesIO(data)) as container:
        assert container.format.name == CONTAINERS[profile.container]
        stream = container.streams.audio[0]
        assert stream.rate == profile.rate and stream.channels == profile.channels
    samples, file_rate = decode_audio(data)
    assert file_rate == profile.rate
    peak = float(np.abs(samples).max())
    expected = {"normal": 0.5, "quiet": 10 ** (-30 / 20), "agc": 1.0}[profile.gain]
    assert expected * 0.7 < peak < expected * 1.3, peak  # lossy codecs overshoot a little
    assert load_audio(data).shape == (CLIP_SAMPLES,)


def test_a_speaker_set_is_reproducible_and_only_that_speaker(data_dir):
    profiles = rd.PROFILES[:2]
    a = rd.speaker_set(data_dir, "nicolas", profiles, takes=2)
    assert len(a) == 10 * 2 * len(profiles) and {s.speaker for s in a} == {"nicolas"}
    assert all(s.recording.split("_")[1] == "nicolas" and int(s.recording[0]) == s.digit for s in a)
    assert {int(s.recording.rsplit("_", 1)[1]) for s in a} == {0, 1}
    b = rd.speaker_set(data_dir, "nicolas", profiles, takes=2)
    assert [s.data for s in a] == [s.data for s in b]
    with pytest.raises(ValueError, match="unknown speaker"):
        rd.speaker_set(data_dir, "nobody")
