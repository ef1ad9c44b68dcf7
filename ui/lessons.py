"""Learn's walkthroughs: a task family's rules side by side, and what late fusion cannot answer on one task."""

from typing import Dict, Optional, Sequence, Tuple

import pandas as pd
import streamlit as st
import torch

from fusion_core.evaluation import subset_key
from fusion_core.pretrained import list_pretrained
from fusion_core.runner import ZooRunner
from fusion_core.tasks import Task, get_task, list_tasks

from .resources import cards, load_zoo, test_set
from .state import set_value, switch_task

ROWS = 500  # test pairs searched for one that shows a lesson


def accuracies(task_name: str) -> Dict[str, float]:
    """model -> test accuracy with every input, from the cards."""
    scores = {n: c.get("metrics", {}).get("accuracy") for n, c in cards(task_name).items()}
    return {n: v for n, v in scores.items() if v is not None}


def best_fusion(scores: Dict[str, float]) -> Optional[str]:
    return max((n for n in scores if not n.startswith("unimodal")), key=scores.get, default=None)


@st.cache_resource(show_spinner="Finding a pair that shows the lesson...")
def lesson_pair(task_names: Tuple[str, ...], device: str, stratum: Tuple[str, str] = ("", "")) -> int:
    """A test pair on which late fusion is right on every task where it mostly is and wrong where it mostly is
    not, while each task's best method is right (and, if given, the pair is of that stratum's value)."""
    wanted = []
    for name in task_names:
        scores = accuracies(name)
        best = best_fusion(scores)
        late_usually_right = scores.get("late", 0) >= 0.5 and not stratum[0]
        data = test_set(name)
        head = data.batch.rows(torch.arange(min(ROWS, len(data.batch))))
        models = load_zoo(name, device).models
        logits = ZooRunner({n: models[n] for n in ("late", best)}).predict(head, torch.device(device))
        right = {n: l.argmax(1) == head.labels for n, l in logits.items()}
        keep = (right["late"] == late_usually_right) & right[best]
        if stratum[0]:
            keep &= torch.tensor([v == stratum[1] for v in data.data.strata[stratum[0]][: len(head)]])
        wanted.append(keep)
    hits = torch.nonzero(torch.stack(wanted).all(dim=0)).flatten()
    return int(hits[0]) if hits.numel() else 0


def _open(task_name: str, pair: int, methods: Sequence[str]) -> None:
    if task_name != st.session_state["task"]:
        switch_task(task_name)
    set_value("pair", pair)
    set_value("methods", [n for n in list_pretrained(task_name) if n in methods])
    st.switch_page("pages/playground.py")


def family_walkthrough(task: Task) -> None:
    """The same pairs under each rule of the task's family, with late fusion's measured fate in each."""
    family = [get_task(n) for n in list_tasks() if task.family and get_task(n).family == task.family]
    if len(family) < 2:
        return
    with st.container(border=True):
        st.subheader(f"Walkthrough: the same pairs, {len(family)} rules")
        st.caption(
            f"The tasks of the {task.family} family share their inputs and change only the rule that labels them. "
            "Follow late fusion through them; each step opens the Playground on the same handwritten digit."
        )
        for number, (column, step) in enumerate(zip(st.columns(len(family)), family), start=1):
            with column:
                st.markdown(f"**{number}. {step.title}**  \n{step.rule}")
                st.caption(step.lesson)
                scores = accuracies(step.name)
                best = best_fusion(scores)
                if scores:
                    line = ", ".join(f"{n} {100 * scores[n]:.1f}%" for n in scores if n.startswith("unimodal"))
                    st.caption(f"Measured on the test pairs: late {100 * scores.get('late', 0):.1f}%, best {best} "
                               f"{100 * scores.get(best, 0):.1f}%; {line}.")
                if st.button("Show me", icon=":material/play_arrow:", key=f"learn.rules.{step.name}"):
                    pair = lesson_pair(tuple(t.name for t in family), st.session_state["device"])
                    _open(step.name, pair, [n for n in scores if n.startswith("unimodal") or n in ("late", best)])


def task_walkthrough(task: Task) -> None:
    """For a task reported by strata (question types): where late fusion fails, in numbers, and a pair that shows it."""
    all_cards = cards(task.name)
    late = all_cards.get("late", {}).get("metrics", {})
    if task.family or not late.get("strata"):
        return
    scores = accuracies(task.name)
    best = best_fusion(scores)
    best_metrics = all_cards[best]["metrics"]
    every = subset_key(task.modality_names)
    with st.container(border=True):
        st.subheader(f"Walkthrough: what late fusion cannot answer on {task.name}")
        st.caption(task.lesson)
        for stratum, by_subset in late["strata"].items():
            table = pd.DataFrame({
                "late": by_subset.get(every, {}),
                best: best_metrics["strata"][stratum].get(every, {}),
                **{n: all_cards[n]["metrics"]["strata"][stratum].get(n.split("-", 1)[1], {})
                   for n in all_cards if n.startswith("unimodal")},
            })
            st.markdown(f"**Test accuracy by {stratum}**")
            st.dataframe(table, column_config={c: st.column_config.NumberColumn(c, format="percent") for c in table.columns})
        if "emap" in late and "emap" in best_metrics:
            st.caption(
                f"EMAP, on {late['emap']['pairs']} test pairs: late fusion {late['emap']['accuracy']:.1%}, its additive "
                f"projection {late['emap']['emap_accuracy']:.1%} (late fusion is additive: nothing is lost); {best} "
                f"{best_metrics['emap']['accuracy']:.1%}, its additive projection {best_metrics['emap']['emap_accuracy']:.1%}: "
                "what it adds over late fusion is the interaction between scene and question."
            )
        relational = next(((k, v) for k, values in late["strata"].items() for v in values.get(every, {}) if v == "relational"), None)
        if st.button("Show me a question late fusion gets wrong", icon=":material/play_arrow:", key=f"learn.task.{task.name}"):
            pair = lesson_pair((task.name,), st.session_state["device"], relational or ("", ""))
            _open(task.name, pair, [n for n in scores if n.startswith("unimodal") or n in ("late", best)])
