"""Every page through Streamlit's AppTest: renders, and its main flow shows the right things."""

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from fusion_core.cli import export_signal
from fusion_core.pretrained import list_pretrained
from fusion_core.samples import digit_png
from fusion_core.tasks import get_task

REPO = Path(__file__).resolve().parent.parent
PAGES = ["pages/home.py", "pages/playground.py", "pages/explain.py", "pages/compare.py", "pages/errors.py", "pages/learn.py"]
TASK = get_task("digits-av")
MODELS = list_pretrained("digits-av")
TIMEOUT = 180


def start(page: str = "pages/home.py", **query) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if page != "pages/home.py":
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown) + "\n".join(str(c.value) for c in at.caption)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.fixture(scope="module")
def test_pairs(data_dir):
    return TASK.load("test", data_dir)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_exception(page, data_dir):
    at = start(page)
    assert not at.exception and not at.error, [e.value for e in at.error]


def test_home_shows_the_task_device_and_links():
    at = start()
    assert at.title[0].value == "FusionLab"
    assert at.selectbox(key="home.task").value == "digits-av"
    assert any(m.label == "Running on" and m.value.startswith("CPU") for m in at.metric)


def test_playground_runs_every_method_on_a_test_pair(test_pairs):
    at = start("pages/playground.py", pair="7")
    truth = TASK.labels[int(test_pairs.labels[7])]
    assert metric(at, "True label") == truth
    shown = texts(at)
    for name in MODELS:
        assert f"**{name}** →" in shown
    assert metric(at, "Agreement") == f"{len(MODELS)}/{len(MODELS)} say {truth}"
    assert at.session_state["pair"] == 7


def test_playground_switching_a_modality_off(test_pairs):
    at = start("pages/playground.py", pair="3")
    at.toggle(key="w.on.audio").set_value(False).run()
    shown = texts(at)
    assert "**unimodal-audio** → no evidence (audio switched off)" in shown
    truth = TASK.labels[int(test_pairs.labels[3])]
    assert f"**late** → **{truth}**" in shown
    assert at.query_params["off"] == "audio"


def test_playground_upload_and_a_bad_upload(test_pairs):
    at = start("pages/playground.py", pair="11")
    at.segmented_control(key="w.source.image").set_value("upload").run()
    digit = test_pairs.subset([11]).signals()["image"][0]
    at.file_uploader(key="upload.image").upload("digit.png", export_signal("image", digit), "image/png").run()
    assert not at.exception and not at.error
    truth = TASK.labels[int(test_pairs.labels[11])]
    assert f"**unimodal-image** → **{truth}**" in texts(at)
    assert metric(at, "True label") == "unknown"  # the image no longer comes from the test pair
    at.file_uploader(key="upload.image").set_value(("broken.png", b"\x89PNG\r\n\x1a\n garbage", "image/png")).run()
    assert not at.exception
    assert any("cannot be used" in e.value and "image" in e.value for e in at.error)
    assert "**unimodal-audio** →" in texts(at)  # the rest of the page keeps working


def test_playground_microphone_recording(test_pairs):
    at = start("pages/playground.py", pair="5")
    at.segmented_control(key="w.source.audio").set_value("record").run()
    clip = test_pairs.subset([5]).signals()["audio"][0]
    at.audio_input(key="record.audio").set_value(("recording.wav", export_signal("audio", clip), "audio/wav")).run()
    assert not at.exception and not at.error
    truth = TASK.labels[int(test_pairs.labels[5])]
    assert f"**unimodal-audio** → **{truth}**" in texts(at)


def test_playground_corruption_slider_changes_the_image_only_answer():
    at = start("pages/playground.py", pair="0")
    before = texts(at)
    at.slider(key="w.level.image").set_value(1.0).run()
    at.selectbox(key="w.corruption.image").set_value("occlusion").run()
    after = texts(at)
    line = re.compile(r"\*\*unimodal-image\*\* → \*\*(\w+)\*\* \((\d+)%\)")
    assert line.search(before).group(0) != line.search(after).group(0)
    assert int(line.search(after).group(2)) < 50  # a blacked-out image leaves little evidence
    assert at.query_params["corrupt"] == "image:occlusion:1"


def test_explain_shows_heatmaps_shapley_and_delta():
    at = start("pages/explain.py", pair="2", methods="late,concat")
    assert not at.error, [e.value for e in at.error]
    captions = "\n".join(c.value for c in at.caption)
    assert captions.count("Convergence delta") == 2
    assert captions.count("Shapley: ") == 2
    # two heatmaps (image, audio) and one Shapley chart per method
    assert len([c for c in at.get("plotly_chart")]) == 6


@pytest.mark.parametrize("attr", ["saliency", "gradient_shap", "occlusion", "feature_ablation"])
def test_explain_other_attribution_methods(attr):
    at = start("pages/explain.py", pair="2", methods="attention", attr=attr)
    assert not at.error and not at.exception
    assert "Shapley: " in "\n".join(c.value for c in at.caption)


def test_compare_table_and_recompute():
    at = start("pages/compare.py")
    assert at.dataframe and not at.error
    at.multiselect(key="compare.what").set_value(["perceptual score"])
    at.slider(key="compare.pairs").set_value(100)
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert any("recomputed" in s.value for s in at.success)


def test_error_analysis_filters():
    at = start("pages/errors.py")
    at.selectbox(key="errors.method").set_value("unimodal-image").run()
    wrong = int(next(m.value for m in at.markdown if m.value.endswith(" pairs**")).strip("*").split()[0])
    at.segmented_control(key="errors.outcome").set_value("correct").run()
    right = int(next(m.value for m in at.markdown if m.value.endswith(" pairs**")).strip("*").split()[0])
    assert wrong + right == 5000 and 0 < wrong < 200


def test_learn_walkthrough_sets_up_the_playground():
    at = start("pages/learn.py")
    at.pills(key="learn.method").set_value("late").run()
    assert at.latex and at.get("graphviz_chart")
    at.button(key="learn.go.late").click().run()
    assert not at.exception
    assert at.session_state["level.image"] == 0.6 and at.session_state["corruption.image"] == "salt_pepper"
    assert "late" in at.session_state["methods"]


def test_a_shared_link_restores_the_state():
    at = start("pages/playground.py", pair="42", off="image", corrupt="audio:white_noise:0.3", methods="late,concat", attr="occlusion")
    state = at.session_state
    assert state["pair"] == 42 and state["on.image"] is False and state["level.audio"] == 0.3
    assert state["methods"] == ["late", "concat"] and state["attr"] == "occlusion"
    assert "**concat** →" in texts(at) and "**early** →" not in texts(at)


def test_a_bad_link_is_reported_not_fatal():
    at = start(pair="abc", methods="nope", corrupt="image:fog:2", task="nope")
    assert not at.exception
    assert at.session_state["methods"] == MODELS
    assert len(at.toast) >= 3


def test_a_drawn_digit_png_from_the_canvas_path():
    """The canvas hands over a PNG; the same load path must accept its RGBA strokes (browser test draws for real)."""
    from fusion_core.preprocess.image import load_image

    assert load_image(digit_png(4, dark_on_light=False)).shape == (28, 28)
