"""Benchmark of the app's speed targets, measured the way the pages compute them.

1. Playground: every pretrained method on one pair (preprocessed signals -> inputs -> predictions).
2. Explain: Integrated Gradients (32 steps, every modality) + modality Shapley, per method.
3. Start-up: server start -> first page interactive in headless Chromium.

Usage: .venv/bin/python scripts/bench_app.py [--device cpu|cuda] [--json out.json] [--no-browser]
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from fusion_core.bench import timings  # noqa: E402
from fusion_core.data import resolve_data_dir  # noqa: E402
from fusion_core.device import describe_device, pick_device  # noqa: E402
from fusion_core.explain import explain, modality_shapley  # noqa: E402
from fusion_core.inference import apply_corruptions, model_inputs, predict_all  # noqa: E402
from fusion_core.pretrained import list_pretrained, load_pretrained  # noqa: E402
from fusion_core.tasks import get_task  # noqa: E402


def playground_ms(task, models, signals, device) -> float:
    def run():
        damaged = apply_corruptions(task, signals, {"image": ("occlusion", 0.3)})
        inputs = model_inputs(task, damaged, task.modality_names)
        predict_all(task, models, inputs, device)
        for model in models.values():
            model.modality_weights({m: x.to(device) for m, x in inputs.items()})

    return 1000 * statistics.median(timings(run, 30, device, warmup=3))


def explain_ms(task, models, signals, device) -> dict:
    inputs = {m: x.to(device) for m, x in model_inputs(task, signals, task.modality_names).items()}
    out = {}
    for name, model in models.items():
        def run():
            explain(model, task, inputs, "integrated_gradients", {"n_steps": 32})
            modality_shapley(model, inputs)

        out[name] = round(1000 * statistics.median(timings(run, 10, device, warmup=2)), 1)
    return out


def startup_s() -> float:
    """Seconds from launching the app (``python -m ui.serve``) to the Home page drawn and idle (browser already open)."""
    from playwright.sync_api import sync_playwright

    from browser import launch, served_app

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page()
        start = time.perf_counter()
        with served_app() as url:
            page.goto(url)
            page.get_by_role("heading", name="FusionLab").wait_for(timeout=60_000)
            page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=60_000)
            seconds = time.perf_counter() - start
        browser.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--json")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    device = pick_device(args.device)
    task = get_task("digits-av")
    models = {n: load_pretrained(task.name, n, device)[0].requires_grad_(False) for n in list_pretrained(task.name)}
    signals = {m: s[0] for m, s in task.load("test", resolve_data_dir()).subset([7]).signals().items()}
    result = {"device": describe_device(device), "torch": torch.__version__}
    result["playground_all_methods_ms"] = round(playground_ms(task, models, signals, device), 1)
    per_method = explain_ms(task, models, signals, device)
    result["explain_ig32_plus_shapley_ms"] = per_method
    result["explain_worst_ms"] = max(per_method.values())
    if not args.no_browser:
        result["startup_to_first_page_s"] = round(startup_s(), 2)
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
