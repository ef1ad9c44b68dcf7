"""The documented entry points for using FusionLab from Python (``import fusion_core as fc``).

    zoo = fc.load_zoo("digits-av")                          # name -> (model, card), loaded once
    answers = fc.predict("digits-av", {"image": "seven.png", "audio": "seven.wav"})
    answers["late"].label, answers["late"].confidence       # every model's answer
    why = fc.explain("digits-av", "late", {"image": "seven.png", "audio": "seven.wav"})
    why.shapley.values, why.attribution.attributions["image"]
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Mapping, Optional, Sequence, Tuple, Union

import torch

from .device import pick_device
from .errors import InputError
from .explain import Explanation, ModalityShapley, explain as attribute, modality_shapley
from .inference import Prediction, apply_corruptions, model_inputs
from .pretrained import load_zoo
from .runner import ZooRunner
from .tasks import Task, get_task

Input = Union[str, Path, bytes, torch.Tensor]  # a file, its bytes, or a canonical signal


@dataclass
class Why:
    """One model's explanation of one answer: per-input attributions and modality Shapley values."""

    attribution: Explanation
    shapley: ModalityShapley


def signals_from(task: Task, inputs: Mapping[str, Input]) -> Dict[str, torch.Tensor]:
    """Canonical signals from files, their bytes, or signals already canonical (modality -> unbatched tensor)."""
    out = {}
    for m, value in inputs.items():
        modality = task.modality(m)
        if isinstance(value, torch.Tensor):
            out[m] = value
        elif isinstance(value, (str, Path)):
            path = Path(value)
            if not path.is_file():
                raise InputError(f"{m}: no such file {path}")
            out[m] = modality.load(path.read_bytes())
        elif isinstance(value, (bytes, bytearray)):
            out[m] = modality.load(bytes(value))
        else:
            raise InputError(f"{m}: give a file path, the file's bytes or a tensor, not {type(value).__name__}")
    return out


def _prepare(task_name: str, inputs: Mapping[str, Input], off: Sequence[str], corrupt, device: str):
    task = get_task(task_name)
    for m in off:
        task.modality(m)
    signals = apply_corruptions(task, signals_from(task, inputs), corrupt)
    enabled = [m for m in task.modality_names if m in signals and m not in off]
    target = pick_device(device)
    return task, {m: x.to(target) for m, x in model_inputs(task, signals, enabled).items()}, target


def predict(
    task: str,
    inputs: Mapping[str, Input],
    models: Optional[Sequence[str]] = None,
    off: Sequence[str] = (),
    corrupt: Optional[Mapping[str, Tuple[str, float]]] = None,
    device: str = "auto",
) -> Dict[str, Prediction]:
    """Every pretrained model's answer (or those named in ``models``) for one set of inputs.

    Args:
        task: a name from ``list_tasks()``.
        inputs: modality -> a file path, its bytes or a canonical signal; a modality left out is off.
        off: modalities to switch off although given.
        corrupt: modality -> (corruption name, level in [0, 1]).
        device: "auto" (CUDA when present), "cpu" or "cuda".
    """
    spec, model_inputs_, target = _prepare(task, inputs, off, corrupt, device)
    zoo = load_zoo(task, str(target))
    chosen = list(zoo) if models is None else list(models)
    unknown = [n for n in chosen if n not in zoo]
    if unknown:
        raise InputError(f"unknown model(s) {', '.join(unknown)}; choose from: {', '.join(zoo)}")
    logits = ZooRunner({n: zoo[n][0] for n in chosen}).logits(model_inputs_)
    return {n: Prediction(n, torch.softmax(l.float(), -1)[0].cpu(), spec.labels, 0.0) for n, l in logits.items()}


def explain(
    task: str,
    model: str,
    inputs: Mapping[str, Input],
    method: str = "integrated_gradients",
    params: Optional[Mapping[str, float]] = None,
    target: Optional[int] = None,
    off: Sequence[str] = (),
    device: str = "auto",
) -> Why:
    """Why ``model`` answers as it does: Captum attributions over each input and the modalities' Shapley values."""
    spec, model_inputs_, target_device = _prepare(task, inputs, off, None, device)
    zoo = load_zoo(task, str(target_device))
    if model not in zoo:
        raise InputError(f"unknown model {model!r}; choose from: {', '.join(zoo)}")
    chosen = zoo[model][0]
    return Why(attribute(chosen, spec, model_inputs_, method, params, target), modality_shapley(chosen, model_inputs_, target))
