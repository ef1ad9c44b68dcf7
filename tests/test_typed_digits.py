"""The held-out typed/photographed digit generator: seeded, real files, held-out lists kept apart."""

import io

import pytest
from PIL import Image

from fusion_core.data import typed_digits as td
from fusion_core.preprocess.image import load_image


def test_the_same_seed_gives_the_same_files():
    first = td.generate(12, list(td.FACES), td.CONDITIONS, seed=5)
    assert first == td.generate(12, list(td.FACES), td.CONDITIONS, seed=5)
    assert first != td.generate(12, list(td.FACES), td.CONDITIONS, seed=6)


def test_every_condition_and_format_opens_and_loads():
    for condition in td.CONDITIONS:
        for sample in td.generate(8, ["builtin"], [condition], seed=1):
            assert Image.open(io.BytesIO(sample.data)).format == sample.format
            assert load_image(sample.data).shape == (28, 28)


def test_the_held_out_set_uses_only_held_out_faces_or_conditions():
    samples, record = td.held_out_set(40)
    assert len(samples) == 40 and [s.digit for s in samples[:10]] == list(range(10))
    assert all(s.face in td.HELD_OUT_FACES or s.condition in td.HELD_OUT_CONDITIONS for s in samples)
    assert set(td.HELD_OUT_FACES) < set(td.FACES) and set(td.HELD_OUT_CONDITIONS) < set(td.CONDITIONS)
    assert record["held_out_faces"] == [f for f in td.HELD_OUT_FACES if f in td.available_faces()]


def test_draws_differ_and_training_samples_avoid_the_held_out_faces_and_conditions():
    first, second = td.held_out_set(20, draw=0)[0], td.held_out_set(20, draw=1)[0]
    assert [s.data for s in first] != [s.data for s in second]
    assert [s.data for s in td.held_out_set(20, draw=1)[0]] == [s.data for s in second]  # a draw is reproducible
    training = td.training_set(30)
    assert all(s.face in td.TRAINING_FACES and s.condition in td.TRAINING_CONDITIONS for s in training)
    assert not set(td.TRAINING_FACES) & set(td.HELD_OUT_FACES)
    assert not set(td.TRAINING_CONDITIONS) & set(td.HELD_OUT_CONDITIONS)


def test_missing_faces_are_named():
    with pytest.raises(ValueError, match="none of the faces"):
        td.generate(1, ["no-such-face"], td.CONDITIONS)
