"""A GPU gives the CPU's answers: the zoo's test-split predictions on each device, compared.

The CUDA half runs where a GPU is visible (CI has none; the README's GPU figures come from such a run).
"""

import pytest
import torch

from fusion_core.batch import clean_batch
from fusion_core.bench import compare_with_cpu
from fusion_core.pretrained import list_pretrained, load_pretrained, read_card
from fusion_core.tasks import get_task

TASK = get_task("digits-av")


@pytest.fixture(scope="module")
def test_batch(data_dir):
    return clean_batch(TASK, TASK.load("test", data_dir))


def test_the_cpu_side_scores_what_the_cards_say(test_batch):
    """The comparison's CPU accuracy is the evaluation's, read back from the cards."""
    names = ("unimodal-image", "gated")
    models = {n: load_pretrained(TASK.name, n, torch.device("cpu"))[0] for n in names}
    result = compare_with_cpu(models, test_batch, torch.device("cpu"))
    assert result["samples"] == 5000
    for name in names:
        row = result["models"][name]
        assert row["cpu_accuracy"] == pytest.approx(100 * read_card(TASK.name, name)["metrics"]["accuracy"], abs=0.005)
        assert row["same_answer"] == 100.0 and row["max_probability_gap"] == 0.0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU visible")
def test_every_model_answers_on_the_gpu_as_on_the_cpu(test_batch):
    device = torch.device("cuda")
    models = {n: load_pretrained(TASK.name, n, device)[0] for n in list_pretrained(TASK.name)}
    result = compare_with_cpu(models, test_batch, device)
    for name, row in result["models"].items():
        assert row["same_answer"] >= 99.9, (name, row)
        assert abs(row["accuracy"] - row["cpu_accuracy"]) <= 0.1, (name, row)
        assert row["max_probability_gap"] < 0.05, (name, row)
    assert all(next(m.parameters()).device.type == "cuda" for m in models.values())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU visible")
def test_gradients_pass_through_the_frozen_question_encoder_on_the_gpu():
    """Training a head on frozen encoders and Integrated Gradients both differentiate through the GRU in eval mode
    (cuDNN refuses that: 'cudnn RNN backward can only be called in training mode', seen on an H200)."""
    from fusion_core.zoo import probe_signals

    task = get_task("shapes-vqa")
    device = torch.device("cuda")
    inputs = {m: x.to(device).float().requires_grad_(True) for m, x in task.featurize(probe_signals(task, 4)).items()}
    for name in list_pretrained(task.name):
        model = load_pretrained(task.name, name, device)[0].eval()
        for x in inputs.values():
            x.grad = None
        model(inputs).sum().backward()
        assert all(x.grad is not None for m, x in inputs.items() if m in model.modalities), name
