"""Model inputs for many samples, stored once per distinct signal.

A scene asked twenty questions, or a recording paired with many images, is featurized and kept
once: a modality listed in ``Batch.index`` holds a pool of distinct inputs and, per sample, the
row of its pool. ``rows`` turns any selection into plain (dense) tensors for a model.
"""

from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Sequence

import torch

from .tasks import PairedData, Task

CHUNK = 512  # samples per featurization chunk (bounded memory for big spectrogram batches)


@dataclass
class Batch:
    """Model inputs, per-sample presence and labels.

    Attributes:
        inputs: modality -> (B, ...) inputs, or, for a modality in ``index``, a pool (N, ...).
        present: modality -> (B,) bool.
        labels: (B,) class indices.
        index: modality -> (B,) row of its pool for each sample.
    """

    inputs: Dict[str, torch.Tensor]
    present: Dict[str, torch.Tensor]
    labels: torch.Tensor
    index: Dict[str, torch.Tensor] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def dense(self, modality: str, rows: torch.Tensor = None) -> torch.Tensor:
        """The inputs of ``modality`` for ``rows`` (every sample if None), one per sample."""
        x = self.inputs[modality]
        if modality in self.index:
            picks = self.index[modality] if rows is None else self.index[modality][rows]
            return x[picks.to(x.device)]
        return x if rows is None else x[rows.to(x.device)]

    def dense_inputs(self) -> Dict[str, torch.Tensor]:
        """Every modality's inputs, one per sample: what ``model(...)`` takes."""
        return {m: self.dense(m) for m in self.inputs}

    def rows(self, rows: torch.Tensor) -> "Batch":
        """The samples ``rows`` as a dense batch."""
        return Batch(
            {m: self.dense(m, rows) for m in self.inputs},
            {m: p[rows] for m, p in self.present.items()},
            self.labels[rows],
        )

    def to(self, device: torch.device) -> "Batch":
        return Batch(
            {m: x.to(device) for m, x in self.inputs.items()},
            {m: p.to(device) for m, p in self.present.items()},
            self.labels.to(device),
            dict(self.index),
        )

    def only(self, subset: Sequence[str]) -> "Batch":
        """The batch with only ``subset`` switched on (the others absent, not zeroed)."""
        return Batch(
            {m: self.inputs[m] for m in subset},
            {m: self.present[m] for m in subset},
            self.labels,
            {m: i for m, i in self.index.items() if m in subset},
        )

    def with_present(self, present: Mapping[str, torch.Tensor]) -> "Batch":
        return Batch(self.inputs, dict(present), self.labels, self.index)

    def with_dense(self, modality: str, inputs: torch.Tensor) -> "Batch":
        """The batch with ``modality``'s inputs replaced by one per sample (e.g. corrupted ones)."""
        index = {m: i for m, i in self.index.items() if m != modality}
        return Batch(dict(self.inputs, **{modality: inputs}), self.present, self.labels, index)

    def permuted(self, modality: str, order: torch.Tensor) -> "Batch":
        """Sample i gets sample order[i]'s input of ``modality`` (the others stay): a shuffled pairing."""
        if modality in self.index:
            return Batch(self.inputs, self.present, self.labels, dict(self.index, **{modality: self.index[modality][order]}))
        return self.with_dense(modality, self.inputs[modality][order])


def featurize(task: Task, signals: Mapping[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Model inputs from canonical signals, in chunks."""
    out: Dict[str, List[torch.Tensor]] = {m: [] for m in signals}
    for m, s in signals.items():
        for start in range(0, s.shape[0], CHUNK):
            out[m].append(task.modality(m).featurize(s[start : start + CHUNK]))
    return {m: torch.cat(parts) for m, parts in out.items()}


def clean_batch(task: Task, data: PairedData) -> Batch:
    """Every sample with every modality present and uncorrupted; each distinct signal featurized once."""
    inputs, index = {}, {}
    for m, pool in data.pools.items():
        rows, inverse = torch.unique(data.index[m], return_inverse=True)
        inputs[m] = featurize(task, {m: pool[rows]})[m]
        index[m] = inverse
    present = {m: torch.ones(len(data), dtype=torch.bool) for m in inputs}
    return Batch(inputs, present, data.labels, index)
