"""The committed zoos: every card loads, verifies, reproduces its pinned outputs, its accuracy and its task's targets."""

import json
import shutil
from functools import lru_cache

import pytest
import torch

from fusion_core.errors import ModelCardError
from fusion_core.evaluation import only
from fusion_core.fusions import list_fusions
from fusion_core.predictions import answers_from_logits, read_answers, write_answers
from fusion_core.pretrained import list_pretrained, load_pretrained, pretrained_root, read_card
from fusion_core.profile import compute_profile, meaning, read_profile, shares
from fusion_core.tasks import get_task, list_tasks
from fusion_core.batch import clean_batch
from fusion_core.training import predict_logits
from fusion_core.zoo import probe_signals, zoo_entries

TASK = get_task("digits-av")
MODELS = [(t, n) for t in list_tasks() for n in list_pretrained(t)]
MAX_WEIGHTS_BYTES = 2 * 2**20


@pytest.mark.parametrize("task_name", list_tasks())
def test_every_task_has_a_zoo_of_every_registered_method(task_name):
    task = get_task(task_name)
    names = list_pretrained(task_name)
    assert names == [e.name for e in zoo_entries(task)], f"retrain: python -m fusion_core train --task {task_name}"
    assert {read_card(task_name, n)["method"] for n in names} == set(list_fusions())


@pytest.mark.parametrize("task_name, name", MODELS)
def test_card_loads_and_reproduces_probe_outputs(task_name, name):
    task = get_task(task_name)
    model, card = load_pretrained(task_name, name)
    assert card["weights"]["bytes"] < MAX_WEIGHTS_BYTES
    assert not model.training
    with torch.no_grad():
        logits = model(task.featurize(probe_signals(task)))
    assert torch.allclose(logits, torch.tensor(card["pinned"]["probe_logits"]), atol=1e-4)
    for key in ("config", "seconds", "val_accuracy"):
        assert key in card["training"]
    assert card["data"] and card["command"].startswith("python -m fusion_core")


@lru_cache(maxsize=None)
def batch_of(task_name, data_dir):
    """Clean model inputs of a task's test pairs, built once per task."""
    task = get_task(task_name)
    return clean_batch(task, task.load("test", data_dir))


@pytest.mark.parametrize("task_name, name", MODELS)
def test_card_reproduces_test_pair_outputs_and_accuracy(task_name, name, data_dir):
    model, card = load_pretrained(task_name, name)
    batch = batch_of(task_name, data_dir)
    rows = torch.tensor(card["pinned"]["test_rows"])
    logits = predict_logits(model, batch, torch.device("cpu"))
    assert torch.allclose(logits[rows], torch.tensor(card["pinned"]["test_logits"]), atol=1e-4)
    measured = float((logits.argmax(1) == batch.labels).float().mean())
    assert measured == pytest.approx(card["metrics"]["accuracy"], abs=1e-4)
    # The answers shipped for Error analysis are this model's (not recomputed when a page opens).
    stored = read_answers(task_name, batch.labels).get(name)
    assert stored is not None, f"no current answers for {name}: python -m fusion_core evaluate --task {task_name}"
    predicted, confidence = answers_from_logits(logits)
    assert float((stored[0] == predicted).float().mean()) > 0.999
    assert float((stored[1] - confidence).abs().max()) < 1e-3


def accuracy_on(model, batch):
    return float((predict_logits(model, batch, torch.device("cpu")).argmax(1) == batch.labels).float().mean())


def zoo_of(task_name):
    return {n: load_pretrained(task_name, n)[0] for n in list_pretrained(task_name)}


def test_accuracy_targets_recomputed_from_the_data(data_dir):
    """digits-av's targets, measured now on the test pairs (not read from the cards)."""
    test = batch_of(TASK.name, data_dir)
    zoo = zoo_of(TASK.name)
    image_only = accuracy_on(zoo["unimodal-image"], only(test, ["image"]))
    audio_only = accuracy_on(zoo["unimodal-audio"], only(test, ["audio"]))
    assert image_only >= 0.975 and audio_only >= 0.95
    fused = {n: accuracy_on(m, test) for n, m in zoo.items() if not n.startswith("unimodal")}
    assert min(fused.values()) >= 0.99, fused
    assert max(fused.values()) >= 0.995, fused
    baseline = {"image": image_only, "audio": audio_only}
    for name, model in zoo.items():
        if name.startswith("unimodal"):
            continue
        for modality, line in baseline.items():
            # Fusion never worse than the remaining modality's own baseline (1-point slack); a recorded miss
            # must still miss, so that it leaves this list when a retrain mends it.
            within = accuracy_on(model, only(test, [modality])) >= line - 0.01
            assert within != ((name, modality) in SUBSET_MISSES), (name, modality)


SUBSET_MISSES = {
    # Retrained 2026-11-30 with synthesised voices in the training split (README, "Leave one speaker out"): early
    # fusion, from scratch, reads 97.66 from the audio alone against the audio baseline's 99.22.
    ("early", "audio"): "early fusion's audio-only path is 1.56 points under the audio baseline (2026-11-30 retrain)",
}


# Early fusion (from scratch, not retrained since 2026-11-30) reads 97.30-97.90 with the image destroyed against
# the audio baseline's 99.25 on these pairs. The five heads that missed with the image salted (98.00-98.20) pass
# since the audio baseline trains 40 epochs (2026-12-01 retrain: 98.30-98.60; README, digits-av table).
LEVEL_ONE_MISSES = {
    "early": "early fusion with the image at level 1.0 is 1.95 points under the audio baseline (1.65 on 2026-11-29)",
}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=LEVEL_ONE_MISSES[n])) if n in LEVEL_ONE_MISSES else n
        for n in list_pretrained(TASK.name)
        if not n.startswith("unimodal")
    ],
)
def test_level_one_corruption_targets_from_the_cards(name):
    """At corruption level 1.0 each fusion method stays within a point of the clean modality's baseline."""
    # The baseline of the clean modality on the same pairs: its own curve for the other modality (which it ignores).
    baselines = {d: read_card(TASK.name, f"unimodal-{o}")["metrics"]["corruption"][d] for d, o in (("image", "audio"), ("audio", "image"))}
    curves = read_card(TASK.name, name)["metrics"]["corruption"]
    for damaged, by_name in curves.items():
        for corruption, curve in by_name.items():
            baseline = baselines[damaged][corruption][-1]
            assert curve[-1] >= baseline - 0.01, (name, damaged, corruption, curve[-1], baseline)


def test_a_useless_modality_does_not_hurt(data_dir):
    """digits-unique: with the unrelated recording switched on, every fusion method is within 0.5 points of the image baseline."""
    test = batch_of("digits-unique", data_dir)
    zoo = zoo_of("digits-unique")
    baseline = accuracy_on(zoo["unimodal-image"], only(test, ["image"]))
    assert baseline >= 0.985
    assert accuracy_on(zoo["unimodal-audio"], only(test, ["audio"])) <= 0.12
    for name, model in zoo.items():
        if not name.startswith("unimodal"):
            assert accuracy_on(model, test) >= baseline - 0.005, name


def test_synergy_needs_both_inputs(data_dir):
    """digits-sum: the best method reaches 97.5%, the baselines are at chance, late fusion cannot represent the rule."""
    test = batch_of("digits-sum", data_dir)
    zoo = zoo_of("digits-sum")
    fused = {n: accuracy_on(m, test) for n, m in zoo.items() if not n.startswith("unimodal")}
    assert max(fused.values()) >= 0.975, fused
    for modality in ("image", "audio"):
        assert accuracy_on(zoo[f"unimodal-{modality}"], only(test, [modality])) <= 0.12
    assert fused["late"] <= 0.15


@lru_cache(maxsize=None)
def vqa_scores(data_dir):
    """shapes-vqa: model -> (accuracy on non-relational, on relational test questions), measured now."""
    task = get_task("shapes-vqa")
    test = batch_of(task.name, data_dir)
    relational = torch.tensor([v == "relational" for v in task.load("test", data_dir).strata["relation"]])
    scores = {}
    for name, model in zoo_of(task.name).items():
        right = predict_logits(model, test, torch.device("cpu")).argmax(1) == test.labels
        scores[name] = (float(right[~relational].float().mean()), float(right[relational].float().mean()))
    return scores


def test_visual_questions_need_a_method_that_relates_scene_and_question(data_dir):
    """shapes-vqa: one method reaches 98% on non-relational questions; late fusion and the baselines cannot."""
    scores = vqa_scores(data_dir)
    assert max(plain for plain, _ in scores.values()) >= 0.98, scores
    assert max(scores["late"]) < 0.8, scores["late"]  # it adds what each input suggests alone
    for name in ("unimodal-scene", "unimodal-question"):
        assert max(scores[name]) < 0.7, (name, scores[name])


def test_the_scene_encoder_reads_places_to_a_fraction_of_a_pixel_on_unseen_scenes():
    """shapes-vqa's frozen scene encoder, on 300 test scenes: every object's place within half a pixel of the
    generator's, recomputed here from the object list (not from the training targets)."""
    from fusion_core.data import shapes
    from fusion_core.tasks.shapes_vqa import featurize_scenes

    encoder = load_pretrained("shapes-vqa", "unimodal-scene")[0].encoders["scene"]
    objects = [shapes.scene("test", n)[0] for n in range(300)]
    scenes = torch.stack([torch.from_numpy(shapes.render(o).copy()).permute(2, 0, 1) for o in objects]).float() / 255
    with torch.no_grad():
        places = encoder.place(encoder(featurize_scenes(scenes)))
    pixels = (places + 1) / 2 * (shapes.SIDE - 1) + 0.5
    truth = torch.tensor([[(o.x, o.y) for o in scene] for scene in objects])
    errors = (pixels - truth).norm(dim=-1)
    assert float(errors.max()) < 0.5, float(errors.max())


def test_relational_questions_reach_the_target(data_dir):
    """shapes-vqa: one method reaches 98% on non-relational and 93% on relational questions (the paper's RN: 94%)."""
    scores = vqa_scores(data_dir)
    assert any(plain >= 0.98 and related >= 0.93 for plain, related in scores.values()), scores


@pytest.mark.parametrize("task_name", list_tasks())
def test_the_stored_profile_is_reproduced_and_says_what_the_rule_is(task_name, data_dir):
    stored = read_profile(task_name)
    assert stored is not None, f"run: python -m fusion_core profile --task {task_name}"
    fresh = compute_profile(get_task(task_name), data_dir, pretrained_root())
    for key in ("redundancy", "synergy", "total"):
        assert fresh["bits"][key] == pytest.approx(stored["bits"][key], abs=2e-3)
    expected = {"digits-av": "redundancy", "digits-unique": "unique image", "digits-sum": "synergy"}
    if task_name in expected:
        share = shares(stored)
        assert max(share, key=share.get) == expected[task_name] and share[expected[task_name]] > 0.9
    if task_name == "shapes-vqa":  # cluster summaries of a scene lose where its objects are: the profile says it is partial
        assert meaning(stored).startswith("Read with care")


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


def test_stored_answers_are_trusted_only_for_the_weights_and_test_set_they_came_from(tmp_path):
    directory = tmp_path / "digits-av"
    directory.mkdir()
    for suffix in ("json", "safetensors"):
        shutil.copy(pretrained_root() / "digits-av" / f"late.{suffix}", directory)
    labels = torch.tensor([1, 2, 3])
    write_answers("digits-av", {"late": (torch.tensor([1, 2, 0]), torch.tensor([0.9, 0.8, 0.5]))}, labels, tmp_path)
    predicted, confidence = read_answers("digits-av", labels, tmp_path)["late"]
    assert predicted.tolist() == [1, 2, 0] and torch.allclose(confidence, torch.tensor([0.9, 0.8, 0.5]), atol=1e-4)
    assert read_answers("digits-av", torch.tensor([1, 2, 4]), tmp_path) == {}  # another test set
    card = json.loads((directory / "late.json").read_text())
    card["weights"]["sha256"] = "0" * 64  # as after a retrain
    (directory / "late.json").write_text(json.dumps(card))
    assert read_answers("digits-av", labels, tmp_path) == {}
