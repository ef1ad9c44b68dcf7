"""The pretrained zoo of a task: one unimodal baseline per modality plus every fusion method."""

import dataclasses
import logging
import platform
import shlex
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import torch

from .errors import InputError
from .fusions import FusionModel, create_fusion, fusion_class, list_fusions
from .pretrained import load_pretrained, model_card, save_pretrained
from .pretraining import pretrain_encoder
from .tasks import Task
from .batch import clean_batch
from .training import TrainingStream, predict_logits, train_model

log = logging.getLogger(__name__)
PINNED_TEST_ROWS = (0, 1, 2, 3)


@dataclass(frozen=True)
class ZooEntry:
    """One model of the zoo: its file name, its fusion method and the method's options."""

    name: str
    method: str
    options: Dict[str, Any] = field(default_factory=dict)


def zoo_entries(task: Task) -> List[ZooEntry]:
    """Unimodal baselines (one per modality) first, then every other registered method (with the task's options)."""
    entries = [ZooEntry(f"unimodal-{m}", "unimodal", {"modality": m}) for m in task.modality_names]
    return entries + [ZooEntry(name, name, dict(task.fusion_options.get(name, {}))) for name in list_fusions() if name != "unimodal"]


def zoo_order(name: str) -> tuple:
    """Sort key: baselines, then methods in ``list_fusions()`` order, unknown names last."""
    methods = list_fusions()
    method = "unimodal" if name.startswith("unimodal-") else name
    return (methods.index(method) if method in methods else len(methods), name)


def select_entries(task: Task, names: Optional[Sequence[str]]) -> List[ZooEntry]:
    entries = zoo_entries(task)
    if not names:
        return entries
    known = {e.name: e for e in entries}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InputError(f"unknown model(s) {', '.join(unknown)}; choose from: {', '.join(known)}")
    return [known[n] for n in names]


def probe_signals(task: Task, count: int = 2) -> Dict[str, torch.Tensor]:
    """Deterministic synthetic canonical signals (closed-form, no RNG) for pinning outputs."""
    out = {}
    for modality in task.modalities:
        if modality.probe is not None:
            out[modality.name] = modality.probe(count)
            continue
        shape = modality.signal_shape
        grid = torch.arange(count * int(torch.tensor(shape).prod())).float().view(count, *shape)
        out[modality.name] = 0.5 + 0.45 * torch.sin(grid * 0.37) * torch.cos(grid * 0.011)
        if modality.kind == "audio":
            out[modality.name] = 0.1 * (out[modality.name] - 0.5)
    return out


def pinned_outputs(task: Task, model: FusionModel, data_dir: Optional[Path]) -> Dict[str, Any]:
    """Logits on the probe signals and on the first test pairs, for the reproduction test."""
    model.eval()
    with torch.no_grad():
        probe = model(task.featurize(probe_signals(task)))
    pinned: Dict[str, Any] = {"probe_logits": [[round(v, 5) for v in row] for row in probe.tolist()]}
    if data_dir is not None:
        test = task.load("test", data_dir).subset(PINNED_TEST_ROWS)
        logits = predict_logits(model, clean_batch(task, test), torch.device("cpu"))
        pinned["test_rows"] = list(PINNED_TEST_ROWS)
        pinned["test_ids"] = {m: ids for m, ids in test.ids.items()}
        pinned["test_logits"] = [[round(v, 5) for v in row] for row in logits.tolist()]
    return pinned


def train_zoo(
    task: Task,
    data_dir: Path,
    out_dir: Path,
    names: Optional[Sequence[str]] = None,
    device: torch.device = torch.device("cpu"),
    epochs_scale: float = 1.0,
    holdout: Optional[str] = None,
    seed: int = 0,
) -> List[str]:
    """Train the zoo (or ``names`` of it) and write weights + cards into ``out_dir``.

    Baselines train first; fusion methods that accept pretrained encoders start from the
    baselines' encoders (read back from ``out_dir``). ``epochs_scale`` shortens every recipe
    (smoke tests); the real zoo uses 1.0. ``holdout`` leaves a group (a speaker) out of training.
    ``seed`` is added to every recipe's seed: the same recipe trained again from another draw of
    the initial weights, the augmentation and the batches (how far results move from run to run).
    """
    entries = select_entries(task, names)
    streams: List[TrainingStream] = []
    val = clean_batch(task, task.load("val", data_dir, holdout=holdout))
    command = "python -m fusion_core " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:] else ""
    written = []
    for entry in entries:
        accepts = fusion_class(entry.method).accepts_pretrained_encoders
        config = task.recipe(entry.method, accepts, entry.options.get("modality", ""))
        config = dataclasses.replace(config, epochs=max(1, round(config.epochs * epochs_scale)), seed=config.seed + seed)
        stream = next((s for s in streams if s.serves(config)), None)
        if stream is None:
            stream = TrainingStream(task, data_dir, config, holdout=holdout)
            streams.append(stream)
        torch.manual_seed(config.seed)
        model = create_fusion(entry.method, task.encoder_specs(), len(task.labels), **entry.options)
        init_from, pretraining = {}, {}
        if config.pretrained_encoders and accepts:
            init_from = _load_baseline_encoders(task, model, out_dir)
        if config.pretrain_epochs:
            scaled = dataclasses.replace(config, pretrain_epochs=max(1, round(config.pretrain_epochs * epochs_scale)))
            for m in model.modalities:
                pretraining[m] = pretrain_encoder(task, m, model.encoders[m], data_dir, scaled, device, holdout)
        history = train_model(model, stream, config, device, val=val, desc=entry.name)
        model.cpu().eval()
        card = model_card(task, entry.name, entry.method, entry.options, model)
        card.update(
            summary=(fusion_class(entry.method).__doc__ or "").strip().splitlines()[0],
            paper=fusion_class(entry.method).paper,
            training={
                "config": dataclasses.asdict(config),
                "encoders_from": init_from,
                **({"pretraining": pretraining} if pretraining else {}),
                "seconds": round(history.seconds, 1),
                "train_loss": [round(v, 4) for v in history.train_loss],
                "val_accuracy": [round(v, 4) for v in history.val_accuracy],
                "device": str(device),
                "held_out": holdout,
                "torch": torch.__version__,
                "python": platform.python_version(),
            },
            data=task.provenance(),
            command=command,
            created=date.today().isoformat(),
            pinned=pinned_outputs(task, model, data_dir),
            metrics={},
        )
        save_pretrained(model, card, out_dir)
        log.info("%s: val accuracy %.4f in %.0f s", entry.name, history.val_accuracy[-1], history.seconds)
        written.append(entry.name)
    return written


def _load_baseline_encoders(task: Task, model: FusionModel, out_dir: Path) -> Dict[str, str]:
    """Copy each modality's encoder from the trained unimodal baseline of ``task.encoders_from``.

    Returns modality -> where the encoder came from (model, and its weights' sha256).
    """
    sources = {}
    source = task.encoders_from
    for m in model.modalities:
        baseline, card = load_pretrained(source, f"unimodal-{m}", root=out_dir.parent)
        model.encoders[m].load_state_dict(baseline.encoders[m].state_dict())
        prefix = "" if source == task.name else f"{source}/"
        sources[m] = f"{prefix}unimodal-{m} (sha256 {card['weights']['sha256'][:12]})"
    return sources
