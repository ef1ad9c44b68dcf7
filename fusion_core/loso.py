"""Leave-one-group-out evaluation (for digits-av: leave one speaker out).

For each group (speaker) the models are retrained without any of its data and tested on pairs
whose recordings are all that group's: voices never heard in training.
"""

import logging
import tempfile
from pathlib import Path
from typing import Dict, Sequence

import torch

from .errors import InputError
from .evaluation import modality_subsets, only, subset_key
from .fusions import fusion_class
from .pretrained import load_pretrained
from .tasks import Task, get_task
from .batch import clean_batch
from .training import accuracy
from .zoo import select_entries, train_zoo

log = logging.getLogger(__name__)


def leave_one_group_out(
    task: Task, names: Sequence[str], data_dir: Path, device: torch.device, epochs_scale: float = 1.0
) -> Dict[str, Dict[str, Dict[str, float]]]:
    """name -> {"accuracy": {group: accuracy, ..., "mean"}, "subsets": {modality subset: mean accuracy},
    "subsets_by_group": {modality subset: {group: accuracy}}}.

    "accuracy" uses every modality the model reads; "subsets" the mean over held-out groups with
    only that subset switched on (for a fused model, e.g. how its audio path copes with new voices),
    and "subsets_by_group" each group's, so that a fused answer can be set against its better modality
    on the same voice.
    """
    if not task.groups:
        raise InputError(f"task {task.name!r} has no groups (speakers) to leave out")
    entries = select_entries(task, names)
    baselines = [f"unimodal-{m}" for m in task.modality_names]
    borrows = task.encoders_from != task.name  # then the lending task's baselines are retrained first
    needs_baselines = any(
        task.recipe(e.method, accepts).pretrained_encoders and accepts
        for e in entries
        for accepts in [fusion_class(e.method).accepts_pretrained_encoders]
    )
    to_train = baselines if needs_baselines and not borrows else []
    to_train += [e.name for e in entries if e.name not in to_train]
    results: Dict[str, Dict[str, float]] = {name: {} for name in names}
    subsets: Dict[str, Dict[str, Dict[str, float]]] = {name: {} for name in names}
    for group in task.groups:
        log.info("leave out %s %s", task.group_kind, group)
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            if needs_baselines and borrows:
                source = get_task(task.encoders_from)
                train_zoo(source, data_dir, root / source.name, baselines, device, epochs_scale, holdout=group)
            train_zoo(task, data_dir, root / task.name, to_train, device, epochs_scale, holdout=group)
            test = clean_batch(task, task.load("test", data_dir, holdout=group))
            for name in names:
                model, _ = load_pretrained(task.name, name, device, root=root)
                results[name][group] = round(accuracy(model, test, device), 5)
                for subset in modality_subsets(model.modalities):
                    score = accuracy(model, only(test, subset), device)
                    subsets[name].setdefault(subset_key(subset), {})[group] = round(score, 5)
    for scores in results.values():
        scores["mean"] = round(sum(scores[g] for g in task.groups) / len(task.groups), 5)
    return {
        name: {
            "accuracy": results[name],
            "subsets": {k: round(sum(v.values()) / len(v), 5) for k, v in subsets[name].items()},
            "subsets_by_group": subsets[name],
        }
        for name in names
    }
