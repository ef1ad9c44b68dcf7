"""The task contract: modalities, labels, splits and the path from a user's file to a model input."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import torch

from ..config import TrainConfig
from ..encoders import EncoderSpec
from ..errors import InputError


@dataclass(frozen=True)
class Modality:
    """One input channel of a task.

    Attributes:
        name: key of the modality in every inputs dict.
        kind: signal kind ("image", "audio", "text"): picks corruptions and augmentation.
        encoder: the unimodal encoder that reads it.
        load: a user's file (bytes) -> canonical signal; raises InputError on bad input.
        featurize: canonical signals (B, ...) -> model inputs (B, ...).
        file_types: file extensions an upload may have.
        signal_shape: shape of one canonical signal (what ``load`` returns).
        live_inputs: ways to make an input on the spot besides uploading: "draw", "record".
        max_bytes: the largest file ``load`` accepts (the app's upload limit).
    """

    name: str
    kind: str
    encoder: EncoderSpec
    load: Callable[[bytes], torch.Tensor]
    featurize: Callable[[torch.Tensor], torch.Tensor]
    file_types: Tuple[str, ...]
    signal_shape: Tuple[int, ...]
    description: str = ""
    live_inputs: Tuple[str, ...] = ()
    max_bytes: int = 10 * 2**20


@dataclass
class PairedData:
    """Aligned samples: sample i is ``pools[m][index[m][i]]`` for each modality m, label ``labels[i]``.

    Pools hold each distinct canonical signal once (a recording paired with twenty images is
    stored once); ``ids`` name each sample's sources so a person can find them again.
    """

    pools: Dict[str, torch.Tensor]
    index: Dict[str, torch.Tensor]
    labels: torch.Tensor
    ids: Dict[str, List[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def signals(self, rows: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """Canonical signals of ``rows`` (all samples if None): modality -> (len(rows), ...)."""
        return {m: pool[self.index[m] if rows is None else self.index[m][rows]] for m, pool in self.pools.items()}

    def subset(self, rows: Sequence[int]) -> "PairedData":
        rows_t = torch.as_tensor(list(rows), dtype=torch.long)
        return PairedData(
            pools=self.pools,
            index={m: i[rows_t] for m, i in self.index.items()},
            labels=self.labels[rows_t],
            ids={m: [names[r] for r in rows_t.tolist()] for m, names in self.ids.items()},
        )


class Task:
    """A paired-input classification task. Subclasses fill the attributes and ``load``."""

    name: str = ""
    title: str = ""
    description: str = ""
    modalities: Tuple[Modality, ...] = ()
    labels: Tuple[str, ...] = ()
    # Leave-one-group-out evaluation (e.g. "speaker"): the group kind and its values.
    group_kind: str = ""
    groups: Tuple[str, ...] = ()
    splits: Tuple[str, ...] = ("train", "val", "test")
    # Training recipes of the pretrained zoo (read-only; copy with dataclasses.replace to change).
    unimodal_recipe = TrainConfig(epochs=20, modality_dropout=0.0)
    fusion_recipe = TrainConfig(epochs=6, pretrained_encoders=True, freeze_encoders=True)
    scratch_recipe = TrainConfig(epochs=20)

    def load(self, split: str, data_dir: Path, seed: int = 0, holdout: Optional[str] = None) -> PairedData:
        """Paired canonical signals of ``split``.

        Args:
            split: "train", "val" or "test".
            data_dir: the data directory.
            seed: the training pairing of this epoch (ignored by fixed splits).
            holdout: a group left out of train/val and used alone for test (leave-one-group-out).
        """
        raise NotImplementedError

    def provenance(self) -> Dict[str, Any]:
        """Where the data came from: names, versions, licences, checksums, the split rule."""
        raise NotImplementedError

    # Everything below is shared by all tasks.

    def recipe(self, method: str, accepts_pretrained_encoders: bool) -> TrainConfig:
        """How the zoo trains ``method``: baselines alone; fusion on top of the baselines' encoders."""
        if method == "unimodal":
            return self.unimodal_recipe
        return self.fusion_recipe if accepts_pretrained_encoders else self.scratch_recipe

    @property
    def modality_names(self) -> Tuple[str, ...]:
        return tuple(sorted(m.name for m in self.modalities))

    def modality(self, name: str) -> Modality:
        for modality in self.modalities:
            if modality.name == name:
                return modality
        raise InputError(f"task {self.name!r} has no modality {name!r}; it has: {', '.join(self.modality_names)}")

    def encoder_specs(self) -> Dict[str, EncoderSpec]:
        return {m.name: m.encoder for m in self.modalities}

    def featurize(self, signals: Mapping[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Canonical signals -> model inputs, modality by modality."""
        return {m: self.modality(m).featurize(s) for m, s in signals.items()}

    def load_files(self, files: Mapping[str, bytes]) -> Dict[str, torch.Tensor]:
        """A user's files (modality -> bytes) -> canonical signals (modality -> unbatched tensor)."""
        return {m: self.modality(m).load(data) for m, data in files.items()}
