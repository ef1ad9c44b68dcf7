"""Synthesised voices for the audio models' training: seeded, real WAV files, the right digit, training only."""

import logging

import pytest
import torch

from fusion_core.data import synth_voices as sv
from fusion_core.preprocess.audio import CLIP_SAMPLES, load_audio
from fusion_core.tasks import get_task
from fusion_core.tasks.digit_pairs import SYNTH_PER_DIGIT

ENGINES = sv.available_engines()
needs_a_synthesiser = pytest.mark.skipif(
    not ENGINES, reason="neither espeak-ng nor flite is installed (scripts/setup.sh --tests installs both)"
)


@needs_a_synthesiser
@pytest.mark.parametrize("engine", ENGINES)
def test_each_engine_says_every_digit_in_a_file_the_upload_path_reads(engine):
    samples = sv.generate(1, [engine], seed=3)
    assert [s.digit for s in samples] == list(range(10))
    assert all(s.voice.startswith(engine + ":") and s.data[:4] == b"RIFF" for s in samples)
    clips = torch.stack([load_audio(s.data) for s in samples])
    assert clips.shape == (10, CLIP_SAMPLES) and bool((clips.abs().amax(dim=1) > 0.05).all())


@needs_a_synthesiser
def test_the_same_seed_gives_the_same_voices_and_files():
    first = sv.generate(2, ENGINES, seed=5)
    assert first == sv.generate(2, ENGINES, seed=5)
    assert [s.voice for s in first] != [s.voice for s in sv.generate(2, ENGINES, seed=6)]


def test_without_a_synthesiser_training_goes_on_with_a_warning(monkeypatch, caplog):
    monkeypatch.setattr(sv.shutil, "which", lambda name: None)
    with caplog.at_level(logging.WARNING):
        assert sv.training_set(3) == []
    assert "FSDD's speakers alone" in caplog.text


@needs_a_synthesiser
def test_synthesised_voices_are_in_the_training_split_only(data_dir):
    task = get_task("digits-av")
    train = task.load("train", data_dir, seed=1)
    synthesised = [i for i in train.ids["audio"] if "_synth-" in i]
    assert synthesised and len(train.pools["audio"]) == 2000 + 10 * SYNTH_PER_DIGIT
    assert all(int(name.split("_")[0]) == int(label) for name, label in zip(train.ids["audio"], train.labels))
    for split in ("val", "test"):
        assert not any("_synth-" in i for i in task.load(split, data_dir).ids["audio"])
    assert task.provenance()["audio"]["synthesised_voices"]["engines"] == list(ENGINES)
