"""From canonical signals to every model's prediction: the path the CLI and the app share."""

import time
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import torch

from .corruptions import corrupt
from .errors import InputError
from .fusions import FusionModel
from .tasks import Task

# modality -> (corruption name, level)
CorruptionSettings = Mapping[str, Tuple[str, float]]


@dataclass
class Prediction:
    """One model's answer for one sample."""

    model: str
    probabilities: torch.Tensor  # (num_classes,)
    labels: Tuple[str, ...]
    seconds: float

    @property
    def label(self) -> str:
        return self.labels[int(self.probabilities.argmax())]

    @property
    def confidence(self) -> float:
        return float(self.probabilities.max())

    def top(self, k: int = 3) -> List[Tuple[str, float]]:
        values, indices = self.probabilities.topk(min(k, len(self.labels)))
        return [(self.labels[i], float(v)) for v, i in zip(values.tolist(), indices.tolist())]


def apply_corruptions(
    task: Task, signals: Mapping[str, torch.Tensor], settings: Optional[CorruptionSettings], seed: int = 0
) -> Dict[str, torch.Tensor]:
    """Corrupt unbatched canonical signals as ``settings`` say; level 0 or no entry leaves a signal as it is."""
    out = dict(signals)
    for modality, (name, level) in (settings or {}).items():
        if modality not in out or level <= 0:
            continue
        generator = torch.Generator().manual_seed(seed)
        kind = task.modality(modality).kind
        out[modality] = corrupt(kind, name, out[modality].unsqueeze(0), float(level), generator)[0]
    return out


def model_inputs(task: Task, signals: Mapping[str, torch.Tensor], enabled: Sequence[str]) -> Dict[str, torch.Tensor]:
    """Batched (1, ...) model inputs of the enabled modalities; switched-off ones are left out."""
    if not enabled:
        raise InputError("switch on at least one modality")
    missing = [m for m in enabled if m not in signals]
    if missing:
        raise InputError(f"no input given for {', '.join(missing)}: upload one or switch it off")
    return task.featurize({m: signals[m].unsqueeze(0) for m in enabled})


@torch.inference_mode()
def predict_all(
    task: Task, models: Mapping[str, FusionModel], inputs: Mapping[str, torch.Tensor], device: torch.device
) -> Dict[str, Prediction]:
    """Every model's prediction for one sample (inputs batched as (1, ...))."""
    moved = {m: x.to(device) for m, x in inputs.items()}
    out = {}
    for name, model in models.items():
        start = time.perf_counter()
        logits = model(moved)
        probabilities = torch.softmax(logits.float(), dim=-1)[0].cpu()
        out[name] = Prediction(name, probabilities, task.labels, time.perf_counter() - start)
    return out
