"""Heavy objects, loaded once per server process and shared by every session (read-only)."""

from dataclasses import dataclass
from typing import Dict

import streamlit as st
import torch

from fusion_core.data import resolve_data_dir
from fusion_core.errors import FusionLabError
from fusion_core.fusions import FusionModel
from fusion_core.pretrained import list_pretrained, load_pretrained, read_card
from fusion_core.tasks import PairedData, get_task
from fusion_core.batch import Batch, clean_batch
from fusion_core.training import predict_logits
from fusion_core.corruptions import list_corruptions
from fusion_core.inference import apply_corruptions, model_inputs, predict_all
from fusion_core.zoo import probe_signals


@dataclass
class Zoo:
    models: Dict[str, FusionModel]
    problems: Dict[str, str]  # model name -> why it could not be loaded


@st.cache_resource(show_spinner="Loading the pretrained models...")
def load_zoo(task_name: str, device: str) -> Zoo:
    """Every pretrained model of a task on ``device``, in eval mode, parameters frozen.

    Shared by all sessions, so never trained, never hooked: explanations differentiate with
    respect to the inputs only. A model that fails to load is reported, not fatal.
    """
    models, problems = {}, {}
    for name in list_pretrained(task_name):
        try:
            model, _ = load_pretrained(task_name, name, torch.device(device))
        except FusionLabError as error:
            problems[name] = str(error)
            continue
        models[name] = model.requires_grad_(False).eval()
    _warm_up(get_task(task_name), models, torch.device(device))
    return Zoo(models, problems)


def _warm_up(task, models: Dict[str, FusionModel], device: torch.device) -> None:
    """The Playground's path once, so that the first user's run does not pay PyTorch's first-call costs."""
    signals = {m: x[0] for m, x in probe_signals(task, 1).items()}
    for level in (0.0, 0.5):  # clean, and through every corruption
        damaged = dict(signals)
        for modality in task.modalities:
            for name in list_corruptions(modality.kind):
                damaged = apply_corruptions(task, damaged, {modality.name: (name, level)})
        inputs = model_inputs(task, damaged, task.modality_names)
        predict_all(task, models, inputs, device)
    for model in models.values():
        model.modality_weights({m: x.to(device) for m, x in inputs.items()})


def zoo(task_name: str, device: str) -> Dict[str, FusionModel]:
    """The models that loaded, with a warning in the page for each one that did not."""
    loaded = load_zoo(task_name, device)
    for name, problem in loaded.problems.items():
        st.warning(f"Model {name} is unavailable: {problem}", icon=":material/warning:")
    return loaded.models


@st.cache_data(show_spinner=False)
def cards(task_name: str) -> Dict[str, dict]:
    return {name: read_card(task_name, name) for name in list_pretrained(task_name)}


@dataclass
class TestSet:
    data: PairedData
    batch: Batch  # clean model inputs of every pair


@st.cache_resource(show_spinner="Loading the test pairs (once per server)...")
def test_set(task_name: str) -> TestSet:
    task = get_task(task_name)
    data = task.load("test", resolve_data_dir())
    return TestSet(data, clean_batch(task, data))


@st.cache_resource(show_spinner="Running every model on the test set (once per server)...")
def test_probabilities(task_name: str, device: str) -> Dict[str, torch.Tensor]:
    """model -> (pairs, classes) probabilities on the clean test set."""
    batch = test_set(task_name).batch
    return {
        name: torch.softmax(predict_logits(model, batch, torch.device(device)), dim=1)
        for name, model in load_zoo(task_name, device).models.items()
    }
