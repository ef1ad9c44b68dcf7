"""A served FusionLab app and a headless Chromium driving it, for the end-to-end tests."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional, Sequence, Tuple

REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("FUSIONLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served_app(timeout: float = 90.0) -> Iterator[str]:
    """The app as the README starts it (``python -m ui.serve``) on a free port; yields its URL once /_stcore/health answers."""
    with app_server(timeout) as (url, _):
        yield url


@contextmanager
def app_server(timeout: float = 90.0, port: Optional[int] = None) -> Iterator[Tuple[str, subprocess.Popen]]:
    """The served app's URL and its process (for measuring its CPU and memory)."""
    port = port or free_port()
    command = [
        sys.executable, "-m", "ui.serve", "--server.headless", "true",
        "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
    ]
    log = open(REPO / "artifacts" / f"streamlit-{port}.log", "w") if (REPO / "artifacts").is_dir() else subprocess.DEVNULL
    process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.25)
        else:
            raise RuntimeError("the Streamlit server did not become healthy")
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def launch(playwright, extra_args: Sequence[str] = ()):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_FLAGS, *extra_args])


def wait_idle(page, timeout: float = 120_000) -> None:
    """Wait until Streamlit has finished the current run (its status widget is gone)."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=timeout)
    # The status widget appears only once a run has gone on for a moment; on a loaded machine a rerun that was
    # requested but had not started yet slipped past it. The app's own script state says at once.
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=timeout)
    page.wait_for_timeout(200)


# Streamlit scrolls inside its main container, not the document, so a "full page" screenshot would
# stop at the viewport: the viewport is grown to the content's height for the shot, then put back.
CONTENT_HEIGHT = """() => Math.max(document.body.scrollHeight,
    ...Array.from(document.querySelectorAll('[data-testid="stMain"], [data-testid="stAppViewContainer"]'), e => e.scrollHeight))"""
MAX_SHOT_HEIGHT = 6000


def shoot(page, name: str, full: Optional[bool] = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    size = page.viewport_size
    height = min(MAX_SHOT_HEIGHT, page.evaluate(CONTENT_HEIGHT)) if full and size else 0
    if height > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": height})
        page.wait_for_timeout(300)
    page.screenshot(path=str(path), full_page=full)
    if height > size["height"]:
        page.set_viewport_size(size)
    return path
