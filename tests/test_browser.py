"""End to end in headless Chromium: a served app, real clicks, real files, a fake microphone.

Screenshots of every step land in artifacts/screenshots/ for a person to look at.
"""

import io
import re

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import resample_poly

from browser import launch, served_app, shoot, wait_idle
from fusion_core.cli import export_signal
from fusion_core.pretrained import list_pretrained, load_pretrained, read_card
from fusion_core.tasks import get_task

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
TASK = get_task("digits-av")
MODELS = list_pretrained("digits-av")


@pytest.fixture(scope="module")
def app_url(data_dir):
    with served_app() as url:
        yield url


@pytest.fixture(scope="module")
def playwright():
    with playwright_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright):
    browser = launch(playwright)
    yield browser
    browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="module")
def pair(data_dir, tmp_path_factory):
    """Test pair 7 as a PNG and a WAV, and its label."""
    data = TASK.load("test", data_dir).subset([7])
    folder = tmp_path_factory.mktemp("pair")
    signals = data.signals()
    (folder / "digit.png").write_bytes(export_signal("image", signals["image"][0]))
    (folder / "digit.wav").write_bytes(export_signal("audio", signals["audio"][0]))
    return folder, TASK.labels[int(data.labels[0])]


def open_page(page, url: str, heading: str) -> None:
    page.goto(url)
    page.get_by_role("heading", name=heading).first.wait_for(timeout=120_000)
    wait_idle(page)


def prediction_of(page, model: str) -> str:
    """The text of a model's result card, e.g. 'late → 7 (99%)'."""
    card = page.locator('[data-testid="stMarkdownContainer"]', has_text=f"{model} →").first
    card.wait_for(timeout=60_000)
    return card.inner_text()


def expect_prediction(page, model: str, label: str) -> None:
    """Wait (the run may still be starting) until ``model``'s card names ``label``."""
    card = page.locator('[data-testid="stMarkdownContainer"]', has_text=f"{model} →").first
    expect(card).to_contain_text(f"{model} → {label}", timeout=120_000)


def choose_source(page, modality: str, source: str) -> None:
    page.get_by_role("radiogroup", name=f"{modality} from").get_by_role("radio", name=source, exact=True).click()
    wait_idle(page)


def test_upload_a_png_and_a_wav_and_see_every_method(page, app_url, pair):
    folder, label = pair
    open_page(page, f"{app_url}/playground", "Playground")
    choose_source(page, "image", "upload")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(folder / "digit.png"))
    wait_idle(page)
    choose_source(page, "audio", "upload")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').last.set_input_files(str(folder / "digit.wav"))
    wait_idle(page)
    for model in MODELS:
        expect_prediction(page, model, label)
    shoot(page, "playground-upload")

    page.get_by_role("link", name="Explain").first.click()
    page.get_by_role("heading", name="Explain").first.wait_for()
    # a heatmap per modality the method reads (image, spectrogram), drawn, and its Shapley bars
    heatmaps = sum(len(load_pretrained("digits-av", name)[0].modalities) for name in MODELS)
    rendered_images(page, heatmaps)
    expect(page.locator(".fusionlab-shapley")).to_have_count(len(MODELS))
    expect(page.get_by_text("Convergence delta")).to_have_count(len(MODELS))
    wait_idle(page)
    shoot(page, "explain")


def test_a_corrupt_upload_gets_a_message_and_the_page_keeps_working(page, app_url, tmp_path):
    broken = tmp_path / "photo.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n this is not really a picture")
    open_page(page, f"{app_url}/playground?pair=3", "Playground")
    choose_source(page, "image", "upload")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(broken))
    wait_idle(page)
    error = page.locator('[data-testid="stAlertContentError"]').first
    assert "This file cannot be used" in error.inner_text()
    assert "Traceback" not in page.content()
    assert "→" in prediction_of(page, "unimodal-audio")  # the audio from the test pair still runs
    shoot(page, "playground-bad-upload")


def test_a_shared_link_restores_the_state(page, app_url):
    open_page(page, f"{app_url}/playground?pair=42&off=image&corrupt=audio:white_noise:0.3&methods=late,concat", "Playground")
    assert "→" in prediction_of(page, "late") and "→" in prediction_of(page, "concat")
    assert page.locator('[data-testid="stMarkdownContainer"]', has_text="early →").count() == 0
    image_toggle = page.get_by_role("switch", name="image switched on")
    assert not image_toggle.is_checked()
    assert page.get_by_text("0.30").count() >= 1  # the audio corruption slider
    assert "pair=42" in page.url and "off=image" in page.url
    shoot(page, "shared-link")


def test_draw_a_digit_on_the_canvas(page, app_url):
    open_page(page, f"{app_url}/playground?pair=0", "Playground")
    choose_source(page, "image", "draw")
    canvas = page.locator("canvas").first
    canvas.wait_for()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 140, box["y"] + 40)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(box["x"] + 140, box["y"] + 40 + 10 * step)
    page.mouse.up()
    wait_idle(page)
    expect_prediction(page, "unimodal-image", "1")
    wait_idle(page)
    shoot(page, "playground-draw")


def fake_microphone_file(path, data_dir) -> str:
    """Test pair 7's recording at 48 kHz with silence around it: what the fake microphone plays."""
    data = TASK.load("test", data_dir).subset([7])
    clip = data.signals()["audio"][0].numpy()
    loud = np.concatenate([np.zeros(4000), clip, np.zeros(4000)])
    sf.write(path, resample_poly(loud, 6, 1).astype(np.float32), 48000, subtype="PCM_16")
    return TASK.labels[int(data.labels[0])]


def test_record_through_a_fake_microphone(playwright, app_url, data_dir, tmp_path):
    wav = tmp_path / "mic.wav"
    label = fake_microphone_file(wav, data_dir)
    browser = launch(playwright, [
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", f"--use-file-for-fake-audio-capture={wav}",
    ])
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, permissions=["microphone"])
    page = context.new_page()
    try:
        open_page(page, f"{app_url}/playground?pair=0", "Playground")
        choose_source(page, "audio", "record")
        button = page.locator('[data-testid="stAudioInputActionButton"]').first
        button.click()
        page.wait_for_timeout(2200)
        button.click()
        wait_idle(page)
        expect_prediction(page, "unimodal-audio", label)
        wait_idle(page)
        shoot(page, "playground-microphone")
    finally:
        context.close()
        browser.close()


def rendered_charts(page, count: int) -> None:
    """Wait until ``count`` Plotly charts have drawn (their SVG is in place), not only their placeholders."""
    expect(page.locator('[data-testid="stPlotlyChart"] .main-svg').first).to_be_visible(timeout=120_000)
    page.wait_for_function(
        "n => document.querySelectorAll('[data-testid=\"stPlotlyChart\"] svg.main-svg').length >= n", arg=count, timeout=120_000
    )


def rendered_images(page, count: int) -> None:
    """Wait until exactly ``count`` images are in the page's main area, each loaded and decoded."""
    page.wait_for_function(
        """n => {
          const images = [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stImage"] img')];
          return images.length === n && images.every(i => i.complete && i.naturalWidth > 0);
        }""",
        arg=count, timeout=240_000,
    )


def test_home_shows_the_task_and_its_profile(page, app_url):
    open_page(page, f"{app_url}/", "FusionLab")
    expect(page.get_by_text("Rule:")).to_be_visible()
    rendered_charts(page, 1)  # the information profile
    expect(page.get_by_text("Partial information decomposition").first).to_be_visible()
    assert page.locator('[data-testid="stException"]').count() == 0
    wait_idle(page)
    shoot(page, "page-home")


def test_compare_shows_the_grid_the_table_and_the_curves(page, app_url):
    open_page(page, f"{app_url}/compare", "Compare")
    rendered_charts(page, 4)  # profile, methods x tasks grid, robustness curves, perceptual score (EMAP follows)
    table = page.locator('[data-testid="stDataFrame"]').first
    expect(table).to_be_visible()
    expect(page.get_by_text("Running every model")).to_have_count(0)
    assert page.locator('[data-testid="stException"]').count() == 0
    wait_idle(page)
    shoot(page, "page-compare")


def test_error_analysis_shows_the_confusion_matrix_and_the_pairs(page, app_url):
    open_page(page, f"{app_url}/errors", "Error analysis")
    caption = page.get_by_text(re.compile(r"late: \d+\.\d+% correct on 5000 test pairs"))
    expect(caption).to_be_visible(timeout=120_000)
    accuracy = float(re.search(r"(\d+\.\d+)%", caption.inner_text()).group(1))
    assert accuracy == pytest.approx(100 * read_card("digits-av", "late")["metrics"]["accuracy"], abs=0.01)
    expect(page.locator('[data-testid="stDataFrame"]')).to_have_count(2, timeout=60_000)  # the matrix and the pair list
    assert page.locator('[data-testid="stException"]').count() == 0
    wait_idle(page)
    shoot(page, "page-errors")


def test_learn_shows_the_walkthrough_and_a_method(page, app_url):
    open_page(page, f"{app_url}/learn", "Learn")
    expect(page.get_by_role("heading", name="Walkthrough: the same pairs, 3 rules")).to_be_visible()
    expect(page.get_by_text("Helps when").first).to_be_visible()
    assert page.locator('[data-testid="stException"]').count() == 0
    wait_idle(page)
    shoot(page, "page-learn")


def test_the_three_rules_walkthrough(page, app_url):
    """Learn's walkthrough opens the Playground on digits-sum, where late fusion is wrong and the best method right."""
    open_page(page, f"{app_url}/learn", "Learn")
    page.get_by_role("heading", name="Walkthrough: the same pairs, 3 rules").wait_for()
    page.locator(".st-key-learn-rules-digits-sum button").click()
    page.get_by_role("heading", name="Playground").first.wait_for(timeout=120_000)
    wait_idle(page)
    assert "task=digits-sum" in page.url
    truth = page.locator('[data-testid="stMetric"]', has_text="True label").locator('[data-testid="stMetricValue"]').inner_text()
    assert f"late → {truth}" not in prediction_of(page, "late")  # late fusion cannot add the two digits
    scores = {n: read_card("digits-sum", n)["metrics"]["accuracy"] for n in list_pretrained("digits-sum")}
    best = max((n for n in scores if not n.startswith("unimodal")), key=scores.get)
    expect_prediction(page, best, truth)
    assert "(image's digit + spoken digit) mod 10" in page.content()
    shoot(page, "walkthrough-digits-sum")


def test_type_a_question_about_a_scene_and_see_every_method_answer(page, app_url):
    open_page(page, f"{app_url}/playground?task=shapes-vqa&pair=2", "Playground")
    choose_source(page, "question", "type")
    box = page.get_by_role("combobox", name="Type a question, or pick one")
    box.click()
    page.keyboard.type("What shape is the object farthest from the blue object?")
    page.keyboard.press("Enter")
    wait_idle(page)
    truth = page.locator('[data-testid="stMetric"]', has_text="True label").locator('[data-testid="stMetricValue"]')
    expect(truth).to_have_text(re.compile(r"^(square|circle)$"), timeout=60_000)
    for model in list_pretrained("shapes-vqa"):
        assert "→" in prediction_of(page, model)
    assert "what shape is the object farthest from the blue object" in page.content()
    wait_idle(page)
    shoot(page, "playground-vqa-typed")
    box.click()
    page.keyboard.type("Is the red blob on the lfet?")
    page.keyboard.press("Enter")
    wait_idle(page)
    error = page.locator('[data-testid="stAlertContentError"]').first
    expect(error).to_contain_text("'blob'", timeout=60_000)
    expect(error).to_contain_text("did you mean 'left'")
    shoot(page, "playground-vqa-unknown-words")
