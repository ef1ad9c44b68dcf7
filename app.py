"""FusionLab: compare multimodal fusion methods on paired inputs, live, with explanations.

Run with ``python -m ui.serve`` (``streamlit run app.py``, loading the models first: see ui/serve.py). Pages live in pages/; every computation is in fusion_core.
"""

import ui.boot  # noqa: F401  (first, before any other import: see ui/boot.py)

import streamlit as st

from fusion_core.device import configure_threads, describe_device, pick_device
from fusion_core.tasks import get_task
from ui.state import init_state, link_notes, show_error, write_query_params

st.set_page_config(page_title="FusionLab", page_icon=":material/hub:", layout="wide")
configure_threads()  # once per server process (cached), before any model runs
st.session_state["_in_app"] = True  # pages check it: see ui.state.require_app
init_state()

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/playground.py", title="Playground", icon=":material/science:"),
    st.Page("pages/explain.py", title="Explain", icon=":material/insights:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/leaderboard:"),
    st.Page("pages/errors.py", title="Error analysis", icon=":material/troubleshoot:"),
    st.Page("pages/learn.py", title="Learn", icon=":material/school:"),
]
page = st.navigation(PAGES)

with st.sidebar:
    task = get_task(st.session_state["task"])
    st.caption(f"**Task:** {task.title}")
    st.caption(f"**Device:** {describe_device(pick_device(st.session_state['device']))}")

for note in link_notes() or []:
    st.toast(note, icon=":material/link_off:")

try:
    page.run()
except Exception as error:  # noqa: BLE001  (st.rerun/st.stop are BaseExceptions and pass through)
    show_error(error, "this page")
finally:  # also after st.stop() inside a page
    write_query_params()
    st.session_state["_in_app"] = False
