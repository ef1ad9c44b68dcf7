"""The committed zoo: every card loads, verifies, reproduces its pinned outputs and its measured accuracy."""

import shutil

import pytest
import torch

from fusion_core.errors import ModelCardError
from fusion_core.evaluation import only
from fusion_core.fusions import list_fusions
from fusion_core.pretrained import list_pretrained, load_pretrained, pretrained_root, read_card
from fusion_core.tasks import get_task
from fusion_core.training import clean_batch, predict_logits
from fusion_core.zoo import probe_signals, zoo_entries

TASK = get_task("digits-av")
NAMES = list_pretrained(TASK.name)
MAX_WEIGHTS_BYTES = 2 * 2**20


def test_the_zoo_has_every_registered_method():
    assert NAMES == [e.name for e in zoo_entries(TASK)], "retrain: python -m fusion_core train --task digits-av"
    assert {read_card(TASK.name, n)["method"] for n in NAMES} == set(list_fusions())


@pytest.mark.parametrize("name", NAMES)
def test_card_loads_and_reproduces_probe_outputs(name):
    model, card = load_pretrained(TASK.name, name)
    assert card["weights"]["bytes"] < MAX_WEIGHTS_BYTES
    assert not model.training
    with torch.no_grad():
        logits = model(TASK.featurize(probe_signals(TASK)))
    assert torch.allclose(logits, torch.tensor(card["pinned"]["probe_logits"]), atol=1e-4)
    for key in ("config", "seconds", "val_accuracy"):
        assert key in card["training"]
    assert card["data"]["audio"]["sha256"]["recordings"] and card["command"].startswith("python -m fusion_core")


@pytest.fixture(scope="module")
def test_batch(data_dir):
    return clean_batch(TASK, TASK.load("test", data_dir))


@pytest.mark.parametrize("name", NAMES)
def test_card_reproduces_test_pair_outputs_and_accuracy(name, test_batch):
    model, card = load_pretrained(TASK.name, name)
    rows = torch.tensor(card["pinned"]["test_rows"])
    logits = predict_logits(model, test_batch, torch.device("cpu"))
    assert torch.allclose(logits[rows], torch.tensor(card["pinned"]["test_logits"]), atol=1e-4)
    measured = float((logits.argmax(1) == test_batch.labels).float().mean())
    assert measured == pytest.approx(card["metrics"]["accuracy"], abs=1e-4)


def accuracy_on(model, batch):
    return float((predict_logits(model, batch, torch.device("cpu")).argmax(1) == batch.labels).float().mean())


def test_accuracy_targets_recomputed_from_the_data(test_batch):
    """The issue's targets, measured now on the test pairs (not read from the cards)."""
    zoo = {n: load_pretrained(TASK.name, n)[0] for n in NAMES}
    image_only = accuracy_on(zoo["unimodal-image"], only(test_batch, ["image"]))
    audio_only = accuracy_on(zoo["unimodal-audio"], only(test_batch, ["audio"]))
    assert image_only >= 0.975 and audio_only >= 0.95
    fused = {n: accuracy_on(m, test_batch) for n, m in zoo.items() if not n.startswith("unimodal")}
    assert min(fused.values()) >= 0.99, fused
    assert max(fused.values()) >= 0.995, fused
    for name, model in zoo.items():
        if name.startswith("unimodal"):
            continue
        # Fusion never worse than the remaining modality's own baseline (1-point slack).
        assert accuracy_on(model, only(test_batch, ["image"])) >= image_only - 0.01, name
        assert accuracy_on(model, only(test_batch, ["audio"])) >= audio_only - 0.01, name


def test_level_one_corruption_targets_from_the_cards():
    """At corruption level 1.0 each fusion method stays within a point of the clean modality's baseline."""
    # The baseline of the clean modality on the same pairs: its own curve for the other modality (which it ignores).
    baselines = {d: read_card(TASK.name, f"unimodal-{o}")["metrics"]["corruption"][d] for d, o in (("image", "audio"), ("audio", "image"))}
    for name in NAMES:
        if name.startswith("unimodal"):
            continue
        curves = read_card(TASK.name, name)["metrics"]["corruption"]
        for damaged, by_name in curves.items():
            for corruption, curve in by_name.items():
                baseline = baselines[damaged][corruption][-1]
                assert curve[-1] >= baseline - 0.01, (name, damaged, corruption, curve[-1], baseline)


def test_tampered_weights_are_refused(tmp_path):
    copy = tmp_path / TASK.name
    shutil.copytree(pretrained_root() / TASK.name, copy)
    weights = copy / "concat.safetensors"
    data = bytearray(weights.read_bytes())
    data[-10] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelCardError, match="sha256"):
        load_pretrained(TASK.name, "concat", root=tmp_path)
    with pytest.raises(ModelCardError, match="available: "):
        load_pretrained(TASK.name, "nonexistent", root=tmp_path)
