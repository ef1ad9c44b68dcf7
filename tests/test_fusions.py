"""Every registered fusion method, tested the moment it is registered (after timm's test_models)."""

import itertools

import pytest
import torch
from safetensors.torch import load_file, save_file

from fusion_core.encoders import EncoderSpec
from fusion_core.evaluation import modality_subsets
from fusion_core.fusions import create_fusion, fusion_class, list_fusions
from fusion_core.tasks import get_task, list_tasks
from fusion_core.zoo import probe_signals

from helpers import tiny_specs

BATCH = 6
THREE = {
    "audio": EncoderSpec("audio-cnn", {"n_mels": 40, "width": 8}),
    "image": EncoderSpec("image-cnn", {"in_channels": 1, "widths": (4, 8, 8)}),
    "sketch": EncoderSpec("image-cnn", {"in_channels": 1, "widths": (4, 8, 12)}),
}


def inputs_for(specs, batch=BATCH, seed=0):
    generator = torch.Generator().manual_seed(seed)
    shapes = {"audio-cnn": (40, 101), "image-cnn": (1, 28, 28)}
    return {m: torch.randn(batch, *shapes[s.name], generator=generator) for m, s in specs.items()}


def build(name, specs, seed=0, **options):
    torch.manual_seed(seed)
    if name == "unimodal":
        options.setdefault("modality", sorted(specs)[0])
    return create_fusion(name, specs, num_classes=5, **options)


@pytest.mark.parametrize("name", list_fusions())
def test_forward_shape_and_finite(name):
    model = build(name, tiny_specs()).eval()
    logits = model(inputs_for(tiny_specs()))
    assert logits.shape == (BATCH, 5)
    assert torch.isfinite(logits).all()


@pytest.mark.parametrize("name", list_fusions())
def test_every_parameter_receives_a_gradient(name):
    model = build(name, tiny_specs(), aux_heads=True).train()
    inputs = inputs_for(tiny_specs())
    # Mixed presence, so placeholders for absent modalities are exercised too.
    present = {"audio": torch.tensor([1, 1, 0, 1, 0, 1]).bool(), "image": torch.tensor([1, 0, 1, 1, 1, 1]).bool()}
    out = model.forward_train(inputs, present)
    loss = out.logits.pow(2).mean() + sum(a.pow(2).mean() for a in out.aux_logits.values())
    if out.extra_loss is not None:
        loss = loss + out.extra_loss
    loss.backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert not missing, f"no gradient for: {missing}"
    silent = [n for n, p in model.named_parameters() if float(p.grad.abs().sum()) == 0.0]
    assert not silent, f"all-zero gradient for: {silent}"


@pytest.mark.parametrize("name", list_fusions())
def test_every_modality_subset_predicts_and_absence_is_not_zeros(name):
    specs = tiny_specs()
    model = build(name, specs).eval()
    inputs = inputs_for(specs)
    for subset in modality_subsets(specs):
        given = {m: inputs[m] for m in subset}
        logits = model(given)
        assert logits.shape == (BATCH, 5) and torch.isfinite(logits).all()
        # An absent key and a False presence flag are the same thing...
        masked = model(inputs, {m: torch.zeros(BATCH, dtype=torch.bool) for m in specs if m not in subset})
        assert torch.allclose(logits, masked, atol=1e-5)
    # ...and neither is the same as feeding zeros (unless the model does not use that modality).
    zeroed = dict(inputs, audio=torch.zeros_like(inputs["audio"]))
    if "audio" in model.modalities:
        assert float((model({"image": inputs["image"]}) - model(zeroed)).abs().max()) > 1e-6


@pytest.mark.parametrize("name", list_fusions())
def test_no_modality_means_no_evidence(name):
    model = build(name, tiny_specs()).eval()
    inputs = inputs_for(tiny_specs())
    off = {m: torch.zeros(BATCH, dtype=torch.bool) for m in inputs}
    assert torch.equal(model(inputs, off), torch.zeros(BATCH, 5))


@pytest.mark.parametrize("name", list_fusions())
def test_state_dict_round_trip_through_safetensors(name, tmp_path):
    model = build(name, tiny_specs()).eval()
    path = tmp_path / "weights.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    clone = build(name, tiny_specs(), seed=1).eval()
    clone.load_state_dict(load_file(str(path)), strict=True)
    inputs = inputs_for(tiny_specs())
    assert torch.equal(model(inputs), clone(inputs))


@pytest.mark.parametrize("name", list_fusions())
def test_construction_and_forward_are_deterministic(name):
    a, b = build(name, tiny_specs()).eval(), build(name, tiny_specs()).eval()
    inputs = inputs_for(tiny_specs())
    assert torch.equal(a(inputs), b(inputs))
    assert not torch.equal(a(inputs), build(name, tiny_specs(), seed=7).eval()(inputs))


@pytest.mark.parametrize("name", list_fusions())
@pytest.mark.parametrize("count", [1, 2, 3])
def test_any_number_of_modalities(name, count):
    specs = dict(itertools.islice(sorted(THREE.items()), count))
    model = build(name, specs).eval()
    inputs = inputs_for(specs)
    for subset in modality_subsets(specs):
        assert torch.isfinite(model({m: inputs[m] for m in subset})).all()


@pytest.mark.parametrize("task_name", list_tasks())
@pytest.mark.parametrize("name", list_fusions())
def test_every_method_runs_on_every_task(task_name, name):
    task = get_task(task_name)
    model = build(name, task.encoder_specs()).eval()
    logits = model(task.featurize(probe_signals(task, 2)))
    assert logits.shape == (2, 5) and torch.isfinite(logits).all()


@pytest.mark.parametrize("name", [n for n in list_fusions() if fusion_class(n).accepts_pretrained_encoders])
def test_pretrained_encoders_can_be_loaded(name):
    model = build(name, tiny_specs())
    for modality, encoder in model.encoders.items():
        donor = build("unimodal", tiny_specs(), seed=3, modality=modality)
        encoder.load_state_dict(donor.encoders[modality].state_dict())
        for key, value in donor.encoders[modality].state_dict().items():
            assert torch.equal(encoder.state_dict()[key], value)


def test_auxiliary_heads_give_one_output_per_present_modality():
    model = build("concat", tiny_specs(), aux_heads=True).eval()
    out = model.forward_train({"image": inputs_for(tiny_specs())["image"]})
    assert set(out.aux_logits) == {"image"} and out.aux_logits["image"].shape == (BATCH, 5)


def test_unimodal_without_its_modality_is_refused():
    from fusion_core.errors import InputError

    with pytest.raises(InputError, match="modality="):
        create_fusion("unimodal", tiny_specs(), 5, modality="smell")


def test_no_inputs_at_all_is_a_clear_error():
    from fusion_core.errors import InputError

    with pytest.raises(InputError, match="at least one modality"):
        build("concat", tiny_specs())({})


@pytest.mark.parametrize("name", list_fusions())
def test_encoder_outputs_computed_elsewhere_give_the_same_answer(name):
    """Frozen encoders run once per zoo (training, the app): a model must read their stems or tokens exactly as its own."""
    model = build(name, tiny_specs()).eval()
    inputs = inputs_for(tiny_specs())
    with torch.no_grad():
        stems = {m: model.encoders[m].stem(x) for m, x in inputs.items() if m in model.encoders}
        assert torch.allclose(model.forward_train(stems, stage="stem").logits, model(inputs), atol=1e-5)
        if model.reads == "tokens":
            tokens = {m: model.encoders[m].head(x) for m, x in stems.items()}
            assert torch.allclose(model.forward_train(tokens, stage="tokens").logits, model(inputs), atol=1e-5)
        else:
            with pytest.raises(ValueError, match="not tokens"):
                model.forward_train(stems, stage="tokens")
