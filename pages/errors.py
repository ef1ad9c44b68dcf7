"""Error analysis: browse the test set by method, correctness, disagreement, class and confidence."""

import ui.boot  # noqa: F401  (first, before any other import: see ui/boot.py)

import pandas as pd
import streamlit as st
import torch

from fusion_core.errors import FusionLabError
from fusion_core.tasks import get_task
from ui.resources import test_answers, test_set
from ui.state import require_app, set_value

require_app()
task = get_task(st.session_state["task"])
st.title("Error analysis")
device = st.session_state["device"]
try:
    data = test_set(task.name).data
    answers = test_answers(task.name, device)
except FusionLabError as error:
    st.error(f"The test set is not available: {error}", icon=":material/dataset:")
    st.stop()

names = list(answers)
labels = data.labels
predicted = {n: answers[n][0] for n in names}
confidence = {n: answers[n][1] for n in names}
stacked = torch.stack([predicted[n] for n in names])
disagree = (stacked != stacked[0]).any(dim=0)
correct_count = (stacked == labels).sum(dim=0)

filters = st.columns([2, 2, 2, 3])
with filters[0]:
    focus = st.selectbox("Method", names, index=names.index("late") if "late" in names else 0, key="errors.method")
with filters[1]:
    outcome = st.segmented_control("Its answers", ["all", "correct", "wrong"], default="wrong", key="errors.outcome") or "all"
with filters[2]:
    only_disagreements = st.toggle(
        "Methods disagree", key="errors.disagree", help="Only the pairs on which the methods' answers are not all the same"
    )
with filters[3]:
    low, high = st.slider("Its confidence", 0.0, 1.0, (0.0, 1.0), 0.05, key="errors.confidence")
classes = st.columns(2 + len(data.strata))
with classes[0]:
    true_classes = st.multiselect("True class", task.labels, key="errors.true")
with classes[1]:
    predicted_classes = st.multiselect("Predicted class", task.labels, key="errors.predicted")
chosen_strata = {}
for column, (stratum, values) in zip(classes[2:], data.strata.items()):
    with column:
        chosen_strata[stratum] = st.multiselect(stratum.capitalize(), list(dict.fromkeys(values)), key=f"errors.stratum.{stratum}")

hit = predicted[focus] == labels
keep = (confidence[focus] >= low) & (confidence[focus] <= high)
if outcome == "correct":
    keep &= hit
elif outcome == "wrong":
    keep &= ~hit
if only_disagreements:
    keep &= disagree
if true_classes:
    keep &= torch.isin(labels, torch.tensor([task.labels.index(c) for c in true_classes]))
if predicted_classes:
    keep &= torch.isin(predicted[focus], torch.tensor([task.labels.index(c) for c in predicted_classes]))
for stratum, wanted in chosen_strata.items():
    if wanted:
        keep &= torch.tensor([v in wanted for v in data.strata[stratum]])

# The matrix gets the page's width (its ten columns do not fit beside the list) and the pairs go below it.
matrix_column, list_column = st.container(), st.container()
with matrix_column:
    st.markdown(f"**Confusion matrix of {focus}**: rows the true class, columns the predicted one (click a cell to list its pairs)")
    matrix = torch.zeros(len(task.labels), len(task.labels), dtype=torch.long)
    matrix.index_put_((labels, predicted[focus]), torch.ones_like(labels), accumulate=True)
    frame = pd.DataFrame(matrix.numpy(), index=list(task.labels), columns=list(task.labels))
    event = st.dataframe(frame, on_select="rerun", selection_mode="single-cell", key=f"errors.matrix.{focus}")
    cells = event.selection.get("cells", []) if event else []
    accuracy = float(hit.float().mean())
    st.caption(f"{focus}: {accuracy:.2%} correct on {len(labels)} test pairs; {int(disagree.sum())} pairs where the methods disagree.")
if cells:
    row, column = cells[0]
    column_index = list(frame.columns).index(column) if isinstance(column, str) else int(column)
    keep = (labels == int(row)) & (predicted[focus] == column_index)
    list_column.caption(f"Showing the cell true {task.labels[int(row)]}, predicted {task.labels[column_index]}; other filters are ignored.")

rows = torch.nonzero(keep).flatten()
with list_column:
    st.markdown(f"**{len(rows)} pair{'' if len(rows) == 1 else 's'}**")
    table = pd.DataFrame({
        "pair": rows.numpy(),
        "true": [task.labels[int(labels[r])] for r in rows],
        focus: [task.labels[int(predicted[focus][r])] for r in rows],
        "confidence": confidence[focus][rows].numpy(),
        "methods right": [f"{int(correct_count[r])}/{len(names)}" for r in rows],
        **{m: [data.ids[m][int(r)] for r in rows] for m in task.modality_names},
        **{k: [v[int(r)] for r in rows] for k, v in data.strata.items()},
    })
    picked = st.dataframe(
        table, hide_index=True, on_select="rerun", selection_mode="single-row", key=f"errors.list.{focus}",
        column_config={"confidence": st.column_config.ProgressColumn("confidence", min_value=0.0, max_value=1.0, format="percent")},
    )
    chosen = picked.selection.get("rows", []) if picked else []
    if chosen:
        pair = int(table.iloc[chosen[0]]["pair"])
        st.markdown(f"Pair **{pair}**: " + ", ".join(f"{n} says {task.labels[int(predicted[n][pair])]}" for n in names))
        go_left, go_right = st.columns(2)

        def open_pair(page: str) -> None:
            set_value("pair", pair)
            for m in task.modality_names:
                set_value(f"source.{m}", "test pair")
                set_value(f"row.{m}", None)
                set_value(f"on.{m}", True)
                set_value(f"level.{m}", 0.0)
            st.switch_page(page)

        if go_left.button("Open in Playground", icon=":material/science:", key="errors.open.play"):
            open_pair("pages/playground.py")
        if go_right.button("Open in Explain", icon=":material/insights:", key="errors.open.explain"):
            open_pair("pages/explain.py")
    else:
        st.caption("Select a row to open the pair in the Playground or in Explain.")
