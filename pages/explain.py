"""Explain: Captum attributions per input and each modality's exact Shapley share, method by method."""

import ui.boot  # noqa: F401  (first, before any other import: see ui/boot.py)

from concurrent.futures import as_completed

import streamlit as st

from fusion_core import remote
from fusion_core.explain import explain, get_attribution, list_attributions, modality_shapley
from fusion_core.inference import model_inputs
from fusion_core.device import pick_device
from fusion_core.pretrained import list_pretrained
from fusion_core.tasks import get_task
from ui.charts import shapley_bars
from ui.inputs import corrupted, current_signals, true_label
from ui.resources import cards, workers, zoo
from ui.state import bound, require_app, show_error
from ui.views import show_attribution

require_app()
task = get_task(st.session_state["task"])
st.title("Explain")
st.caption(
    "Which inputs does each method's answer rest on? Heatmaps: red raises the explained class's probability, "
    "blue lowers it. Bars: each modality's exact Shapley share of that probability, and what the modalities "
    "achieve only together (the interaction)."
)

signals, problems = current_signals(task)
damaged = corrupted(task, signals)
enabled = [m for m in task.modality_names if st.session_state[f"on.{m}"] and m in damaged]
if not enabled:
    st.info("No input yet: choose a pair in the Playground first.", icon=":material/info:")
    st.page_link("pages/playground.py", label="Open the Playground", icon=":material/science:")
    st.stop()
st.caption(
    "Explaining the Playground's pair: "
    + ", ".join(f"{m} ({st.session_state[f'source.{m}']})" for m in enabled)
    + (f" · true label {true_label(task)}" if true_label(task) else "")
)

controls = st.columns([2, 2, 3])
with controls[0]:
    bound(st.selectbox, "attr", "Attribution method", list_attributions(), format_func=lambda n: get_attribution(n).title)
method = get_attribution(st.session_state["attr"])
with controls[1]:
    target_choice = st.selectbox("Explain the probability of", ["the predicted class", *task.labels], key="explain.target")
with controls[2]:
    bound(st.multiselect, "methods", "Fusion methods", list_pretrained(task.name))
st.caption(method.description + (f" ({method.paper})" if method.paper else ""))
params = {}
param_columns = st.columns(max(1, len(method.params)))
for column, param in zip(param_columns, method.params):
    with column:
        if param.is_int:
            params[param.name] = st.slider(param.name, int(param.low), int(param.high), int(param.default), int(param.step), help=param.help, key=f"param.{method.name}.{param.name}")
        else:
            params[param.name] = st.slider(param.name, float(param.low), float(param.high), float(param.default), float(param.step), help=param.help, key=f"param.{method.name}.{param.name}")

device = pick_device(st.session_state["device"])
models = zoo(task.name, device.type)
model_cards = cards(task.name)
names = [n for n in st.session_state["methods"] if n in models]
if not names:
    st.info("Pick at least one fusion method.")
    st.stop()
inputs = {m: x.to(device) for m, x in model_inputs(task, damaged, enabled).items()}
target = None if target_choice == "the predicted class" else task.labels.index(target_choice)

server = remote.configured()


def explain_one(name: str):
    """One method's attributions and Shapley values, or the error that stopped them (shown in its card)."""
    try:
        if server is not None:
            return server.explain(task, name, inputs, method.name, params, target)
        return explain(models[name], task, inputs, method.name, params, target), modality_shapley(models[name], inputs, target)
    except Exception as error:  # noqa: BLE001  (FusionLabError: the user's input; anything else: shown, not raised)
        return error


def show_explained(name: str, result) -> None:
    """One method's card: its answer, a heatmap per input it reads, its modalities' Shapley shares, or its error."""
    if isinstance(result, Exception):
        st.markdown(f"**{name}**")
        show_error(result)
        return
    explanation, shapley = result
    label = task.labels[explanation.target]
    st.markdown(f"**{name}**: P({label}) = {explanation.probability:.1%} · {1000 * (explanation.seconds + shapley.seconds):.0f} ms")
    for m, attribution in explanation.attributions.items():
        show_attribution(task.modality(m), damaged[m], inputs[m][0].cpu(), attribution.cpu(), f"{m}: {method.title}")
    if explanation.delta is not None:
        st.caption(f"Convergence delta {explanation.delta:.4f}: how far the attributions' sum is from the change in probability (smaller is more trustworthy).")
    st.html(shapley_bars(shapley.values, shapley.interactions))
    st.caption(
        f"Shapley: {' + '.join(f'{m} {v:+.3f}' for m, v in shapley.values.items())} = "
        f"P(all) {shapley.full:.3f} − P(none) {shapley.empty:.3f}"
    )
    gain = shapley.full - shapley.empty
    for pair, value in shapley.interactions.items():
        kind = "redundant: either alone would do" if value < -0.05 else "synergy: they need each other" if value > 0.05 else "independent"
        st.caption(f"Interaction {' x '.join(pair)} {value:+.3f} ({kind}).")
        if gain > 0.05 and value > 0.5 * gain:
            st.caption(
                f":material/join_inner: The interaction carries {value / gain:.0%} of the {gain:.2f} this answer gains "
                "over no evidence: it exists only when both inputs are there."
            )
    measured = model_cards.get(name, {}).get("metrics", {}).get("interaction", {})
    if measured.get("interaction_share") is not None:
        st.caption(
            f"Over {measured['pairs']} test pairs the interaction carries {measured['interaction_share']:.0%} of "
            f"{name}'s right answers on this task (mean interaction {measured['interaction']:+.2f})."
        )


# The methods are explained side by side on the server's worker threads (the shared models are only read), and
# each card is drawn as soon as its method is done, so the browser draws while the rest are still computing.
progress = st.progress(0.0, text="explaining...")
per_row = 3
slots = {}
for start in range(0, len(names), per_row):
    for column, name in zip(st.columns(per_row), names[start : start + per_row]):
        slots[name] = column.container(border=True)
futures = {workers().submit(explain_one, name): name for name in names}
for count, done in enumerate(as_completed(futures), 1):
    with slots[futures[done]]:
        show_explained(futures[done], done.result())
    progress.progress(count / len(names), text=f"explained {count} of {len(names)} methods...")
progress.empty()
