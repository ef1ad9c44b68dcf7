"""Where each modality's input comes from: a test pair, an upload, the canvas or the microphone.

The bytes a user gave are kept in session state (``given.<modality>``), so the input survives
page switches; ``current_signals`` turns the state into canonical signals for any page.
"""

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import streamlit as st
import torch

from fusion_core.errors import FusionLabError, InputError
from fusion_core.inference import apply_corruptions
from fusion_core.tasks import Modality, Task, get_task

from .canvas import drawing_canvas
from .resources import test_set
from .state import bound, set_value

LIVE_LABELS = {"draw": "draw", "record": "record"}


def sources(modality: Modality) -> List[str]:
    return ["test pair", "upload", *modality.live_inputs]


@st.cache_data(max_entries=64, show_spinner=False)
def _load(task_name: str, modality: str, data: bytes) -> torch.Tensor:
    return get_task(task_name).modality(modality).load(data)


def _given(modality: str) -> Optional[Tuple[str, bytes]]:
    return st.session_state.get(f"given.{modality}")


def _store(modality: str, source: str, data: Optional[bytes]) -> None:
    key = f"given.{modality}"
    if data:
        st.session_state[key] = (source, data)
    elif st.session_state.get(key, ("",))[0] == source:
        del st.session_state[key]


def source_widget(task: Task, modality: Modality) -> None:
    """The chooser for one modality's input, then the widget of the chosen source."""
    m = modality.name
    bound(st.segmented_control, f"source.{m}", f"{m} from", sources(modality), selection_mode="single")
    if st.session_state[f"source.{m}"] is None:  # a segmented control can be deselected
        set_value(f"source.{m}", "test pair")
    source = st.session_state[f"source.{m}"]
    if source == "upload":
        upload = st.file_uploader(
            f"Upload a {m} file",
            type=list(modality.file_types),
            key=f"upload.{m}",
            help=modality.description,
            max_upload_size=max(1, modality.max_bytes // 2**20),  # MB; the loader checks the exact limit
        )
        if upload is not None:
            _store(m, "upload", upload.getvalue())
    elif source == "draw":
        st.caption("Draw one digit, large, then release the mouse.")
        _store(m, "draw", drawing_canvas(key=f"canvas.{m}"))
    elif source == "record":
        recording = st.audio_input(f"Say one digit", sample_rate=16000, key=f"record.{m}")
        if recording is not None:
            _store(m, "record", recording.getvalue())


def pair_widget(task: Task) -> None:
    """Pick the test pair: by number, at random, or one the methods disagree on."""
    try:
        count = len(test_set(task.name).data)
    except FusionLabError as error:
        st.warning(f"Test pairs are not available: {error}", icon=":material/dataset:")
        return
    st.session_state["pair"] = min(st.session_state["pair"], count - 1)
    left, middle, right = st.columns([2, 1, 2], vertical_alignment="bottom")
    with left:
        bound(st.number_input, "pair", f"Test pair (0-{count - 1})", min_value=0, max_value=count - 1, step=1)
    with middle:
        if st.button("Random", key="pair.random", icon=":material/casino:"):
            set_value("pair", int(torch.randint(count, (1,)).item()))
            st.rerun()
    with right:
        if st.button("Methods disagree", key="pair.disagree", icon=":material/call_split:", help="jump to the next pair where the models' answers differ"):
            set_value("pair", next_disagreement(task.name, st.session_state["pair"]))
            st.rerun()


def next_disagreement(task_name: str, after: int) -> int:
    from .resources import test_probabilities

    device = st.session_state.get("device", "cpu")
    predictions = torch.stack([p.argmax(1) for p in test_probabilities(task_name, device).values()])
    disagree = torch.nonzero((predictions != predictions[0]).any(dim=0)).flatten().tolist()
    if not disagree:
        return after
    later = [i for i in disagree if i > after]
    return later[0] if later else disagree[0]


@dataclass
class Problem:
    """Why a modality has no signal: nothing given yet (a note) or a bad input (an error)."""

    message: str
    is_error: bool = False


def current_signals(task: Task) -> Tuple[Dict[str, torch.Tensor], Dict[str, Problem]]:
    """Canonical signals of every modality that has an input, and the problem of each that has none."""
    signals, problems = {}, {}
    for modality in task.modalities:
        m = modality.name
        source = st.session_state.get(f"source.{m}", "test pair")
        try:
            if source == "test pair":
                data = test_set(task.name).data
                row = min(int(st.session_state["pair"]), len(data) - 1)
                signals[m] = data.pools[m][data.index[m][row]]
                continue
            given = _given(m)
            if given is None or given[0] != source:
                empty = {"upload": "No file uploaded yet.", "draw": "Nothing drawn yet.", "record": "Nothing recorded yet."}
                problems[m] = Problem(empty[source])
                continue
            data_bytes = given[1]
            signals[m] = _load(task.name, m, data_bytes)
        except (InputError, FusionLabError) as error:
            what = {"test pair": "The test pairs are not available", "upload": "This file cannot be used"}.get(source, "This input cannot be used")
            problems[m] = Problem(f"{what}: {error}", is_error=True)
    return signals, problems


def true_label(task: Task) -> Optional[str]:
    """The label, when every switched-on modality comes from the same test pair."""
    on = [m for m in task.modality_names if st.session_state[f"on.{m}"]]
    if not on or any(st.session_state[f"source.{m}"] != "test pair" for m in on):
        return None
    try:
        data = test_set(task.name).data
    except FusionLabError:
        return None
    return task.labels[int(data.labels[min(int(st.session_state["pair"]), len(data) - 1)])]


def corrupted(task: Task, signals: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """The signals after each modality's corruption slider (seeded: the same view on every rerun)."""
    from .state import corruption_settings

    return apply_corruptions(task, signals, corruption_settings(), seed=int(st.session_state.get("pair", 0)))
