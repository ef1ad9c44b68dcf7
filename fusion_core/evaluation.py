"""Evaluation on a task's test pairs: accuracy, every modality subset, robustness, cost.

Robustness follows MultiBench (Liang et al. 2021, https://arxiv.org/abs/2107.07502):
relative robustness is the area under accuracy vs. corruption level (0..1); effective robustness
is the summed gap to the reference model's curve after shifting that curve to start at the
model's own clean accuracy, f(l) - (ref(l) - ref(0) + f(0)). The reference is late fusion.
"""

import itertools
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import torch
from tqdm.auto import tqdm

from .corruptions import LEVELS, corrupt, list_corruptions
from .fusions import FusionModel
from .tasks import PairedData, Task
from .batch import Batch, clean_batch, featurize
from .runner import ZooRunner

ROBUSTNESS_PAIRS = 2000  # the first test pairs; every curve is paired across models
REFERENCE_MODEL = "late"


def modality_subsets(names: Sequence[str]) -> List[Tuple[str, ...]]:
    """Every non-empty subset of ``names``, smallest first."""
    ordered = sorted(names)
    return [c for k in range(1, len(ordered) + 1) for c in itertools.combinations(ordered, k)]


def subset_key(subset: Sequence[str]) -> str:
    return "+".join(sorted(subset))


def only(batch: Batch, subset: Sequence[str]) -> Batch:
    """The batch with only ``subset`` switched on (the others absent, not zeroed)."""
    return batch.only(subset)


def accuracies(runner: ZooRunner, batch: Batch, device: torch.device) -> Dict[str, float]:
    return {name: float((logits.argmax(1) == batch.labels).float().mean()) for name, logits in runner.predict(batch, device).items()}


def relative_robustness(curve: Sequence[float], levels: Sequence[float] = LEVELS) -> float:
    """Area under accuracy vs. level (trapezoids), as MultiBench."""
    return float(sum((curve[i] + curve[i + 1]) * (levels[i + 1] - levels[i]) / 2 for i in range(len(curve) - 1)))


def effective_robustness(curve: Sequence[float], reference: Sequence[float]) -> float:
    """Summed gap to the reference curve shifted to the model's clean accuracy, as MultiBench."""
    return float(sum(f - (r - reference[0] + curve[0]) for f, r in zip(curve, reference)))


def evaluate_models(
    task: Task,
    models: Mapping[str, FusionModel],
    test: PairedData,
    device: torch.device = torch.device("cpu"),
    robustness_pairs: Optional[int] = ROBUSTNESS_PAIRS,
    levels: Sequence[float] = LEVELS,
    progress: Optional[Callable[[float, str], None]] = None,
    reference: Optional[Dict[str, Dict[str, List[float]]]] = None,
) -> Dict[str, Dict]:
    """Test metrics of every model: name -> {accuracy, subsets, corruption curves, robustness}.

    ``reference``: the corruption curves of REFERENCE_MODEL when it is not among ``models`` (read from
    its card), so that effective robustness keeps one baseline however many models are evaluated.

    Args:
        test: the test pairs (``task.load("test", data_dir)``).
        progress: called with (fraction done, what is running) as the work advances.
    """
    clean = clean_batch(task, test)
    runner = ZooRunner(models)
    metrics: Dict[str, Dict] = {name: {"test_pairs": len(test), "subsets": {}, "corruption": {}} for name in models}
    for subset in modality_subsets(task.modality_names):
        key = subset_key(subset)
        logits = runner.predict(only(clean, subset), device)
        for name, model in models.items():
            # A model given none of its own modalities has no evidence: its score there means nothing.
            if not set(subset) & set(model.modalities):
                metrics[name]["subsets"][key] = None
                continue
            right = logits[name].argmax(1) == clean.labels
            metrics[name]["subsets"][key] = round(float(right.float().mean()), 5)
            for stratum, values in test.strata.items():
                by_value = metrics[name].setdefault("strata", {}).setdefault(stratum, {}).setdefault(key, {})
                for value in dict.fromkeys(values):
                    rows = torch.tensor([v == value for v in values])
                    by_value[value] = round(float(right[rows].float().mean()), 5)
    for name in models:
        metrics[name]["accuracy"] = metrics[name]["subsets"][subset_key(task.modality_names)]
    rows = test.subset(range(min(robustness_pairs or len(test), len(test))))
    signals = rows.signals()
    base = clean_batch(task, rows)
    conditions = [
        (modality, name) for modality in task.modalities for name in list_corruptions(modality.kind)
    ]
    for index, (modality, corruption) in enumerate(tqdm(conditions, desc="robustness", leave=False, disable=None)):
        if progress:
            progress(index / len(conditions), f"{modality.name} {corruption}")
        curves: Dict[str, List[float]] = {name: [] for name in models}
        for step, level in enumerate(levels):
            generator = torch.Generator().manual_seed(1000 * index + step)
            batch = base
            if level > 0:
                damaged = corrupt(modality.kind, corruption, signals[modality.name], level, generator)
                batch = base.with_dense(modality.name, featurize(task, {modality.name: damaged})[modality.name])
            for name, acc in accuracies(runner, batch, device).items():
                curves[name].append(round(acc, 5))
        for name, curve in curves.items():
            metrics[name]["corruption"].setdefault(modality.name, {})[corruption] = curve
    if progress:
        progress(1.0, "done")
    for name in models:
        metrics[name]["robustness_pairs"] = len(rows)
        metrics[name]["levels"] = list(levels)
        metrics[name]["robustness"] = _robustness(metrics, name, reference)
    return metrics


def _robustness(metrics: Dict[str, Dict], name: str, reference: Optional[Dict] = None) -> Dict[str, Dict[str, float]]:
    """Per modality: mean relative and effective robustness over its corruptions."""
    if REFERENCE_MODEL in metrics or reference is None:
        reference = metrics.get(REFERENCE_MODEL, metrics[name])["corruption"]
    out = {}
    for modality, curves in metrics[name]["corruption"].items():
        relative = [relative_robustness(c) for c in curves.values()]
        effective = [effective_robustness(c, reference[modality][k]) for k, c in curves.items()]
        out[modality] = {
            "relative": round(sum(relative) / len(relative), 4),
            "effective": round(sum(effective) / len(effective), 4),
        }
    return out
