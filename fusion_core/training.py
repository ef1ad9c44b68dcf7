"""Training: plain functions over a shared, cached stream of augmented epochs."""

import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from .augment import augment, augment_features
from .batch import CHUNK, Batch, clean_batch, featurize
from .config import TrainConfig
from .corruptions import corrupt, list_corruptions
from .fusions import FusionModel
from .runner import encoder_digest
from .tasks import Task

log = logging.getLogger(__name__)


@dataclass
class History:
    """What training measured, epoch by epoch."""

    train_loss: List[float] = field(default_factory=list)
    val_accuracy: List[float] = field(default_factory=list)
    seconds: float = 0.0


def random_corruptions(
    task: Task, modality: str, pool: torch.Tensor, index: torch.Tensor, prob: float, generator: torch.Generator,
    power: float = 1.0,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Pick the samples (``pool[index[i]]``) hit with chance ``prob`` and corrupt them: a random corruption at level U(0,1)**power.

    Returns the samples hit and their corrupted signals; nothing else is copied.
    """
    kind = task.modality(modality).kind
    names = list_corruptions(kind)
    n = index.shape[0]
    hit = torch.nonzero(torch.rand(n, generator=generator) < prob).flatten()
    which = torch.randint(len(names), (hit.numel(),), generator=generator)
    levels = torch.rand(hit.numel(), generator=generator) ** power
    damaged = pool[index[hit]].clone()
    for k, name in enumerate(names):
        rows = torch.nonzero(which == k).flatten()
        if rows.numel():
            damaged[rows] = corrupt(kind, name, damaged[rows], levels[rows], generator)
    return hit, damaged


def modality_dropout(modalities: Tuple[str, ...], n: int, prob: float, generator: torch.Generator):
    """Per-sample presence: with chance ``prob`` a sample loses 1..M-1 random modalities."""
    present = torch.ones(n, len(modalities), dtype=torch.bool)
    if len(modalities) > 1:
        drop = torch.nonzero(torch.rand(n, generator=generator) < prob).flatten()
        for row in drop.tolist():
            count = int(torch.randint(1, len(modalities), (1,), generator=generator))
            lost = torch.randperm(len(modalities), generator=generator)[:count]
            present[row, lost] = False
    return {m: present[:, i] for i, m in enumerate(modalities)}


class TrainingStream:
    """The augmented, corrupted, featurized training epochs of one task, built once and shared.

    Every model trained from the same stream sees exactly the same samples in epoch e, which
    makes the zoo's comparison fair and saves redoing the augmentation per model. Models whose
    encoders are frozen share more: what the encoders make of each epoch, computed once per set of
    encoder weights (``encoded``), so the frozen part of the network runs once for the whole zoo.
    """

    def __init__(self, task: Task, data_dir: Path, config: TrainConfig, holdout: Optional[str] = None) -> None:
        self.task, self.data_dir, self.holdout = task, data_dir, holdout
        self.config = config
        self._epochs: Dict[int, Batch] = {}
        self._encoded: Dict[Tuple[int, str, str, str], Tuple[torch.Tensor, torch.Tensor]] = {}

    @staticmethod
    def _key(config: TrainConfig) -> Tuple:
        return (config.seed, config.augment, config.augment_features, config.corrupt_prob, config.corrupt_power)

    def serves(self, config: TrainConfig) -> bool:
        """Whether a model trained with ``config`` may use this stream's epochs."""
        return self._key(config) == self._key(self.config)

    def epoch(self, index: int) -> Batch:
        if index not in self._epochs:
            self._epochs[index] = self._build(index)
        return self._epochs[index]

    def encoded(self, index: int, model: FusionModel) -> Batch:
        """Epoch ``index`` with each modality's pool replaced by what ``model``'s frozen encoders make of it.

        Tokens, or stems for a method that reads stems; each computed once per set of encoder weights
        and shared by every model that has the same encoders.
        """
        return self.frozen(self.epoch(index), model)

    def frozen(self, data: Batch, model: FusionModel) -> Batch:
        """``data`` (an epoch, or the validation batch) as ``model``'s frozen encoders see it.

        Each pool is encoded once per set of encoder weights, and each of its rows once, however
        many samples share it (a scene asked twenty questions). Stems are kept too: they are most of
        an encoder's cost, and a method that reads stems (FiLM) then finds them made.
        """
        data = data.only(model.modalities)
        inputs = {}
        for m, pool in data.inputs.items():
            encoder = model.encoders[m]
            encoder.eval()
            stems = self._cached(pool, m, encoder, "stem", encoder.stem)
            inputs[m] = stems if model.reads == "stem" else self._cached(pool, m, encoder, "tokens", encoder.head, stems)
        return Batch(inputs, data.present, data.labels, data.index)

    def _cached(
        self,
        pool: torch.Tensor,
        m: str,
        encoder: nn.Module,
        what: str,
        step: Callable[[torch.Tensor], torch.Tensor],
        given: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """``step`` applied in chunks to ``given`` (or the pool), once per pool, modality and encoder weights."""
        # Keyed by the pool itself, which the cache keeps alive (so its id is never reused).
        key = (id(pool), m, encoder_digest(encoder), what)
        if key not in self._encoded:
            source = pool if given is None else given
            device = next(encoder.parameters()).device
            with torch.no_grad():
                parts = [step(source[i : i + CHUNK].to(device)).cpu() for i in range(0, len(source), CHUNK)]
            self._encoded[key] = (pool, torch.cat(parts))
        return self._encoded[key][1]

    def _build(self, index: int) -> Batch:
        config = self.config
        generator = torch.Generator().manual_seed(config.seed * 100_003 + index)
        data = self.task.load("train", self.data_dir, seed=config.seed * 100_003 + index, holdout=self.holdout)
        inputs, rows_of = {}, {}
        for m in self.task.modality_names:
            # Each distinct signal (a recording paired with several images, a scene asked many
            # questions) is augmented and featurized once per epoch; a sample that gets corrupted
            # gets a pool row of its own.
            rows, inverse = torch.unique(data.index[m], return_inverse=True)
            signals = data.pools[m][rows]
            if config.augment:
                kind = self.task.modality(m).kind
                signals = torch.cat([augment(kind, signals[i : i + CHUNK], generator) for i in range(0, len(signals), CHUNK)])
            hit, damaged = random_corruptions(
                self.task, m, signals, inverse, config.corrupt_prob, generator, config.corrupt_power
            )
            inputs[m] = featurize(self.task, {m: torch.cat([signals, damaged])})[m]
            if config.augment and config.augment_features:
                inputs[m] = augment_features(self.task.modality(m).kind, inputs[m], generator)
            inverse = inverse.clone()
            inverse[hit] = len(signals) + torch.arange(hit.numel())
            rows_of[m] = inverse
        present = {m: torch.ones(len(data), dtype=torch.bool) for m in inputs}
        return Batch(inputs, present, data.labels, rows_of)


def load_encoder_weights(model: FusionModel, encoders: Mapping[str, Mapping[str, torch.Tensor]]) -> List[str]:
    """Copy pretrained encoder state dicts (modality -> state) into ``model``; returns what was loaded."""
    loaded = []
    for m, state in encoders.items():
        if m in model.encoders:
            model.encoders[m].load_state_dict(state)
            loaded.append(m)
    return loaded


@torch.no_grad()
def predict_logits(
    model: FusionModel, batch: Batch, device: torch.device, batch_size: int = 1000, stage: str = "input"
) -> torch.Tensor:
    """Logits for every sample of ``batch`` (inference mode, in chunks); ``stage`` as in ``forward_train``."""
    model.eval()
    out = []
    for start in range(0, len(batch), batch_size):
        part = batch.rows(torch.arange(start, min(start + batch_size, len(batch)))).to(device)
        out.append(model.forward_train(part.inputs, part.present, stage).logits.float().cpu())
    return torch.cat(out)


def accuracy(model: FusionModel, batch: Batch, device: torch.device, stage: str = "input") -> float:
    return float((predict_logits(model, batch, device, stage=stage).argmax(1) == batch.labels).float().mean())


def train_model(
    model: FusionModel,
    stream: TrainingStream,
    config: TrainConfig,
    device: torch.device,
    val: Optional[Batch] = None,
    desc: str = "",
) -> History:
    """Train ``model`` in place on ``stream`` for ``config.epochs`` epochs (AdamW, one-cycle).

    Modality dropout is drawn here, per model, on top of the stream's shared epochs.
    """
    if not stream.serves(config):
        raise ValueError("this training stream was built with another seed, augmentation or corruption rate")
    torch.manual_seed(config.seed)
    model.to(device)
    if config.freeze_encoders:
        model.encoders.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = math.ceil(len(stream.epoch(0)) / config.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=config.lr, total_steps=config.epochs * steps_per_epoch, pct_start=0.2
    )
    generator = torch.Generator().manual_seed(config.seed)
    history, started = History(), time.perf_counter()
    for epoch in range(config.epochs):
        # Frozen encoders: their output comes from the stream, computed once for every model that shares them.
        data = stream.encoded(epoch, model) if config.freeze_encoders else stream.epoch(epoch)
        data = data.with_present(modality_dropout(model.modalities, len(data), config.modality_dropout, generator))
        order = torch.randperm(len(data), generator=generator)
        model.train()
        if config.freeze_encoders:
            model.encoders.eval()  # frozen batch-norm statistics stay as pretrained
        total, count = 0.0, 0
        bar = tqdm(range(0, len(data), config.batch_size), desc=f"{desc} epoch {epoch + 1}/{config.epochs}", leave=False, disable=None)
        for start in bar:
            batch = data.rows(order[start : start + config.batch_size]).to(device)
            loss = training_loss(model, batch, config, stage=model.reads if config.freeze_encoders else "input")
            if loss is None:
                continue
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total, count = total + float(loss.detach()), count + 1
        history.train_loss.append(total / max(count, 1))
        if val is not None:
            # Frozen encoders: validation reads their cached output too (it used to cost more than the epoch).
            frozen = config.freeze_encoders
            checked = stream.frozen(val, model) if frozen else val
            history.val_accuracy.append(accuracy(model, checked, device, stage=model.reads if frozen else "input"))
        log.info("%s epoch %d: loss %.4f val %s", desc, epoch + 1, history.train_loss[-1], history.val_accuracy[-1:])
    model.eval()
    history.seconds = time.perf_counter() - started
    return history


def training_loss(model: FusionModel, batch: Batch, config: TrainConfig, stage: str = "input") -> Optional[torch.Tensor]:
    """Cross-entropy on samples that have at least one of the model's modalities, plus aux and extra losses."""
    out = model.forward_train(batch.inputs, batch.present, stage)
    mask = model.presence_mask(batch.inputs, batch.present)
    rows = mask.any(dim=1)
    if not bool(rows.any()):
        return None
    loss = F.cross_entropy(out.logits[rows], batch.labels[rows])
    if config.aux_weight > 0:
        for m, logits in out.aux_logits.items():
            has = mask[:, model.modalities.index(m)]
            if bool(has.any()):
                loss = loss + config.aux_weight * F.cross_entropy(logits[has], batch.labels[has])
    if out.extra_loss is not None:
        loss = loss + out.extra_loss
    return loss

