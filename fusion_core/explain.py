"""Attributions through Captum: heatmaps per input, exact modality-level Shapley values.

Every method explains the predicted probability of one class. Baselines are each modality's
"nothing" (a blank digit field, silence, an empty scene, no words) passed through the task's own featurization.
Captum adds no hooks for these methods; the model is only read, so one cached model can serve
several explanations at once.
"""

import itertools
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch

from .errors import InputError
from .fusions import FusionModel
from .registry import Registry
from .tasks import Task


def _captum():
    """Captum, imported on first use: it pulls in matplotlib, and listing the methods needs neither."""
    import captum.attr

    return captum.attr


@dataclass(frozen=True)
class Param:
    """An editable parameter of an attribution method (the app builds its widget from this)."""

    name: str
    default: float
    low: float
    high: float
    step: float
    help: str

    @property
    def is_int(self) -> bool:
        return float(self.step).is_integer() and float(self.default).is_integer()


Forward = Callable[..., torch.Tensor]
# (forward, inputs, baselines, target, params, layouts) -> (attributions per input, convergence delta or None)
Runner = Callable[..., Tuple[Tuple[torch.Tensor, ...], Optional[torch.Tensor]]]


@dataclass(frozen=True)
class AttributionMethod:
    name: str
    title: str
    description: str
    params: Tuple[Param, ...]
    run: Runner
    paper: str = ""

    def defaults(self) -> Dict[str, float]:
        return {p.name: p.default for p in self.params}


ATTRIBUTIONS: Registry[AttributionMethod] = Registry("attribution method")
_GLOBAL_RNG = threading.Lock()


def register_attribution(method: AttributionMethod) -> AttributionMethod:
    ATTRIBUTIONS.register(method.name)(method)
    return method


def list_attributions() -> List[str]:
    return ATTRIBUTIONS.names()


def get_attribution(name: str) -> AttributionMethod:
    return ATTRIBUTIONS.get(name)


Layouts = Tuple[Tuple[int, ...], ...]  # per input: the axes (of one sample) laid out in space or time


def _windows(inputs: Sequence[torch.Tensor], fraction: float, layouts: Layouts) -> Tuple[Tuple[int, ...], ...]:
    """Per input (without batch dim): its layout axes cut to ``fraction``, every other axis whole."""
    shapes = []
    for x, layout in zip(inputs, layouts):
        dims = list(x.shape[1:])
        for axis in layout:
            dims[axis] = max(1, round(dims[axis] * fraction))
        shapes.append(tuple(dims))
    return tuple(shapes)


def _grid_masks(inputs: Sequence[torch.Tensor], cells: int, layouts: Layouts) -> Tuple[torch.Tensor, ...]:
    """Feature groups: ``cells`` parts along each layout axis of each input, ids unique across inputs."""
    masks, offset = [], 0
    for x, layout in zip(inputs, layouts):
        dims = x.shape[1:]
        ids = torch.zeros([1] * len(dims), dtype=torch.long)
        for axis in layout:
            size = dims[axis]
            parts = min(cells, size)
            shape = [1] * len(dims)
            shape[axis] = size
            ids = ids * parts + (torch.arange(size) * parts // size).view(shape)
        ids = ids.expand(*dims) + offset
        offset = int(ids.max()) + 1
        masks.append(ids.unsqueeze(0).to(x.device))
    return tuple(masks)


def _integrated_gradients(forward, inputs, baselines, target, params, layouts):
    steps = int(params["n_steps"])
    attributions, delta = _captum().IntegratedGradients(forward).attribute(
        inputs, baselines=baselines, target=target, n_steps=steps, internal_batch_size=steps,
        return_convergence_delta=True,
    )
    return attributions, delta


def _saliency(forward, inputs, baselines, target, params, layouts):
    return _captum().Saliency(forward).attribute(inputs, target=target, abs=bool(params["absolute"])), None


def _gradient_shap(forward, inputs, baselines, target, params, layouts):
    # Baseline distribution: the "nothing" baseline and points between it and the input.
    mixes = torch.linspace(0.0, 0.5, 4)
    distribution = tuple(torch.cat([b + w * (x - b) for w in mixes]) for x, b in zip(inputs, baselines))
    # GradientSHAP samples from torch's global generator (the noise) and numpy's (which baseline, and
    # where between it and the input): seed both so the same request gives the same answer, under a
    # lock so that explanations running in other threads cannot draw in between.
    with _GLOBAL_RNG:
        generator_state, numpy_state = torch.random.get_rng_state(), np.random.get_state()
        torch.manual_seed(0)
        np.random.seed(0)
        try:
            attributions, delta = _captum().GradientShap(forward).attribute(
                inputs, baselines=distribution, target=target, n_samples=int(params["n_samples"]),
                stdevs=float(params["stdev"]), return_convergence_delta=True,
            )
        finally:
            torch.random.set_rng_state(generator_state)
            np.random.set_state(numpy_state)
    return attributions, delta.mean().reshape(1)


def _occlusion(forward, inputs, baselines, target, params, layouts):
    windows = _windows(inputs, float(params["window"]), layouts)
    strides = _windows(inputs, float(params["window"]) / 2, layouts)
    return _captum().Occlusion(forward).attribute(
        inputs, sliding_window_shapes=windows, strides=strides, baselines=baselines, target=target,
        perturbations_per_eval=64,
    ), None


def _feature_ablation(forward, inputs, baselines, target, params, layouts):
    masks = _grid_masks(inputs, int(params["cells"]), layouts)
    return _captum().FeatureAblation(forward).attribute(
        inputs, baselines=baselines, target=target, feature_mask=masks, perturbations_per_eval=64
    ), None


register_attribution(AttributionMethod(
    "integrated_gradients", "Integrated Gradients",
    "Gradients averaged along the straight path from 'nothing' to the input; they add up to the change in probability.",
    (Param("n_steps", 32, 4, 256, 4, "points on the path; more steps, smaller convergence delta"),),
    _integrated_gradients, "Sundararajan et al. 2017, https://arxiv.org/abs/1703.01365",
))
register_attribution(AttributionMethod(
    "saliency", "Saliency",
    "How fast the probability changes with each input value, right at the input.",
    (Param("absolute", 1, 0, 1, 1, "1: magnitude only; 0: keep the sign"),),
    _saliency, "Simonyan et al. 2014, https://arxiv.org/abs/1312.6034",
))
register_attribution(AttributionMethod(
    "gradient_shap", "GradientSHAP",
    "Expected gradients over noisy points between baselines and the input: a sampled SHAP approximation.",
    (Param("n_samples", 16, 4, 128, 4, "random points per baseline"), Param("stdev", 0.1, 0.0, 1.0, 0.05, "noise added to each point")),
    _gradient_shap, "Lundberg & Lee 2017, https://arxiv.org/abs/1705.07874",
))
register_attribution(AttributionMethod(
    "occlusion", "Occlusion",
    "Slide a 'nothing' patch over each input and record how much the probability drops.",
    (Param("window", 0.2, 0.05, 0.5, 0.05, "patch size, as a fraction of each axis (stride: half of it)"),),
    _occlusion, "Zeiler & Fergus 2014, https://arxiv.org/abs/1311.2901",
))
register_attribution(AttributionMethod(
    "feature_ablation", "Feature Ablation",
    "Replace each cell of a grid by 'nothing', one at a time; a cell's score is the probability it takes away.",
    (Param("cells", 7, 2, 14, 1, "grid cells per axis"),),
    _feature_ablation,
))


@dataclass
class Explanation:
    """One attribution of one model's prediction."""

    method: str
    target: int
    probability: float
    attributions: Dict[str, torch.Tensor]  # modality -> same shape as its model input (no batch dim)
    delta: Optional[float]  # completeness error (IG, GradientSHAP); None where it does not apply
    seconds: float


@dataclass
class ModalityShapley:
    """Exact modality-level Shapley values of the target's probability, and pairwise interactions."""

    target: int
    values: Dict[str, float]  # modality -> Shapley value (probability points)
    empty: float  # probability with no modality (no evidence: uniform)
    full: float  # probability with every given modality
    subsets: Dict[Tuple[str, ...], float] = field(default_factory=dict)
    interactions: Dict[Tuple[str, str], float] = field(default_factory=dict)
    seconds: float = 0.0


def baselines_for(task: Task, inputs: Mapping[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Each modality's 'nothing' (its blank canonical signal), featurized like a real input."""
    out = {}
    for m, x in inputs.items():
        modality = task.modality(m)
        blank = torch.full((1, *modality.signal_shape), modality.blank_value)
        out[m] = modality.featurize(blank).to(x.device, x.dtype).expand_as(x).contiguous()
    return out


def _probability(model: FusionModel, names: Sequence[str]) -> Forward:
    def forward(*tensors: torch.Tensor) -> torch.Tensor:
        return torch.softmax(model(dict(zip(names, tensors))), dim=-1)

    return forward


def predicted_class(model: FusionModel, inputs: Mapping[str, torch.Tensor]) -> int:
    with torch.no_grad():
        return int(model(dict(inputs)).argmax(dim=-1)[0])


def explain(
    model: FusionModel,
    task: Task,
    inputs: Mapping[str, torch.Tensor],
    method: str,
    params: Optional[Mapping[str, float]] = None,
    target: Optional[int] = None,
) -> Explanation:
    """Attribute the probability of ``target`` (default: the predicted class) to every input value.

    Args:
        inputs: modality -> model input (1, ...) of the modalities switched on.
        method: a name from ``list_attributions()``.
        params: the method's parameters (defaults for any left out).
    """
    spec = get_attribution(method)
    values = {**spec.defaults(), **(params or {})}
    names = [m for m in model.modalities if m in inputs]
    if not names:
        raise InputError("this model reads none of the switched-on modalities: nothing to explain")
    start = time.perf_counter()
    target = predicted_class(model, inputs) if target is None else int(target)
    tensors = tuple(inputs[m] for m in names)
    baseline = baselines_for(task, {m: inputs[m] for m in names})
    forward = _probability(model, names)
    layouts = tuple(task.modality(m).layout_axes for m in names)
    attributions, delta = spec.run(forward, tensors, tuple(baseline[m] for m in names), target, values, layouts)
    with torch.no_grad():
        probability = float(forward(*tensors)[0, target])
    return Explanation(
        method=method,
        target=target,
        probability=probability,
        attributions={m: a[0].detach() for m, a in zip(names, attributions)},
        delta=None if delta is None else float(delta.abs().max()),
        seconds=time.perf_counter() - start,
    )


def modality_shapley(
    model: FusionModel, inputs: Mapping[str, torch.Tensor], target: Optional[int] = None
) -> ModalityShapley:
    """Exact Shapley values over modalities, from every subset's value in one batched forward pass.

    "Removing" a modality switches it off (absent, as the models are trained to handle), rather
    than replacing it by a made-up value. With n modalities there are 2^n subsets (4 for a pair),
    so the exact values cost one forward pass of 2^n rows; the tests check them against Captum's
    ``ShapleyValues`` (which needs n! orderings, one forward pass per step). The pairwise
    interaction index comes from the same subset values: for two modalities,
    v(both) - v(first) - v(second) + v(none).
    """
    names = [m for m in model.modalities if m in inputs]
    if not names:
        raise InputError("this model reads none of the switched-on modalities")
    start = time.perf_counter()
    count = len(names)
    device = inputs[names[0]].device
    subsets = [subset for k in range(count + 1) for subset in itertools.combinations(names, k)]
    presence = torch.tensor([[m in subset for m in names] for subset in subsets], device=device)
    with torch.no_grad():
        rows = {m: inputs[m].expand(len(subsets), *inputs[m].shape[1:]).contiguous() for m in names}
        probabilities = torch.softmax(model(rows, {m: presence[:, i] for i, m in enumerate(names)}), dim=-1)
    full = probabilities[-1]
    target = int(full.argmax()) if target is None else int(target)
    value = {subset: float(p) for subset, p in zip(subsets, probabilities[:, target])}

    def v(members) -> float:
        return value[tuple(m for m in names if m in members)]

    values = {}
    for m in names:
        others = [o for o in names if o != m]
        total = 0.0
        for k in range(count):
            weight = math.factorial(k) * math.factorial(count - k - 1) / math.factorial(count)
            for rest in itertools.combinations(others, k):
                total += weight * (v({*rest, m}) - v(rest))
        values[m] = total
    interactions = {}
    for a, b in itertools.combinations(names, 2):
        others = [m for m in names if m not in (a, b)]
        total = 0.0
        for k in range(len(others) + 1):
            weight = math.factorial(k) * math.factorial(count - k - 2) / math.factorial(count - 1)
            for rest in itertools.combinations(others, k):
                total += weight * (v({*rest, a, b}) - v({*rest, a}) - v({*rest, b}) + v(rest))
        interactions[(a, b)] = total
    return ModalityShapley(
        target=target,
        values=values,
        empty=value[()],
        full=value[tuple(names)],
        subsets=value,
        interactions=interactions,
        seconds=time.perf_counter() - start,
    )


def heatmap(attribution: torch.Tensor) -> torch.Tensor:
    """A 2-D map of an attribution for display: leading channel axes summed, 1-D inputs as one row."""
    if attribution.dim() == 1:
        return attribution.unsqueeze(0)
    return attribution.reshape(-1, *attribution.shape[-2:]).sum(dim=0)
