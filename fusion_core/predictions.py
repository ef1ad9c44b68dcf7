"""Every pretrained model's answers on its task's test set, stored beside the cards.

Error analysis (and the Playground's "a pair the methods disagree on") needs every model's answer on
every test pair. Computing them when a page is first opened takes a server many seconds; they are
computed once, when the zoo is evaluated, and shipped in ``pretrained/<task>/test_predictions.npz``:
per model the predicted class and its probability (to 1/65535), with the weights' sha256 they came
from and a digest of the test labels, so that a retrained model or a changed test set is noticed and
its answers recomputed instead of trusted.
"""

import hashlib
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple

import numpy as np
import torch

from .batch import Batch
from .errors import FusionLabError
from .fusions.base import FusionModel
from .pretrained import read_card, task_dir
from .runner import ZooRunner

PREDICTIONS_FILE = "test_predictions.npz"
Answers = Tuple[torch.Tensor, torch.Tensor]  # predicted class (N,), its probability (N,)


def labels_digest(labels: torch.Tensor) -> str:
    return hashlib.sha256(labels.to(torch.int64).numpy().tobytes()).hexdigest()[:16]


def answers_from_logits(logits: torch.Tensor) -> Answers:
    probabilities = torch.softmax(logits.float(), dim=1)
    confidence, predicted = probabilities.max(dim=1)
    return predicted, confidence


def compute_answers(models: Mapping[str, FusionModel], batch: Batch, device: torch.device) -> Dict[str, Answers]:
    """name -> (predicted, confidence) on every sample of ``batch``."""
    return {name: answers_from_logits(logits) for name, logits in ZooRunner(models).predict(batch, device).items()}


def write_answers(task_name: str, answers: Mapping[str, Answers], labels: torch.Tensor, root: Optional[Path] = None) -> Path:
    """Store ``answers`` (merged with those already stored for other models) beside the cards."""
    stored = read_answers(task_name, labels, root)  # other models' answers, where still current
    stored.update(answers)
    arrays = {"labels_digest": np.array(labels_digest(labels))}
    for name, (predicted, confidence) in sorted(stored.items()):
        arrays[f"{name}/predicted"] = predicted.numpy().astype(np.uint8)
        arrays[f"{name}/confidence"] = np.round(confidence.numpy() * 65535).astype(np.uint16)
        arrays[f"{name}/weights_sha256"] = np.array(read_card(task_name, name, root)["weights"]["sha256"])
    path = task_dir(task_name, root) / PREDICTIONS_FILE
    np.savez_compressed(path, **arrays)
    return path


def read_answers(
    task_name: str, labels: torch.Tensor, root: Optional[Path] = None, check_weights: bool = True
) -> Dict[str, Answers]:
    """name -> (predicted, confidence) for each model whose stored answers are current; {} without a file.

    Answers are current when the test labels are those they were computed on and (``check_weights``)
    the model's card names the weights they came from.
    """
    path = task_dir(task_name, root) / PREDICTIONS_FILE
    if not path.is_file():
        return {}
    with np.load(path) as stored:
        if str(stored["labels_digest"]) != labels_digest(labels):
            return {}
        names = sorted({key.split("/")[0] for key in stored.files if "/" in key})
        out = {}
        for name in names:
            if check_weights:
                try:
                    if read_card(task_name, name, root)["weights"]["sha256"] != str(stored[f"{name}/weights_sha256"]):
                        continue
                except FusionLabError:  # no card any more, or an unreadable one: its answers are not trusted
                    continue
            predicted = torch.from_numpy(stored[f"{name}/predicted"].astype(np.int64))
            confidence = torch.from_numpy(stored[f"{name}/confidence"].astype(np.float32) / 65535)
            out[name] = (predicted, confidence)
    return out
