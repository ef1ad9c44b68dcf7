"""Pretraining an encoder on an auxiliary objective: what a signal shows, not the task's label.

Where a modality alone cannot learn a useful encoder from the task's label (a scene without its
question has no answer), a task can name an ``Auxiliary`` objective per modality built from the
data's own annotations (the generator's object list, a question's template). The unimodal
baseline's encoder is trained on it first, then frozen; the baseline's classifier and every fusion
method build on that same encoder.
"""

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Sequence

import torch
from torch import nn

from .augment import augment
from .batch import CHUNK, featurize
from .config import TrainConfig
from .encoders import Encoder
from .tasks import Task

log = logging.getLogger(__name__)
MIN_ITEMS_PER_EPOCH = 8192


@dataclass(frozen=True)
class Auxiliary:
    """An annotation-based objective for one modality's encoder.

    Attributes:
        head: the encoder's token dim -> a module reading its tokens (B, N, dim) into outputs (B, ...).
        targets: the ids of pool items (``PairedData.ids``) -> their targets (N, ...).
        loss: (head outputs, targets) -> scalar loss.
        score: (head outputs, targets) -> a number a person can read (accuracy or error), for logs and cards.
        description: what the encoder learns to report.
    """

    head: Callable[[int], nn.Module]
    targets: Callable[[Sequence[str]], torch.Tensor]
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    score: Callable[[torch.Tensor, torch.Tensor], float]
    description: str


def _distinct(task: Task, split: str, modality: str, data_dir: Path, holdout=None):
    """The distinct signals of ``modality`` in ``split`` and their ids."""
    data = task.load(split, data_dir, holdout=holdout)
    rows, first = [], {}
    for sample, row in enumerate(data.index[modality].tolist()):
        if row not in first:
            first[row] = sample
            rows.append(row)
    ids = [data.ids[modality][first[r]] for r in rows]
    return data.pools[modality][torch.as_tensor(rows)], ids


def pretrain_encoder(
    task: Task, modality: str, encoder: Encoder, data_dir: Path, config: TrainConfig, device: torch.device,
    holdout=None,
) -> Dict:
    """Train ``encoder`` in place on ``task.auxiliary(modality)`` for ``config.pretrain_epochs`` epochs.

    Returns what a card records: the objective, losses and validation scores per epoch, seconds.
    """
    objective = task.auxiliary(modality)
    started = time.perf_counter()
    signals, ids = _distinct(task, "train", modality, data_dir, holdout)
    targets = objective.targets(ids)
    # A small set (144 distinct questions) is repeated so that an epoch has enough steps to learn from.
    repeats = -(-MIN_ITEMS_PER_EPOCH // len(signals))
    signals, targets = signals.repeat(repeats, *[1] * (signals.dim() - 1)), targets.repeat(repeats, *[1] * (targets.dim() - 1))
    val_signals, val_ids = _distinct(task, "val", modality, data_dir, holdout)
    val_inputs, val_targets = featurize(task, {modality: val_signals})[modality], objective.targets(val_ids)
    head = objective.head(encoder.dim)
    encoder.to(device)
    head.to(device)
    params = list(encoder.parameters()) + list(head.parameters())
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    steps = config.pretrain_epochs * -(-len(signals) // config.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr, total_steps=steps, pct_start=0.2)
    generator = torch.Generator().manual_seed(config.seed)
    kind = task.modality(modality).kind
    losses: List[float] = []
    scores: List[float] = []
    for epoch in range(config.pretrain_epochs):
        epoch_signals = signals
        if config.augment:
            epoch_signals = torch.cat([augment(kind, signals[i : i + CHUNK], generator) for i in range(0, len(signals), CHUNK)])
        inputs = featurize(task, {modality: epoch_signals})[modality]
        order = torch.randperm(len(inputs), generator=generator)
        encoder.train()
        total, count = 0.0, 0
        for start in range(0, len(order), config.batch_size):
            rows = order[start : start + config.batch_size]
            out = head(encoder(inputs[rows].to(device)))
            loss = objective.loss(out, targets[rows].to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total, count = total + float(loss.detach()), count + 1
        losses.append(round(total / max(count, 1), 5))
        encoder.eval()
        with torch.no_grad():
            outputs = torch.cat([head(encoder(val_inputs[i : i + CHUNK].to(device))).cpu() for i in range(0, len(val_inputs), CHUNK)])
        scores.append(round(objective.score(outputs, val_targets), 5))
        log.info("pretrain %s encoder epoch %d: loss %.4f val %.4f", modality, epoch + 1, losses[-1], scores[-1])
    encoder.eval()
    return {
        "objective": objective.description,
        "epochs": config.pretrain_epochs,
        "items": len(ids),
        "repeats_per_epoch": repeats,
        "loss": losses,
        "val_score": scores,
        "seconds": round(time.perf_counter() - started, 1),
    }


class PooledHead(nn.Module):
    """A linear map of the mean of the tokens: what the whole input says."""

    def __init__(self, dim: int, outputs: int) -> None:
        super().__init__()
        self.linear = nn.Linear(dim, outputs)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.linear(tokens.mean(dim=1))
