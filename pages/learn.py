"""Learn: a walkthrough of a task family, then one section per fusion method, each with a guided experiment."""

import ui.boot  # noqa: F401  (first, before any other import: see ui/boot.py)

import inspect

import streamlit as st

from fusion_core.corruptions import list_corruptions
from fusion_core.fusions import fusion_class, list_fusions
from fusion_core.pretrained import list_pretrained
from fusion_core.tasks import get_task
from ui.lessons import family_walkthrough, task_walkthrough
from ui.resources import cards
from ui.state import require_app, set_value

require_app()
task = get_task(st.session_state["task"])
st.title("Learn")
st.caption("Every method of the zoo, from where it fuses: no fusion, input level, intermediate level, decision level.")

family_walkthrough(task)
task_walkthrough(task)

methods = list_fusions()
method = st.pills("Method", methods, default=methods[1], key="learn.method") or methods[1]
cls = fusion_class(method)
models = [n for n in list_pretrained(task.name) if cards(task.name)[n]["method"] == method]

st.header(method)
st.markdown(f"**{(cls.__doc__ or '').strip().splitlines()[0]}**  \nFuses at the **{cls.stage}** level." + (f" Paper: {cls.paper}" if cls.paper else ""))
left, right = st.columns([3, 2])
with left:
    st.latex(cls.equation)
    st.markdown(inspect.cleandoc(cls.__doc__ or "").split("\n", 1)[-1])
    st.markdown(f":green[**Helps when**] {cls.helps}")
    st.markdown(f":red[**Fails when**] {cls.fails}")
    if models:
        st.caption("Parameters: " + ", ".join(f"{n} {cards(task.name)[n]['parameters']:,}" for n in models))
with right:
    st.graphviz_chart(cls.diagram(task.modality_names, method))

if cls.lesson is not None:
    with st.container(border=True):
        st.markdown(f"**Try it:** {cls.lesson.text}")
        if st.button("Set up the Playground", icon=":material/play_arrow:", key=f"learn.go.{method}"):
            available = list_pretrained(task.name)
            shown = [n for n in [*models, *cls.lesson.compare] if n in available]
            set_value("methods", shown or available)
            for modality in task.modalities:
                m = modality.name
                set_value(f"on.{m}", modality.kind not in cls.lesson.off)
                set_value(f"level.{m}", 0.0)
                for kind, corruption, level in cls.lesson.corrupt:
                    if modality.kind == kind and corruption in list_corruptions(kind):
                        set_value(f"corruption.{m}", corruption)
                        set_value(f"level.{m}", level)
            st.switch_page("pages/playground.py")

with st.expander("Source code (read from the module)"):
    st.code(inspect.getsource(inspect.getmodule(cls)), language="python")
