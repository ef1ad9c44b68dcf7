"""The task contract: modalities, labels, splits and the path from a user's file to a model input."""

from dataclasses import dataclass, field, replace
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
        live_inputs: ways to make an input on the spot besides uploading: "draw", "record", "type".
        max_bytes: the largest file ``load`` accepts (the app's upload limit).
        layout_axes: the axes of one model input (no batch axis) along which the signal is laid out in
            space or time; attribution windows and grids cut along these only (a text's vocabulary
            axis is not a place).
        probe: ``count -> (count, *signal_shape)`` fixed, closed-form signals for pinning a model's
            outputs; None: a smooth pattern of floats (``zoo.probe_signals``).
        to_text: a canonical signal -> the words it stands for (text kinds: token ids back to words).
        blank_value: the canonical signal's value everywhere when there is nothing to see or hear: a
            black digit field, silence, no words (0); an empty white scene (1). Explanations start from it.
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
    layout_axes: Tuple[int, ...] = (-2, -1)
    probe: Optional[Callable[[int], torch.Tensor]] = None
    to_text: Optional[Callable[[torch.Tensor], str]] = None
    blank_value: float = 0.0


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
    # Named groupings of the samples that results are also reported by, e.g. "question type".
    strata: Dict[str, List[str]] = field(default_factory=dict)

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
            strata={k: [values[r] for r in rows_t.tolist()] for k, values in self.strata.items()},
        )


class Task:
    """A paired-input classification task. Subclasses fill the attributes and ``load``."""

    name: str = ""
    title: str = ""
    description: str = ""
    rule: str = ""  # how the label follows from the inputs, in one line
    order: int = 100  # where the task appears in lists (then by name)
    family: str = ""  # tasks of one family share their inputs and differ in the labelling rule
    lesson: str = ""  # what this task teaches about fusion (Learn's walkthrough of a family)
    modalities: Tuple[Modality, ...] = ()
    labels: Tuple[str, ...] = ()
    # Leave-one-group-out evaluation (e.g. "speaker"): the group kind and its values.
    group_kind: str = ""
    groups: Tuple[str, ...] = ()
    splits: Tuple[str, ...] = ("train", "val", "test")
    # The task whose unimodal baselines lend their encoders to this task's models (transfer
    # learning); empty: this task's own baselines. Needed where a modality alone cannot learn an
    # encoder from this task's labels.
    encoder_source: str = ""
    # Training recipes of the pretrained zoo (read-only; copy with dataclasses.replace to change).
    unimodal_recipe = TrainConfig(epochs=20, modality_dropout=0.0)
    # Per-modality epochs of the unimodal recipe where a baseline needs more than the rest (modality -> epochs).
    unimodal_epochs: Mapping[str, int] = {}
    fusion_recipe = TrainConfig(epochs=6, pretrained_encoders=True, freeze_encoders=True)
    scratch_recipe = TrainConfig(epochs=20)
    # A method's options on this task (e.g. a deeper transformer), passed to ``create_fusion``.
    fusion_options: Mapping[str, Mapping[str, Any]] = {}
    # Information profile: modalities reduced to k-means clusters (modality -> k) rather than a baseline's class.
    profile_clusters: Mapping[str, int] = {}

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

    def auxiliary(self, modality: str) -> Any:
        """An ``pretraining.Auxiliary`` objective for ``modality``'s encoder, or None (see recipes' pretrain_epochs)."""
        return None

    def label_for(self, ids: Mapping[str, str], data_dir: Optional[Path] = None) -> Optional[int]:
        """The label of inputs known by their ids (modality -> id, as in ``PairedData.ids``), if it can be known.

        Lets the app name the true answer when the inputs come from different samples.
        """
        return None

    # Everything below is shared by all tasks.

    def recipe(self, method: str, accepts_pretrained_encoders: bool, modality: str = "") -> TrainConfig:
        """How the zoo trains ``method``: baselines alone; fusion on top of the baselines' encoders.

        ``modality``: the one a unimodal baseline reads (it may train longer, see ``unimodal_epochs``).
        """
        if method == "unimodal":
            epochs = self.unimodal_epochs.get(modality)
            return replace(self.unimodal_recipe, epochs=epochs) if epochs else self.unimodal_recipe
        return self.fusion_recipe if accepts_pretrained_encoders else self.scratch_recipe

    @property
    def encoders_from(self) -> str:
        """The name of the task whose unimodal baselines provide pretrained encoders."""
        return self.encoder_source or self.name

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
