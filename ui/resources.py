"""Heavy objects, loaded once per server process and shared by every session (read-only)."""

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Dict, Optional

import streamlit as st
import torch

from fusion_core.data import resolve_data_dir
from fusion_core.errors import FusionLabError
from fusion_core.fusions import FusionModel
from fusion_core.pretrained import list_pretrained, load_pretrained, read_card
from fusion_core.tasks import PairedData, get_task
from fusion_core.batch import Batch, clean_batch
from fusion_core.predictions import Answers, compute_answers, read_answers
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


@st.cache_resource(show_spinner=False)
def workers() -> ThreadPoolExecutor:
    """One pool per server process, a thread per CPU core, for work a page can split (each method's explanation).

    Shared by every session, so however many sessions explain at once, no more than that many
    explanations run together; each runs torch on one intra-op thread (``configure_threads``).
    """
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="fusionlab-worker")


@st.cache_data(show_spinner=False)
def cards(task_name: str) -> Dict[str, dict]:
    return {name: read_card(task_name, name) for name in list_pretrained(task_name)}


class TestSet:
    """The test pairs, and their clean model inputs made on first use (only pages that run models need them)."""

    def __init__(self, task_name: str, data: PairedData) -> None:
        self.task_name = task_name
        self.data = data
        self._batch: Optional[Batch] = None
        self._lock = threading.Lock()

    @property
    def batch(self) -> Batch:
        with self._lock:  # sessions share this object: featurize once
            if self._batch is None:
                self._batch = clean_batch(get_task(self.task_name), self.data)
            return self._batch


@st.cache_resource(show_spinner="Loading the test pairs (once per server)...")
def test_set(task_name: str) -> TestSet:
    return TestSet(task_name, get_task(task_name).load("test", resolve_data_dir()))


@st.cache_resource(show_spinner="Running the models on the test set (once per server)...")
def test_answers(task_name: str, device: str) -> Dict[str, Answers]:
    """model -> (predicted class, its probability) on every clean test pair.

    Read from the answers shipped beside the cards (``fusion_core.predictions``), so a first visit
    does not wait for the zoo to run; a model whose stored answers are missing or stale is run here.
    """
    data = test_set(task_name).data
    models = load_zoo(task_name, device).models
    answers = read_answers(task_name, data.labels)
    missing = {name: model for name, model in models.items() if name not in answers}
    if missing:
        answers.update(compute_answers(missing, test_set(task_name).batch, torch.device(device)))
    return {name: answers[name] for name in models}
