"""Compare: the pretrained zoo's benchmark, from its cards, recomputable on the local test set."""

import ui.boot  # noqa: F401  (first, before any other import: see ui/boot.py)

import pandas as pd
import streamlit as st

from fusion_core.analysis import emap, perceptual_scores
from fusion_core.device import pick_device
from fusion_core.evaluation import evaluate_models, modality_subsets, subset_key
from fusion_core.tasks import get_task, list_tasks
from ui.charts import grouped_bars, robustness_figure, task_grid
from ui.resources import cards, test_set, zoo
from ui.state import require_app, show_error
from ui.views import show_profile

require_app()
task = get_task(st.session_state["task"])
st.title("Compare")
all_cards = cards(task.name)
metrics = {name: card.get("metrics", {}) for name, card in all_cards.items()}
recomputed = st.session_state.get(f"recomputed.{task.name}", {})
for name, values in recomputed.items():
    metrics[name] = {**metrics.get(name, {}), **values}
if recomputed:
    st.success("Showing numbers recomputed in this session on the local test set.", icon=":material/refresh:")
else:
    st.caption("Numbers from the model cards in pretrained/, measured by `python -m fusion_core evaluate`.")
if not any(m.get("accuracy") for m in metrics.values()):
    st.warning("These cards have no evaluation yet: run `python -m fusion_core evaluate` or use the button below.")

profile_column, grid_column = st.columns([2, 3])
with profile_column:
    st.subheader("What the label needs")
    show_profile(task.name, key="compare.profile")
with grid_column:
    st.subheader("Every task at a glance")
    grid = {}
    for other in list_tasks():
        for name, card in cards(other).items():
            subsets_measured = card.get("metrics", {}).get("subsets") or {}
            every = subset_key(get_task(other).modality_names)
            for key, value in subsets_measured.items():
                column = f"{other} · {'both' if key == every else key + ' only'}"
                grid.setdefault(name, {})[column] = value
    if grid:
        st.plotly_chart(task_grid(grid, height=90 + 26 * len(grid)), key="compare.grid", config={"displayModeBar": False})
        st.caption("Test accuracy (%) of every model on every task, with both inputs and with one switched off (from the cards).")

subsets = [subset_key(s) for s in modality_subsets(task.modality_names)]
rows = []
for name, m in metrics.items():
    row = {"model": name, "parameters": all_cards[name]["parameters"]}
    for s in subsets:
        row[f"acc {s}"] = m.get("subsets", {}).get(s)
    for modality, r in m.get("robustness", {}).items():
        row[f"{modality} relative rob."] = r.get("relative")
        row[f"{modality} effective rob."] = r.get("effective")
    for modality, score in m.get("perceptual_score", {}).items():
        row[f"perceptual {modality}"] = score
    if "emap" in m:
        row["EMAP acc"] = m["emap"]["emap_accuracy"]
        row["EMAP gap"] = m["emap"]["accuracy"] - m["emap"]["emap_accuracy"]
    if m.get("interaction"):
        row["interaction share"] = m["interaction"].get("interaction_share")
    row["CPU ms/pair"] = m.get("latency_ms_cpu")
    row["pairs/s @256"] = m.get("throughput_pairs_s_cpu")
    rows.append(row)
table = pd.DataFrame(rows).set_index("model")
percent = {c: st.column_config.NumberColumn(c, format="percent") for c in table.columns if c.startswith("acc ") or c == "EMAP acc"}
st.dataframe(table, column_config=percent, width="stretch")
st.caption(
    "acc: accuracy with that subset of modalities switched on. Robustness (MultiBench): relative = area under "
    "accuracy vs corruption level; effective = its drop compared with late fusion's. Perceptual score (Gat et al. 2021): "
    "share of accuracy lost when that modality is shuffled across the test set. EMAP (Hessel & Lee 2020): accuracy of the "
    "model's best additive approximation; a gap above 0 means the model uses cross-modal interactions. Interaction share: "
    "how much of the model's right answers the Shapley interaction of the inputs carries (near 1: synergy; below 0: redundancy)."
)

strata = sorted({k for m in metrics.values() for k in m.get("strata", {})})
for stratum in strata:
    st.subheader(f"Accuracy by {stratum}")
    keys = [subset_key(s) for s in modality_subsets(task.modality_names)][::-1]
    which = st.selectbox("Inputs switched on", keys, key=f"compare.strata.{stratum}",
                         format_func=lambda k: "all" if k == subset_key(task.modality_names) else f"{k} only")
    by_value = {name: m["strata"][stratum].get(which) or {} for name, m in metrics.items() if stratum in m.get("strata", {})}
    frame = pd.DataFrame(by_value).T
    st.dataframe(frame, column_config={c: st.column_config.NumberColumn(c, format="percent") for c in frame.columns}, width="stretch")

st.subheader("Robustness curves")
left, right = st.columns(2)
with left:
    modality = st.selectbox("Corrupted modality", task.modality_names, key="compare.modality")
first = next((m for m in metrics.values() if m.get("corruption")), None)
if first is None:
    st.info("No robustness curves yet.")
else:
    with right:
        corruption = st.selectbox("Corruption", list(first["corruption"][modality]), key="compare.corruption")
    curves = {name: m["corruption"][modality][corruption] for name, m in metrics.items() if m.get("corruption")}
    st.plotly_chart(robustness_figure(curves, first["levels"], f"{modality} {corruption}: accuracy as the damage grows"), key="compare.curves")
    st.caption(f"The other modality stays clean. {first['robustness_pairs']} test pairs per point.")

left, right = st.columns(2)
with left:
    scores = {name: m["perceptual_score"] for name, m in metrics.items() if "perceptual_score" in m}
    if scores:
        st.plotly_chart(grouped_bars(scores, "Perceptual score: how much each modality is used"), key="compare.perceptual")
with right:
    maps = {name: {"model": m["emap"]["accuracy"], "additive projection (EMAP)": m["emap"]["emap_accuracy"]} for name, m in metrics.items() if "emap" in m}
    if maps:
        st.plotly_chart(grouped_bars(maps, "EMAP: does the model need interactions?", zoom=True), key="compare.emap")
        st.caption("The y axis is zoomed: equal bars mean the model's additive projection is as accurate as the model itself.")

loso = {
    name: {**m["leave_one_out"]["accuracy"], **{f"{s} only (mean)": v for s, v in m["leave_one_out"].get("subsets", {}).items()}}
    for name, m in metrics.items()
    if "leave_one_out" in m
}
if loso:
    st.subheader(f"Leave one {task.group_kind} out")
    st.caption(f"Each model retrained without one {task.group_kind}, tested on that {task.group_kind}'s pairs only: voices never heard in training.")
    loso_table = pd.DataFrame(loso).T
    st.dataframe(loso_table, column_config={c: st.column_config.NumberColumn(c, format="percent") for c in loso_table.columns})

st.subheader("Recompute on the local test set")
with st.form("recompute"):
    what = st.multiselect(
        "Measures", ["accuracy and robustness", "perceptual score", "EMAP"], default=["accuracy and robustness"], key="compare.what"
    )
    pairs = st.slider("Test pairs (the first N of the test set)", 100, 5000, 500, 100, key="compare.pairs")
    go = st.form_submit_button("Recompute", icon=":material/refresh:")
if go:
    device = pick_device(st.session_state["device"])
    bar = st.progress(0.0, text="starting...")
    try:
        models = zoo(task.name, device.type)
        data = test_set(task.name).data
        data = data.subset(list(range(min(pairs, len(data)))))
        results = {name: {} for name in models}
        for step, measure in enumerate(what):

            def report(fraction: float, text: str, step: int = step) -> None:
                bar.progress(min(1.0, (step + fraction) / len(what)), text=text)

            if measure == "accuracy and robustness":
                for name, values in evaluate_models(task, models, data, device, pairs, progress=report).items():
                    results[name].update(values)
            elif measure == "perceptual score":
                for name, values in perceptual_scores(task, models, data, device, progress=report).items():
                    results[name]["perceptual_score"] = values
            elif measure == "EMAP":
                for name, values in emap(task, models, data, device, pairs=pairs, progress=report).items():
                    results[name]["emap"] = values
        st.session_state[f"recomputed.{task.name}"] = results
        bar.empty()
        st.rerun()
    except Exception as error:  # noqa: BLE001  (shown in the page)
        bar.empty()
        show_error(error, "recompute")
