"""Attributions through Captum: completeness, exact Shapley values, read-only use of shared models."""

import itertools
import threading

import pytest
import torch

from fusion_core.errors import UnknownNameError
from fusion_core.explain import _grid_masks, explain, get_attribution, heatmap, list_attributions, modality_shapley
from fusion_core.fusions import create_fusion
from fusion_core.tasks import get_task
from fusion_core.zoo import probe_signals

TASK = get_task("digits-av")


def frozen(name, seed=0, **options):
    torch.manual_seed(seed)
    model = create_fusion(name, TASK.encoder_specs(), 10, **options).eval()
    return model.requires_grad_(False)


@pytest.fixture(scope="module")
def inputs():
    return TASK.featurize(probe_signals(TASK, 1))


def test_the_five_methods_are_registered():
    assert list_attributions() == ["integrated_gradients", "saliency", "gradient_shap", "occlusion", "feature_ablation"]
    with pytest.raises(UnknownNameError, match="saliency"):
        get_attribution("lime")


@pytest.mark.parametrize("method", list_attributions())
def test_every_method_attributes_every_modality(method, inputs):
    explanation = explain(frozen("concat"), TASK, inputs, method)
    assert set(explanation.attributions) == {"audio", "image"}
    for m, attribution in explanation.attributions.items():
        assert attribution.shape == inputs[m].shape[1:] and torch.isfinite(attribution).all()
        assert float(attribution.abs().sum()) > 0
        assert heatmap(attribution).dim() == 2


def test_integrated_gradients_is_complete(inputs):
    """Attributions add up to p(input) - p(baseline); the convergence delta says by how much they miss."""
    model = frozen("late")
    explanation = explain(model, TASK, inputs, "integrated_gradients", {"n_steps": 128})
    from fusion_core.explain import baselines_for

    with torch.no_grad():
        p_input = torch.softmax(model(inputs), -1)[0, explanation.target]
        p_base = torch.softmax(model(baselines_for(TASK, inputs)), -1)[0, explanation.target]
    total = sum(float(a.sum()) for a in explanation.attributions.values())
    assert total == pytest.approx(float(p_input - p_base), abs=2e-3)
    assert explanation.delta < 2e-3


def captum_modality_shapley(model, inputs, target):
    """Captum's ShapleyValues over (modality tensors, presence flags), each modality one feature group."""
    from captum.attr import ShapleyValues

    names = list(model.modalities)

    def forward(*tensors):
        *signals, presence = tensors
        return torch.softmax(model(dict(zip(names, signals)), {m: presence[:, i] > 0.5 for i, m in enumerate(names)}), -1)

    tensors = tuple(inputs[m] for m in names) + (torch.ones(1, len(names)),)
    masks = tuple(torch.full(inputs[m].shape, i, dtype=torch.long) for i, m in enumerate(names)) + (torch.arange(len(names)).view(1, -1),)
    with torch.no_grad():
        values = ShapleyValues(forward).attribute(tensors, baselines=tuple(torch.zeros_like(t) for t in tensors), target=target, feature_mask=masks)
    return {m: float(values[-1][0, i]) for i, m in enumerate(names)}


@pytest.mark.parametrize("name", ["attention", "late", "tensor"])
def test_shapley_values_match_captums(inputs, name):
    model = frozen(name)
    shapley = modality_shapley(model, inputs)
    assert shapley.values == pytest.approx(captum_modality_shapley(model, inputs, shapley.target), abs=1e-5)
    assert shapley.target == explain(model, TASK, inputs, "saliency").target  # the predicted class, as everywhere


def test_shapley_values_match_the_subset_formula(inputs):
    model = frozen("attention")
    shapley = modality_shapley(model, inputs)
    v = shapley.subsets
    assert shapley.values["audio"] == pytest.approx(0.5 * (v[("audio",)] - v[()]) + 0.5 * (v[("audio", "image")] - v[("image",)]), abs=1e-5)
    assert sum(shapley.values.values()) == pytest.approx(shapley.full - shapley.empty, abs=1e-5)
    assert shapley.empty == pytest.approx(0.1)  # no modality: no evidence, uniform
    expected = v[("audio", "image")] - v[("audio",)] - v[("image",)] + v[()]
    assert shapley.interactions[("audio", "image")] == pytest.approx(expected, abs=1e-6)


def test_a_modality_the_model_ignores_gets_nothing(inputs):
    shapley = modality_shapley(frozen("unimodal", modality="image"), inputs)
    assert set(shapley.values) == {"image"} and shapley.interactions == {}
    explanation = explain(frozen("unimodal", modality="image"), TASK, inputs, "occlusion")
    assert set(explanation.attributions) == {"image"}


def test_three_modalities_interaction_index():
    from fusion_core.encoders import EncoderSpec

    specs = {**TASK.encoder_specs(), "sketch": EncoderSpec("image-cnn", {"in_channels": 1, "widths": (4, 8, 8)})}
    torch.manual_seed(0)
    model = create_fusion("graph", specs, 10).eval().requires_grad_(False)
    inputs = {"audio": torch.randn(1, 40, 101), "image": torch.randn(1, 1, 28, 28), "sketch": torch.randn(1, 1, 28, 28)}
    shapley = modality_shapley(model, inputs)
    assert len(shapley.subsets) == 8 and len(shapley.interactions) == 3
    assert shapley.values == pytest.approx(captum_modality_shapley(model, inputs, shapley.target), abs=1e-5)
    assert sum(shapley.values.values()) == pytest.approx(shapley.full - shapley.empty, abs=1e-5)


def test_feature_groups_are_unique_across_modalities(inputs):
    masks = _grid_masks([inputs["audio"], inputs["image"]], 7, ((-2, -1), (-2, -1)))
    assert not set(masks[0].unique().tolist()) & set(masks[1].unique().tolist())
    assert masks[1].shape == (1, 1, 28, 28) and masks[1].unique().numel() == 49


def test_feature_groups_follow_the_layout_axes():
    """A text's (words, vocabulary) input is cut along its words only: each group is whole words."""
    words = torch.zeros(1, 12, 50)
    (mask,) = _grid_masks([words], 4, ((-2,),))
    assert mask.unique().numel() == 4
    assert bool((mask[0] == mask[0, :, :1]).all())  # one id per word, across the vocabulary axis


def test_explaining_leaves_the_shared_model_untouched(inputs):
    model = frozen("film")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    for method in list_attributions():
        explain(model, TASK, inputs, method)
    modality_shapley(model, inputs)
    for module in model.modules():
        assert not module._forward_hooks and not module._forward_pre_hooks and not module._backward_hooks
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(p.grad is None and not p.requires_grad for p in model.parameters())
    assert not model.training


def test_two_sessions_explaining_at_once_do_not_disturb_each_other(inputs):
    model = frozen("attention")
    other = {m: torch.flip(x, dims=[-1]) for m, x in inputs.items()}
    alone = {k: explain(model, TASK, x, "integrated_gradients").attributions for k, x in (("a", inputs), ("b", other))}
    together, errors = {}, []

    def work(key, x):
        try:
            for _ in range(3):
                together[key] = explain(model, TASK, x, "integrated_gradients").attributions
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=work, args=args) for args in (("a", inputs), ("b", other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for key, m in itertools.product("ab", ("audio", "image")):
        assert torch.allclose(together[key][m], alone[key][m], atol=1e-6)


VQA = get_task("shapes-vqa")


def test_question_words_get_attributions_without_hooks_and_threads_match_the_serial_answers():
    """A shared shapes-vqa model explained from four threads at once, every attribution method, exactly as one at a time.

    GradientSHAP is stochastic: each request seeds torch's and numpy's generators under one lock.
    """
    torch.manual_seed(0)
    model = create_fusion("attention", VQA.encoder_specs(), len(VQA.labels)).eval().requires_grad_(False)
    signals = probe_signals(VQA, 4)
    requests = [({m: VQA.featurize({m: s[i : i + 1]})[m] for m, s in signals.items()}, method)
                for i in range(4) for method in list_attributions()]
    serial = [explain(model, VQA, x, method).attributions for x, method in requests]
    words = int((signals["question"][0] != 0).sum())
    per_word = serial[0]["question"].sum(dim=-1)
    assert per_word.shape == (16,) and bool((per_word[words:] == 0).all())  # padding gets nothing
    assert float(per_word[:words].abs().sum()) > 0
    results, errors = [None] * len(requests), []

    def work(indices):
        try:
            for i in indices:
                x, method = requests[i]
                results[i] = explain(model, VQA, x, method).attributions
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=work, args=(range(k, len(requests), 4),)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for got, want in zip(results, serial):
        for m in want:
            assert torch.equal(got[m], want[m])
    for module in model.modules():
        assert not module._forward_hooks and not module._backward_hooks
