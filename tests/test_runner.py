"""The zoo runner shares identical encoders and answers exactly as each model alone."""

import torch

from fusion_core.pretrained import list_pretrained, load_pretrained
from fusion_core.runner import ZooRunner
from fusion_core.tasks import get_task
from fusion_core.zoo import probe_signals

TASK = get_task("digits-av")


def test_the_zoo_runs_each_distinct_encoder_once_and_answers_as_each_model_alone():
    models = {n: load_pretrained(TASK.name, n)[0] for n in list_pretrained(TASK.name)}
    runner = ZooRunner(models)
    # Two baselines lend their encoders to eleven fusion methods; early fusion has its own tokenizers.
    assert runner.distinct_encoders == 4
    inputs = TASK.featurize(probe_signals(TASK, 3))
    shared = runner.logits(inputs)
    with torch.no_grad():
        for name, model in models.items():
            assert torch.allclose(shared[name], model(inputs), atol=1e-5), name
    # With a modality switched off for one sample, too.
    present = {"audio": torch.tensor([True, False, True]), "image": torch.tensor([True, True, False])}
    shared = runner.logits(inputs, present)
    with torch.no_grad():
        for name, model in models.items():
            assert torch.allclose(shared[name], model(inputs, present), atol=1e-5), name


def test_a_model_without_its_modality_gets_no_evidence():
    models = {n: load_pretrained(TASK.name, n)[0] for n in ("unimodal-audio", "late")}
    inputs = {"image": TASK.featurize(probe_signals(TASK, 2))["image"]}
    out = ZooRunner(models).logits(inputs)
    assert torch.equal(out["unimodal-audio"], torch.zeros(2, 10)) and out["late"].abs().sum() > 0
    # No model reads the input given (an audio-only zoo evaluated on the image-only subset): zeros, not a crash.
    alone = ZooRunner({"unimodal-audio": models["unimodal-audio"]}).logits(inputs)
    assert torch.equal(alone["unimodal-audio"], torch.zeros(2, 10))
