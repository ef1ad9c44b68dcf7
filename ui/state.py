"""The app's state: one canonical value per setting, mirrored in the URL so every view is a link.

Widgets are bound to canonical keys (``bound``) because Streamlit forgets a widget's value when
its page is not shown; the canonical keys survive page switches and are written to the query
string after every run (``write_query_params``) and read back on a session's first run.
"""

import runpy
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import streamlit as st
import torch
from streamlit.runtime.pages_manager import PagesManager

from fusion_core.corruptions import list_corruptions
from fusion_core.errors import FusionLabError
from fusion_core.explain import list_attributions
from fusion_core.pretrained import list_pretrained
from fusion_core.tasks import get_task, list_tasks

APP_SCRIPT = Path(__file__).resolve().parent.parent / "app.py"
# canonical key -> query parameter
QUERY_KEYS = {"task": "task", "pair": "pair", "methods": "methods", "attr": "attr"}


def default_device() -> str:
    """Where a new session runs the models: a GPU when there is one."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def defaults(task_name: str) -> Dict[str, Any]:
    task = get_task(task_name)
    out: Dict[str, Any] = {
        "task": task_name,
        "pair": 0,
        "methods": list_pretrained(task_name),
        "attr": list_attributions()[0],
        "device": default_device(),
    }
    for m in task.modality_names:
        out[f"on.{m}"] = True
        out[f"source.{m}"] = "test pair"
        out[f"row.{m}"] = None  # a test pair of its own ("new scene"); None: the page's pair
        out[f"corruption.{m}"] = list_corruptions(task.modality(m).kind)[0]
        out[f"level.{m}"] = 0.0
    return out


def require_app() -> None:
    """Make sure app.py (state, sidebar, navigation) wraps this page; call it first in every page.

    When the first request after the server starts is a page's URL (a shared link), Streamlit
    sees the pages/ folder and runs that file on its own, in its old multipage mode, until some
    run of app.py calls st.navigation (AppTest does the same on every run). Then run app.py here,
    which leaves that mode and shows this same page inside it, and end the bare run. Running it in
    place, rather than rerunning, keeps this run's button clicks.
    """
    if st.session_state.get("_in_app"):
        return
    PagesManager.uses_pages_directory = False
    runpy.run_path(str(APP_SCRIPT), run_name="__main__")
    st.stop()


def init_state() -> None:
    """Fill missing canonical keys from the URL (first run of a session) or from defaults."""
    if st.session_state.get("_initialised"):
        return
    params = st.query_params
    task_name = params.get("task", list_tasks()[0])
    notes = []
    if task_name not in list_tasks():
        notes.append(f"unknown task {task_name!r} in the link; showing {list_tasks()[0]}")
        task_name = list_tasks()[0]
    state = defaults(task_name)
    notes += _apply_params(state, dict(params))
    for key, value in state.items():
        st.session_state.setdefault(key, value)
    st.session_state["_link_notes"] = notes
    st.session_state["_initialised"] = True


def _apply_params(state: Dict[str, Any], params: Dict[str, str]) -> List[str]:
    """Read a shared link's settings into ``state``; anything unknown is reported, not fatal."""
    notes = []
    task = get_task(state["task"])
    if "pair" in params:
        try:
            state["pair"] = max(0, int(params["pair"]))
        except ValueError:
            notes.append(f"pair {params['pair']!r} is not a number")
    if "methods" in params:
        known = list_pretrained(task.name)
        asked = [m for m in params["methods"].split(",") if m]
        state["methods"] = [m for m in asked if m in known] or known
        unknown = [m for m in asked if m not in known]
        if unknown:
            notes.append(f"unknown method(s) in the link: {', '.join(unknown)}")
    if "attr" in params:
        if params["attr"] in list_attributions():
            state["attr"] = params["attr"]
        else:
            notes.append(f"unknown attribution method {params['attr']!r}")
    for m in task.modality_names:
        if f"{m}_pair" in params:
            try:
                state[f"row.{m}"] = max(0, int(params[f"{m}_pair"]))
            except ValueError:
                notes.append(f"{m}_pair {params[f'{m}_pair']!r} is not a number")
    if "off" in params:
        for m in params["off"].split(","):
            if m in task.modality_names:
                state[f"on.{m}"] = False
    if "corrupt" in params:  # image:occlusion:0.5,audio:white_noise:0.2
        for item in params["corrupt"].split(","):
            try:
                m, name, level = item.split(":")
                if m not in task.modality_names or name not in list_corruptions(task.modality(m).kind):
                    raise ValueError
                state[f"corruption.{m}"], state[f"level.{m}"] = name, min(1.0, max(0.0, float(level)))
            except ValueError:
                notes.append(f"corruption {item!r} in the link was not understood")
    return notes


def write_query_params() -> None:
    """Mirror the canonical state into the URL (only what differs from the defaults)."""
    task = get_task(st.session_state["task"])
    base = defaults(task.name)
    wanted: Dict[str, str] = {"task": task.name}
    if all(st.session_state.get(f"source.{m}") == "test pair" for m in task.modality_names):
        wanted["pair"] = str(st.session_state["pair"])
    if st.session_state["methods"] != base["methods"]:
        wanted["methods"] = ",".join(st.session_state["methods"])
    if st.session_state["attr"] != base["attr"]:
        wanted["attr"] = st.session_state["attr"]
    for m in task.modality_names:
        if st.session_state.get(f"row.{m}") is not None and st.session_state.get(f"source.{m}") == "test pair":
            wanted[f"{m}_pair"] = str(st.session_state[f"row.{m}"])
    off = [m for m in task.modality_names if not st.session_state[f"on.{m}"]]
    if off:
        wanted["off"] = ",".join(off)
    corrupt = [
        f"{m}:{st.session_state[f'corruption.{m}']}:{st.session_state[f'level.{m}']:g}"
        for m in task.modality_names
        if st.session_state[f"level.{m}"] > 0
    ]
    if corrupt:
        wanted["corrupt"] = ",".join(corrupt)
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)


def switch_task(name: str) -> None:
    """Start over on another task (its modalities and models differ)."""
    for key in [k for k in st.session_state if not k.startswith("_")]:
        del st.session_state[key]
    for key, value in defaults(name).items():
        st.session_state[key] = value


def bound(widget: Callable, name: str, *args, **kwargs) -> Any:
    """A widget whose value lives in the canonical key ``name`` (surviving page switches)."""
    widget_key = f"w.{name}"
    if widget_key not in st.session_state:
        st.session_state[widget_key] = st.session_state[name]

    def sync() -> None:
        st.session_state[name] = st.session_state[widget_key]
        write_query_params()  # now, not only at the end of the run: st.stop() may end it early

    return widget(*args, key=widget_key, on_change=sync, **kwargs)


def set_value(name: str, value: Any) -> None:
    """Change a canonical value from code (buttons, links) and its widget with it."""
    st.session_state[name] = value
    st.session_state.pop(f"w.{name}", None)
    write_query_params()


def enabled_modalities() -> List[str]:
    task = get_task(st.session_state["task"])
    return [m for m in task.modality_names if st.session_state[f"on.{m}"]]


def corruption_settings() -> Dict[str, Tuple[str, float]]:
    task = get_task(st.session_state["task"])
    return {m: (st.session_state[f"corruption.{m}"], st.session_state[f"level.{m}"]) for m in task.modality_names}


def show_error(error: Exception, what: str = "") -> None:
    """A user's mistake as a message in the page, never a traceback."""
    if isinstance(error, FusionLabError):
        st.error(f"{what}: {error}" if what else str(error), icon=":material/error:")
    else:  # a bug: say so plainly, keep the page alive
        st.error(f"Something went wrong{' in ' + what if what else ''}: {type(error).__name__}: {error}", icon=":material/bug_report:")


def link_notes() -> Optional[List[str]]:
    return st.session_state.pop("_link_notes", None)
