"""When a page has settled: the run an action caused has finished and the page shows its final content.

Shared by the load harness (``load_test.py``) and the first-visit measurement (``first_visits.py``).
"""

import asyncio
import time

TIMEOUT_MS = 180_000

SETTLED = """
([cards, charts]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  const answers = [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')].filter(e => e.innerText.includes(' → '));
  if (answers.length < cards) return false;
  const images = [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stImage"] img')];
  if (!images.every(i => i.complete && i.naturalWidth > 0)) return false;
  return images.length + document.querySelectorAll('[data-testid="stPlotlyChart"] svg.main-svg').length >= charts;
}
"""


class RunWatch:
    """Counts the script runs the server finished for a page, read from the app's WebSocket.

    Streamlit's protocol says when a run ends (a ``script_finished`` message). The page's own sign, its
    ``data-test-script-state`` attribute going running -> notRunning, is not enough under load: a browser
    starved of CPU can take a run's start and end in one render, the attribute never reads "running", and a
    view that did settle looked unsettled for ever.
    """

    def __init__(self, page) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self._message = ForwardMsg
        self.finished = 0
        self._changed = asyncio.Event()
        page.on("websocket", self._socket)

    def _socket(self, socket) -> None:
        if socket.url.endswith("/_stcore/stream"):
            socket.on("framereceived", self._frame)

    def _frame(self, payload) -> None:
        if isinstance(payload, str):
            return
        message = self._message.FromString(payload)
        if message.WhichOneof("type") == "script_finished" and message.script_finished != self._message.FINISHED_EARLY_FOR_RERUN:
            self.finished += 1
            self._changed.set()

    async def after(self, runs: int, timeout_s: float) -> None:
        """Wait until more than ``runs`` runs have finished."""
        deadline = time.monotonic() + timeout_s
        while self.finished <= runs:
            self._changed.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no script run finished after run {runs} in {timeout_s:.0f} s")
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass


async def settle(page, watch: RunWatch, runs: int, cards: int = 0, charts: int = 0) -> None:
    """Until the run after ``runs`` has finished, no element is stale and the page's final content is there."""
    started = time.monotonic()
    await watch.after(runs, TIMEOUT_MS / 1000)
    left_ms = max(1_000, TIMEOUT_MS - 1000 * (time.monotonic() - started))
    await page.wait_for_function(SETTLED, arg=[cards, charts], timeout=left_ms, polling="raf")
