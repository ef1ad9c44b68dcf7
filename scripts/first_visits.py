"""Each page's first visit on a freshly started server: seconds from opening it to its finished content.

A new server per page (``tests/browser.py``'s ``app_server``: the app started as the README starts it), one
Chromium session, settled as the load harness (``scripts/load_test.py``) settles a view: the script's run has
ended, no element is stale, and the page's final content is there.

Usage: .venv/bin/python scripts/first_visits.py [--pages home,playground] [--json out.json]
"""

import argparse
import asyncio
import json
import re
import sys
import time
from pathlib import Path
from typing import List

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_test import CHROMIUM, CHROMIUM_FLAGS, TASK, Expected, app_server, psutil  # noqa: E402
from settling import TIMEOUT_MS, RunWatch, settle  # noqa: E402

# page -> (path, what its finished content is): answer cards, drawn figures, a text that appears last.
FIRST_VISITS = {
    "home": ("", 0, 1, "Partial information decomposition"),
    "playground": ("playground?pair=0", "models", 2, None),
    "explain": ("explain?pair=0&methods=late,concat", 0, 4, "Shapley: "),
    "compare": ("compare", 0, 4, None),
    "errors": ("errors", 0, 0, r"correct on \d+ test pairs"),
    "learn": ("learn", 0, 0, None),
}


async def first_visit(url: str, page_name: str, expected: Expected) -> float:
    """Seconds from opening ``page_name`` on a server nobody has visited yet to its finished content."""
    from playwright.async_api import async_playwright

    path, cards, charts, text = FIRST_VISITS[page_name]
    cards = len(expected.models) if cards == "models" else cards
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        context = await browser.new_context(viewport={"width": 1400, "height": 1000})
        page = await context.new_page()
        watch = RunWatch(page)
        start = time.perf_counter()
        await page.goto(f"{url}/{path}")
        await settle(page, watch, 0, cards, charts)
        if text:
            await page.get_by_text(re.compile(text)).first.wait_for(timeout=TIMEOUT_MS)
        seconds = time.perf_counter() - start
        await browser.close()
    return seconds


def first_visits(expected: Expected, pages: List[str]) -> dict:
    """Each page opened first on a freshly started server (one server per page), settled."""
    out = {}
    for name in pages:
        with app_server() as (url, process):
            out[name] = round(asyncio.run(first_visit(url, name, expected)), 2)
        print(f"first visit {name:<12}{out[name]:>6.2f} s", flush=True)
    return {"first_visit_s": out}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", default=",".join(FIRST_VISITS), help=f"comma-separated, of: {', '.join(FIRST_VISITS)}")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    pages = [p.strip() for p in args.pages.split(",") if p.strip()]
    unknown = [p for p in pages if p not in FIRST_VISITS]
    if unknown or not pages:
        parser.error(f"--pages: unknown {', '.join(unknown) or '(none)'}; choose from {', '.join(FIRST_VISITS)}")
    from fusion_core.data import resolve_data_dir

    summary = first_visits(Expected(resolve_data_dir()), pages)
    summary["settings"] = {"task": TASK, "cpus": psutil.cpu_count()}
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
