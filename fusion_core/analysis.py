"""Dataset-level measures of how much a model really uses each modality, and their interaction.

- Perceptual score (Gat et al. 2021, https://arxiv.org/abs/2110.14375): shuffle one modality
  across the test set, so it no longer matches its partner, and measure the accuracy lost,
  relative to the model's accuracy: (acc - E[acc with m permuted]) / acc.
- EMAP (Hessel & Lee 2020, https://arxiv.org/abs/2010.06572): the accuracy of the model's best
  additive approximation, f(a, b) ~ E_b'[f(a, b')] + E_a'[f(a', b)] - E[f], computed over all
  pairings of the evaluated samples. If EMAP accuracy equals the model's, the model's decisions
  need no cross-modal interaction.
- Modality interaction (the Shapley interaction index of Explain, over the test set): for each
  pair, v(S) is the probability of the true label with only the modalities in S switched on;
  interaction = v(both) - v(first) - v(second) + v(none). Its share of v(both) - v(none) says how
  much of an answer exists only when both inputs are there: near 1 for synergy, below 0 for
  redundancy (either input alone would do).
"""

from typing import Callable, Dict, Mapping, Optional

import torch

from .errors import InputError
from .fusions import FusionModel
from .tasks import PairedData, Task
from .batch import Batch, clean_batch
from .runner import ZooRunner

Progress = Optional[Callable[[float, str], None]]
PERMUTATIONS = 3
EMAP_PAIRS = 250
INTERACTION_PAIRS = 1000
MIN_GAIN = 0.05  # pairs whose answer gains less over 'no evidence' say nothing about shares


def _accuracies(runner: ZooRunner, batch: Batch, device: torch.device) -> Dict[str, float]:
    return {n: float((logits.argmax(1) == batch.labels).float().mean()) for n, logits in runner.predict(batch, device).items()}


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
    runner = ZooRunner(models)
    accuracy = _accuracies(runner, clean, device)
    out: Dict[str, Dict[str, float]] = {name: {} for name in models}
    for index, m in enumerate(task.modality_names):
        if progress:
            progress(index / len(task.modality_names), f"perceptual score: {m}")
        shuffled = [_accuracies(runner, clean.permuted(m, order), device) for order in orders[m]]
        for name, model in models.items():
            if m not in model.modalities:
                out[name][m] = 0.0
                continue
            mean = sum(s[name] for s in shuffled) / len(shuffled)
            out[name][m] = round((accuracy[name] - mean) / max(accuracy[name], 1e-9), 5)
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
    runner = ZooRunner(models)
    encoded = runner.encode({m: batch.dense(m).to(device) for m in (first, second)})
    tables: Dict[str, list] = {name: [] for name in models}
    for i in range(count):  # row i: first modality of sample i with every sample's second modality
        if progress and i % 25 == 0:
            progress(i / count, "EMAP")
        row = {k: (v[i : i + 1].expand(count, *v.shape[1:]) if k[0] == first else v) for k, v in encoded.items()}
        for name, logits in runner.from_encoded(row).items():
            tables[name].append(logits.float().cpu())
    out = {}
    diagonal = torch.arange(count)
    for name, logits in tables.items():
        table = torch.stack(logits)  # (i: first, j: second, classes)
        projection = table.mean(dim=1, keepdim=True) + table.mean(dim=0, keepdim=True) - table.mean(dim=(0, 1), keepdim=True)
        out[name] = {
            "accuracy": round(float((table[diagonal, diagonal].argmax(1) == batch.labels).float().mean()), 5),
            "emap_accuracy": round(float((projection[diagonal, diagonal].argmax(1) == batch.labels).float().mean()), 5),
            "pairs": count,
        }
    if progress:
        progress(1.0, "EMAP: done")
    return out


@torch.no_grad()
def interaction_shares(
    task: Task,
    models: Mapping[str, FusionModel],
    data: PairedData,
    device: torch.device = torch.device("cpu"),
    pairs: int = INTERACTION_PAIRS,
) -> Dict[str, Dict[str, float]]:
    """name -> mean Shapley values, interaction and interaction share over the first ``pairs`` test pairs.

    The share is averaged over the pairs where the model gives the true label at least half the
    probability, with a gain of at least ``MIN_GAIN`` over no evidence: how much of a right answer
    the interaction carries.
    """
    if len(task.modality_names) != 2:
        raise InputError("the modality interaction is computed for two-modality tasks")
    first, second = task.modality_names
    batch = clean_batch(task, data.subset(range(min(pairs, len(data)))))
    rows = torch.arange(len(batch))
    both = {n: m for n, m in models.items() if set(m.modalities) == {first, second}}
    runner = ZooRunner(both)
    values: Dict[str, Dict] = {name: {} for name in both}
    for subset in ((), (first,), (second,), (first, second)):
        present = {m: torch.full((len(batch),), m in subset, dtype=torch.bool) for m in (first, second)}
        for name, logits in runner.predict(batch.with_present(present), device).items():
            values[name][subset] = torch.softmax(logits, dim=1)[rows, batch.labels]
    out = {}
    for name, value in values.items():
        interaction = value[(first, second)] - value[(first,)] - value[(second,)] + value[()]
        gain = value[(first, second)] - value[()]
        right = (gain >= MIN_GAIN) & (value[(first, second)] >= 0.5)
        out[name] = {
            "interaction": round(float(interaction.mean()), 5),
            "interaction_share": round(float((interaction[right] / gain[right]).mean()), 5) if bool(right.any()) else None,
            first: round(float(((value[(first,)] - value[()]) + (value[(first, second)] - value[(second,)])).mean() / 2), 5),
            second: round(float(((value[(second,)] - value[()]) + (value[(first, second)] - value[(first,)])).mean() / 2), 5),
            "pairs": len(batch),
        }
    return out
