"""A task's information profile: how much of its label is redundant, unique to one input, or synergy.

Each input is reduced to a discrete value that does not use the task's label: the class the
unimodal baseline of ``task.encoders_from`` reads from it (for the digit tasks, the digit that
digits-av's image and audio baselines read), or a k-means cluster of that baseline encoder's
features (``Task.profile_clusters``). The empirical joint distribution of (image value,
audio value, label) on the test pairs is then decomposed by ``pid.decompose``. The result is
stored beside the task's model cards as ``profile.json``.
"""

import json
import shlex
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any, Dict, Optional

import numpy as np
import torch
from scipy.cluster.vq import kmeans2

from .errors import InputError
from .pid import SOLVER, decompose, joint_from_samples
from .pretrained import PROFILE_FILE, load_pretrained, task_dir
from .tasks import PairedData, Task
from .evaluation import only
from .batch import clean_batch
from .training import predict_logits

COVERED_SHARE = 0.8  # below this share of H(label) explained by the summaries, the profile is flagged as partial
DOMINANT_SHARE = 0.5  # a term holding at least this share of I(Y; X1, X2) names the task's kind


def discrete_views(task: Task, data: PairedData, root: Path, device: torch.device) -> Dict[str, Any]:
    """Per modality, a discrete value for every sample that does not use the task's label, and what it is.

    By default the class that the reading baseline (``task.encoders_from``'s unimodal model) predicts;
    for a modality in ``task.profile_clusters``, the k-means cluster (k given there) of that baseline
    encoder's mean token, where the baseline's class says little (a question alone has no answer).
    """
    batch = clean_batch(task, data)
    views, sources = {}, {}
    for m in task.modality_names:
        baseline, card = load_pretrained(task.encoders_from, f"unimodal-{m}", device, root=root)
        name = f"{task.encoders_from}/unimodal-{m} (sha256 {card['weights']['sha256'][:12]})"
        clusters = task.profile_clusters.get(m)
        if clusters is None:
            views[m] = predict_logits(baseline, only(batch, [m]), device).argmax(1).numpy()
            sources[m] = f"the class {name} reads"
            continue
        with torch.no_grad():
            features = torch.cat([baseline.encoders[m](batch.dense(m, rows).to(device)).mean(dim=1).cpu()
                                  for rows in torch.arange(len(batch)).split(1000)])
        _, views[m] = kmeans2(features.double().numpy(), clusters, seed=0, minit="++")
        sources[m] = f"the k-means cluster (k = {clusters}) of {name}'s encoder features"
    return {"values": views, "sources": sources}


def compute_profile(task: Task, data_dir: Path, root: Path, device: torch.device = torch.device("cpu")) -> Dict[str, Any]:
    """The PID of ``task``'s label on its test pairs, with what it took to compute."""
    if len(task.modality_names) != 2:
        raise InputError("the information profile is defined for two-modality tasks")
    started = time.perf_counter()
    test = task.load("test", data_dir)
    views = discrete_views(task, test, root, device)
    first, second = task.modality_names
    joint = joint_from_samples(views["values"][first], views["values"][second], test.labels.numpy())
    parts = decompose(joint)
    bits = parts.as_dict()
    return {
        "task": task.name,
        "modalities": [first, second],
        "bits": {
            "redundancy": bits["redundancy"],
            "unique": {first: bits["unique_1"], second: bits["unique_2"]},
            "synergy": bits["synergy"],
            "total": bits["total"],
            "label_entropy": bits["label_entropy"],
        },
        "pairs": len(test),
        "views": views["sources"],
        "estimator": f"BROJA PID (Bertschinger et al. 2014) of the empirical joint, cvxpy + {SOLVER}",
        "command": "python -m fusion_core " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:] else "",
        "seconds": round(time.perf_counter() - started, 1),
        "created": date.today().isoformat(),
    }


def write_profile(profile: Dict[str, Any], root: Path) -> Path:
    path = task_dir(profile["task"], root) / PROFILE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(profile, indent=1) + "\n")
    return path


def read_profile(task_name: str, root: Optional[Path] = None) -> Optional[Dict[str, Any]]:
    """The stored profile of a task, or None if it has not been computed."""
    path = task_dir(task_name, root) / PROFILE_FILE
    return json.loads(path.read_text()) if path.exists() else None


def shares(profile: Dict[str, Any]) -> Dict[str, float]:
    """Each PID term as a share of I(Y; X1, X2): "redundancy", "unique <m>"..., "synergy"."""
    bits = profile["bits"]
    parts = {"redundancy": bits["redundancy"], **{f"unique {m}": v for m, v in bits["unique"].items()}, "synergy": bits["synergy"]}
    total = sum(parts.values()) or 1.0
    return {k: v / total for k, v in parts.items()}


def meaning(profile: Dict[str, Any]) -> str:
    """One line on what the profile means for fusion (with a warning when the inputs' summaries miss much of the label)."""
    bits = profile["bits"]
    if bits["total"] < COVERED_SHARE * bits["label_entropy"]:
        kind, _ = max(shares(profile).items(), key=lambda item: item[1])
        return (
            f"Read with care: the inputs' discrete summaries explain only {bits['total']:.2f} of the label's "
            f"{bits['label_entropy']:.2f} bits, so this profile cannot see what they lose (models that score higher "
            f"than the summaries allow use it). Of what they explain, most is {kind.replace('unique ', 'unique to the ')}."
        )
    share = shares(profile)
    kind, top = max(share.items(), key=lambda item: item[1])
    first, second = profile["modalities"]
    if top < DOMINANT_SHARE:
        return "The label comes from a mix of redundant, unique and synergistic information: methods differ in which part they capture."
    if kind == "synergy":
        return "The label needs both inputs together: only methods that mix features before deciding can get it; late fusion cannot."
    if kind == "redundancy":
        return "Either input alone names the label: every method gets it, and what sets them apart is how they cope when one input is damaged or missing."
    modality = kind.split(" ", 1)[1]
    other = second if modality == first else first
    return f"Only the {modality} carries the label: a good method learns to ignore the {other}; the question is whether a useless input hurts."
