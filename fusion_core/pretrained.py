"""Pretrained models: safetensors weights beside a JSON card that rebuilds and describes them.

Loading checks the weights' sha256 against the card and never unpickles anything.
"""

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import torch
from safetensors.torch import load_file, save_file

from .data.download import sha256_file
from .encoders import EncoderSpec
from .errors import ModelCardError
from .fusions import FusionModel, create_fusion
from .tasks import Task

PRETRAINED_ENV = "FUSIONLAB_PRETRAINED"
CARD_SCHEMA = 1
PROFILE_FILE = "profile.json"  # the task's information profile (fusion_core.profile), not a model card


def pretrained_root() -> Path:
    """``$FUSIONLAB_PRETRAINED`` or the repository's ``pretrained/``."""
    return Path(os.environ.get(PRETRAINED_ENV) or Path(__file__).resolve().parent.parent / "pretrained")


def task_dir(task_name: str, root: Optional[Path] = None) -> Path:
    return (root or pretrained_root()) / task_name


def build_model(card: Dict[str, Any]) -> FusionModel:
    """A freshly initialised model with the architecture the card describes."""
    encoders = {m: EncoderSpec(spec["name"], spec["kwargs"]) for m, spec in card["encoders"].items()}
    return create_fusion(card["method"], encoders=encoders, num_classes=len(card["labels"]), **card["options"])


def model_card(task: Task, name: str, method: str, options: Dict[str, Any], model: FusionModel) -> Dict[str, Any]:
    """The architecture half of a card: enough to rebuild ``model`` without its weights."""
    encoders = {m: {"name": task.modality(m).encoder.name, "kwargs": task.modality(m).encoder.kwargs} for m in model.modalities}
    return {
        "schema": CARD_SCHEMA,
        "name": name,
        "task": task.name,
        "method": method,
        "options": options,
        "encoders": json.loads(json.dumps(encoders)),
        "labels": list(task.labels),
        "parameters": sum(p.numel() for p in model.parameters()),
    }


def save_pretrained(model: FusionModel, card: Dict[str, Any], directory: Path) -> Path:
    """Write ``<name>.safetensors`` and ``<name>.json`` (the card, with the weights' sha256)."""
    directory.mkdir(parents=True, exist_ok=True)
    weights = directory / f"{card['name']}.safetensors"
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    # One metadata entry: safetensors writes its metadata map in no fixed order, so with two the same
    # weights could give files with different bytes (and sha256) from one training run to the next.
    save_file(state, str(weights), metadata={"model": f"{card['task']}/{card['name']} ({card['method']})"})
    card = dict(card, weights={"file": weights.name, "sha256": sha256_file(weights), "bytes": weights.stat().st_size})
    write_card(card, directory)
    return weights


def write_card(card: Dict[str, Any], directory: Path) -> Path:
    path = directory / f"{card['name']}.json"
    path.write_text(json.dumps(card, indent=1, sort_keys=False) + "\n")
    return path


def read_card(task_name: str, name: str, root: Optional[Path] = None) -> Dict[str, Any]:
    path = task_dir(task_name, root) / f"{name}.json"
    if not path.exists():
        available = ", ".join(list_pretrained(task_name, root)) or "none"
        raise ModelCardError(f"no pretrained model {name!r} for task {task_name!r} (available: {available})")
    try:
        card = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ModelCardError(f"{path} is not valid JSON ({error})") from None
    if card.get("schema") != CARD_SCHEMA:
        raise ModelCardError(f"{path} has card schema {card.get('schema')}, this FusionLab reads {CARD_SCHEMA}")
    return card


def list_pretrained(task_name: str, root: Optional[Path] = None) -> List[str]:
    """Names of the pretrained models of a task, in zoo order (unimodal first, by fusion stage)."""
    from .zoo import zoo_order  # late import: zoo imports this module

    directory = task_dir(task_name, root)
    names = [p.stem for p in directory.glob("*.json") if p.name != PROFILE_FILE] if directory.is_dir() else []
    return sorted(names, key=zoo_order)


def load_pretrained(
    task_name: str, name: str, device: torch.device = torch.device("cpu"), root: Optional[Path] = None
) -> Tuple[FusionModel, Dict[str, Any]]:
    """Rebuild a pretrained model from its card, verify and load its weights, in eval mode."""
    card = read_card(task_name, name, root)
    weights = task_dir(task_name, root) / card["weights"]["file"]
    if not weights.exists():
        raise ModelCardError(f"{weights} is missing; the card {name}.json has no weights beside it")
    if sha256_file(weights) != card["weights"]["sha256"]:
        raise ModelCardError(f"{weights} does not match the sha256 in {name}.json; retrain or restore it")
    model = build_model(card)
    try:
        model.load_state_dict(load_file(str(weights), device="cpu"), strict=True)
    except RuntimeError:
        raise ModelCardError(
            f"{name}: its weights do not fit the {card['method']} architecture of this code, which changed after "
            f"they were trained; retrain it: python -m fusion_core train --task {task_name} --models {name}"
        ) from None
    return model.to(device).eval(), card


@lru_cache(maxsize=8)
def load_zoo(task_name: str, device: str = "cpu", root: Optional[Path] = None) -> Dict[str, Tuple[FusionModel, Dict]]:
    """Every pretrained model of a task: name -> (model, card). Cached: treat the models as read-only."""
    return {name: load_pretrained(task_name, name, torch.device(device), root) for name in list_pretrained(task_name, root)}
