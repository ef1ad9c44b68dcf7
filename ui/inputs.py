"""Where each modality's input comes from: a test pair, an upload, the canvas or the microphone.

The bytes a user gave are kept in session state (``given.<modality>``), so the input survives
page switches; ``current_signals`` turns the state into canonical signals for any page.
"""

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import streamlit as st
import torch

from fusion_core.data import resolve_data_dir
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
    elif source == "type":
        typed = _given(m)
        current = typed[1].decode("utf-8", "replace") if typed and typed[0] == "type" else None
        options = suggestions(task.name, m)
        if current is not None and current not in options:
            options = [current, *options]
        text = st.selectbox(
            f"Type a {m}, or pick one", options, index=options.index(current) if current in options else None,
            accept_new_options=True, placeholder="e.g. " + (options[0] if options else ""), key=f"type.{m}",
            help=modality.description,
        )
        _store(m, "type", text.encode("utf-8") if text else None)


@st.cache_data(show_spinner=False)
def suggestions(task_name: str, modality: str) -> List[str]:
    """The distinct texts of a modality in the test set, in order of first use: what to offer in a text box."""
    try:
        data = test_set(task_name).data
    except FusionLabError:
        return []
    return list(dict.fromkeys(data.ids[modality]))


def pair_widget(task: Task) -> None:
    """Pick the test pair: by number, at random, or one the methods disagree on."""
    try:
        count = len(test_set(task.name).data)
    except FusionLabError as error:
        st.warning(f"Test pairs are not available: {error}", icon=":material/dataset:")
        return
    st.session_state["pair"] = min(st.session_state["pair"], count - 1)
    if st.session_state.get("_shown_pair") not in (None, st.session_state["pair"]):
        for m in task.modality_names:  # a new pair: every input follows it again
            set_value(f"row.{m}", None)
    st.session_state["_shown_pair"] = st.session_state["pair"]
    left, middle, right = st.columns([2, 1, 2], vertical_alignment="bottom")
    with left:
        bound(st.number_input, "pair", f"Test pair (0-{count - 1})", min_value=0, max_value=count - 1, step=1)
    # Callbacks run before the page does, so a click costs one run of the page, not a run and a rerun.
    with middle:
        st.button("Random", key="pair.random", icon=":material/casino:", on_click=lambda: set_value("pair", int(torch.randint(count, (1,)).item())))
    with right:
        st.button(
            "Methods disagree", key="pair.disagree", icon=":material/call_split:", help="jump to the next pair where the models' answers differ",
            on_click=lambda: set_value("pair", next_disagreement(task.name, st.session_state["pair"])),
        )


def next_disagreement(task_name: str, after: int) -> int:
    from .resources import test_answers

    device = st.session_state.get("device", "cpu")
    predictions = torch.stack([predicted for predicted, _ in test_answers(task_name, device).values()])
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
                row = test_row(m, len(data))
                signals[m] = data.pools[m][data.index[m][row]]
                continue
            given = _given(m)
            if given is None or given[0] != source:
                empty = {"upload": "No file uploaded yet.", "draw": "Nothing drawn yet.", "record": "Nothing recorded yet.", "type": "Nothing typed yet."}
                problems[m] = Problem(empty[source])
                continue
            data_bytes = given[1]
            signals[m] = _load(task.name, m, data_bytes)
        except (InputError, FusionLabError) as error:
            what = {"test pair": "The test pairs are not available", "upload": "This file cannot be used"}.get(source, "This input cannot be used")
            problems[m] = Problem(f"{what}: {error}", is_error=True)
    return signals, problems


def test_row(modality: str, count: int) -> int:
    """The test pair a modality's input comes from: its own ("new scene") or the page's pair."""
    own = st.session_state.get(f"row.{modality}")
    return min(int(st.session_state["pair"] if own is None else own), count - 1)


def true_label(task: Task) -> Optional[str]:
    """The label, when the switched-on inputs are known: one test pair, or inputs the task can label (a
    generated scene and a template question; a test image and a test recording)."""
    on = [m for m in task.modality_names if st.session_state[f"on.{m}"]]
    if not on:
        return None
    try:
        data = test_set(task.name).data
    except FusionLabError:
        return None
    rows = {m: test_row(m, len(data)) for m in on if st.session_state[f"source.{m}"] == "test pair"}
    if len(rows) == len(on) == len(task.modality_names) and len(set(rows.values())) == 1:
        return task.labels[int(data.labels[next(iter(rows.values()))])]
    ids = {m: data.ids[m][row] for m, row in rows.items()}
    for m in on:
        given = _given(m)
        if st.session_state[f"source.{m}"] == "type" and given and given[0] == "type":
            ids[m] = given[1].decode("utf-8", "replace")
    if set(ids) != set(task.modality_names):
        return None
    label = task.label_for(ids, resolve_data_dir())
    return None if label is None else task.labels[label]


def new_input_widget(task: Task, modality: Modality) -> None:
    """A button that takes this modality's input from another, random test pair (a new scene, a new question)."""
    m = modality.name
    if st.session_state.get(f"source.{m}") != "test pair":
        return
    count = len(test_set(task.name).data)
    st.button(
        f"New {m}", key=f"new.{m}", icon=":material/shuffle:", help=f"another {m} from the test set; the other inputs stay",
        on_click=lambda: set_value(f"row.{m}", int(torch.randint(count, (1,)).item())),
    )


def corrupted(task: Task, signals: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """The signals after each modality's corruption slider (seeded: the same view on every rerun)."""
    from .state import corruption_settings

    return apply_corruptions(task, signals, corruption_settings(), seed=int(st.session_state.get("pair", 0)))
