"""Playground: one pair of inputs, every fusion method's answer side by side."""

import ui.boot  # noqa: F401  (first, before any other import: see ui/boot.py)

import time
from collections import Counter

import streamlit as st
import torch

from fusion_core import remote
from fusion_core.corruptions import list_corruptions
from fusion_core.device import describe_device, pick_device
from fusion_core.inference import model_inputs, predict_all
from fusion_core.pretrained import list_pretrained
from fusion_core.tasks import get_task
from ui.charts import probability_bars
from ui.inputs import corrupted, current_signals, new_input_widget, pair_widget, source_widget, true_label
from ui.resources import zoo
from ui.state import bound, require_app, show_error
from ui.views import show_signal

require_app()
task = get_task(st.session_state["task"])
st.title("Playground")
st.caption(
    f"**{task.title}** · {task.rule}. Every change reruns all selected methods on the pair below; "
    "the link in your address bar restores this view."
)

pair_widget(task)
columns = st.columns(len(task.modalities), border=True)
for column, modality in zip(columns, task.modalities):
    m = modality.name
    with column:
        bound(st.toggle, f"on.{m}", f"{m} switched on")
        source_widget(task, modality)
        new_input_widget(task, modality)
        left, right = st.columns([3, 2])
        with left:
            bound(st.slider, f"level.{m}", f"{m} corruption level", 0.0, 1.0, step=0.05)
        with right:
            bound(st.selectbox, f"corruption.{m}", "kind", list_corruptions(modality.kind))

signals, problems = current_signals(task)
damaged = corrupted(task, signals)
for column, modality in zip(columns, task.modalities):
    with column:
        problem = problems.get(modality.name)
        if modality.name in damaged:
            show_signal(modality, damaged[modality.name])
        elif problem is not None and problem.is_error:
            st.error(problem.message, icon=":material/error:")
        elif problem is not None:
            st.info(problem.message, icon=":material/info:")

bound(st.multiselect, "methods", "Fusion methods", list_pretrained(task.name))
enabled = [m for m in task.modality_names if st.session_state[f"on.{m}"] and m in damaged]
methods = st.session_state["methods"]
if not methods:
    st.info("Pick at least one method.")
    st.stop()
if not enabled:
    st.info("Switch on at least one modality that has an input.", icon=":material/toggle_off:")
    st.stop()

device = pick_device(st.session_state["device"])
models = zoo(task.name, device.type)
methods = [n for n in methods if n in models]
try:
    start = time.perf_counter()
    inputs = model_inputs(task, damaged, enabled)
    server = remote.configured()
    if server is not None:
        predictions = server.predict(task, inputs, methods)
    else:
        predictions = predict_all(task, {n: models[n] for n in methods}, inputs, device)
    seconds = time.perf_counter() - start
except Exception as error:  # noqa: BLE001  (shown in the page, never a traceback)
    show_error(error, "prediction")
    st.stop()

weights = {}
for name in methods:
    shares = models[name].modality_weights({m: x.to(device) for m, x in inputs.items()})
    if shares:
        weights[name] = {m: float(v[0]) for m, v in shares.items() if m in enabled}
truth = true_label(task)
# A model that reads none of the switched-on modalities has no evidence: it does not vote.
blind = {n for n in predictions if not set(models[n].modalities) & set(enabled)}
votes = Counter(p.label for n, p in predictions.items() if n not in blind)
winner, count = votes.most_common(1)[0] if votes else ("-", 0)
summary = st.columns(4)
summary[0].metric(f"Agreement on {winner}", f"{count}/{len(predictions) - len(blind)}")  # a long answer fits the label, not the value
summary[1].metric("True label", truth if truth is not None else "unknown", help="known when every input comes from the same test pair")
summary[2].metric("Server time, all methods", f"{1000 * seconds:.0f} ms")
if server is not None:
    summary[3].metric("Device", "model server", help=f"predictions from the Ray Serve application at {server.url}")
else:
    summary[3].metric("Device", "GPU" if device.type == "cuda" else "CPU", help=describe_device(device))
if len(votes) > 1:
    st.caption("Disagreement: " + ", ".join(f"{label} ({n})" for label, n in votes.most_common()))

per_row = 4
names = list(predictions)
for start_row in range(0, len(names), per_row):
    row = st.columns(per_row)
    for column, name in zip(row, names[start_row : start_row + per_row]):
        p = predictions[name]
        with column.container(border=True):
            if name in blind:
                why = " and ".join(f"{m} {'has no input' if st.session_state[f'on.{m}'] else 'switched off'}" for m in models[name].modalities)
                st.markdown(f"**{name}** → no evidence ({why})")
                continue
            mark = "" if truth is None else (" :green[:material/check_circle:]" if p.label == truth else " :red[:material/cancel:]")
            agree = "" if p.label == winner else " · disagrees"
            st.markdown(f"**{name}** → **{p.label}** ({p.confidence:.0%}){mark}{agree}")
            st.markdown(probability_bars(p.top(3), truth), unsafe_allow_html=True)
            if name in weights:
                st.caption("Its own weighting: " + " · ".join(f"{m} {w:.0%}" for m, w in weights[name].items()))
