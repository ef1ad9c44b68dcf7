"""Home: what FusionLab is for, the task, the device, and the way into each page."""

import ui.boot  # noqa: F401  (first, before any other import: see ui/boot.py)

import streamlit as st
import torch

from fusion_core.device import describe_device, pick_device
from fusion_core.explain import get_attribution, list_attributions
from fusion_core.pretrained import list_pretrained
from fusion_core.tasks import get_task, list_tasks
from ui.state import require_app, switch_task
from ui.views import show_profile

require_app()
st.title("FusionLab")
st.markdown(
    "See how **multimodal fusion** works. Give a pair of inputs (a handwritten digit and a spoken one), "
    "switch modalities on and off, damage one of them, and watch every fusion method answer side by side, "
    "with Captum explanations of **which modality, and which pixels and sounds,** each answer rests on. "
    "The tasks keep the same inputs and change the rule that labels them, so that the methods' differences show: "
    "one where the inputs say the same thing, one where only one input matters, one where only both together do."
)

left, right = st.columns(2)
with left:
    names = list_tasks()
    choice = st.selectbox(
        "Task", names, index=names.index(st.session_state["task"]), format_func=lambda n: get_task(n).title, key="home.task"
    )
    if choice != st.session_state["task"]:
        switch_task(choice)
        st.rerun()
    task = get_task(choice)
    st.caption(task.description)
    st.caption(f"**Rule:** {task.rule} · modalities: {', '.join(task.modality_names)} · pretrained models: {len(list_pretrained(task.name))}")
    show_profile(task.name, key="home.profile")
with right:
    device = pick_device(st.session_state["device"])
    st.metric("Running on", describe_device(device))
    if torch.cuda.is_available():
        use_gpu = st.toggle("Use the GPU", value=st.session_state["device"] == "cuda", key="home.gpu")
        st.session_state["device"] = "cuda" if use_gpu else "cpu"
    else:
        st.caption("No CUDA GPU on this server: everything runs on the CPU.")

st.divider()
GUIDE = [
    ("pages/playground.py", "Playground", "Pick or make a pair (test set, upload, draw, record), switch modalities, add noise, and see what every method predicts."),
    ("pages/explain.py", "Explain", f"{', '.join(get_attribution(n).title for n in list_attributions())} heatmaps, and each modality's exact Shapley share."),
    ("pages/compare.py", "Compare", "The zoo's benchmark: accuracy per modality subset, robustness curves, perceptual score, EMAP, size and speed."),
    ("pages/errors.py", "Error analysis", "Browse the test set by method, correctness, disagreement, class and confidence; confusion matrices."),
    ("pages/learn.py", "Learn", "One section per fusion method: its equation, a diagram, when it helps and fails, its code, a guided experiment."),
]
columns = st.columns(len(GUIDE))
for column, (path, title, text) in zip(columns, GUIDE):
    with column:
        st.page_link(path, label=title, icon=":material/arrow_forward:")
        st.caption(text)
