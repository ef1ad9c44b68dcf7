"""Dataset-level measures of how much a model really uses each modality, and their interaction.

- Perceptual score (Gat et al. 2021, https://arxiv.org/abs/2110.14375): shuffle one modality
  across the test set, so it no longer matches its partner, and measure the accuracy lost,
  relative to the model's accuracy: (acc - E[acc with m permuted]) / acc.
- EMAP (Hessel & Lee 2020, https://arxiv.org/abs/2010.06572): the accuracy of the model's best
  additive approximation, f(a, b) ~ E_b'[f(a, b')] + E_a'[f(a', b)] - E[f], computed over all
  pairings of the evaluated samples. If EMAP accuracy equals the model's, the model's decisions
  need no cross-modal interaction.
"""

from typing import Callable, Dict, Mapping, Optional

import torch

from .errors import InputError
from .fusions import FusionModel
from .tasks import PairedData, Task
from .training import Batch, clean_batch, predict_logits

Progress = Optional[Callable[[float, str], None]]
PERMUTATIONS = 3
EMAP_PAIRS = 250


def _accuracy(model: FusionModel, batch: Batch, device: torch.device) -> float:
    return float((predict_logits(model, batch, device).argmax(1) == batch.labels).float().mean())


def perceptual_scores(
    task: Task,
    models: Mapping[str, FusionModel],
    data: PairedData,
    device: torch.device = torch.device("cpu"),
    permutations: int = PERMUTATIONS,
    progress: Progress = None,
) -> Dict[str, Dict[str, float]]:
    """name -> modality -> perceptual score (0: the modality is ignored; 1: nothing works without it)."""
    clean = clean_batch(task, data)
    generator = torch.Generator().manual_seed(0)
    orders = {m: [torch.randperm(len(clean), generator=generator) for _ in range(permutations)] for m in task.modality_names}
    out: Dict[str, Dict[str, float]] = {}
    for index, (name, model) in enumerate(models.items()):
        if progress:
            progress(index / len(models), f"perceptual score: {name}")
        accuracy = _accuracy(model, clean, device)
        out[name] = {}
        for m in task.modality_names:
            if m not in model.modalities:
                out[name][m] = 0.0
                continue
            shuffled = [
                _accuracy(model, Batch(dict(clean.inputs, **{m: clean.inputs[m][order]}), clean.present, clean.labels), device)
                for order in orders[m]
            ]
            out[name][m] = round((accuracy - sum(shuffled) / len(shuffled)) / max(accuracy, 1e-9), 5)
    if progress:
        progress(1.0, "perceptual score: done")
    return out


@torch.no_grad()
def emap(
    task: Task,
    models: Mapping[str, FusionModel],
    data: PairedData,
    device: torch.device = torch.device("cpu"),
    pairs: int = EMAP_PAIRS,
    progress: Progress = None,
) -> Dict[str, Dict[str, float]]:
    """name -> {"accuracy": on the evaluated pairs, "emap_accuracy": of the additive projection, "pairs": N}."""
    if len(task.modality_names) != 2:
        raise InputError("EMAP is computed for two-modality tasks")
    first, second = task.modality_names
    batch = clean_batch(task, data.subset(range(min(pairs, len(data)))))
    count = len(batch)
    out = {}
    for index, (name, model) in enumerate(models.items()):
        model.eval()
        logits = []
        for i in range(count):  # row i: first modality of sample i with every sample's second modality
            if progress and i % 25 == 0:
                progress((index + i / count) / len(models), f"EMAP: {name}")
            inputs = {
                first: batch.inputs[first][i : i + 1].expand(count, *batch.inputs[first].shape[1:]).to(device),
                second: batch.inputs[second].to(device),
            }
            logits.append(model(inputs).float().cpu())
        table = torch.stack(logits)  # (i: first, j: second, classes)
        projection = table.mean(dim=1, keepdim=True) + table.mean(dim=0, keepdim=True) - table.mean(dim=(0, 1), keepdim=True)
        diagonal = torch.arange(count)
        out[name] = {
            "accuracy": round(float((table[diagonal, diagonal].argmax(1) == batch.labels).float().mean()), 5),
            "emap_accuracy": round(float((projection[diagonal, diagonal].argmax(1) == batch.labels).float().mean()), 5),
            "pairs": count,
        }
    if progress:
        progress(1.0, "EMAP: done")
    return out
