"""Load harness: real browser sessions against a served app, timed from a click to a settled page.

N Playwright contexts (one Chromium, the way Streamlit's own load tests drive sessions) each repeat
the flows a visitor does for T seconds:

- ``playground-link``: open a Playground link to a random test pair;
- ``playground-change``: on that page, click Random (a new pair), toggle a modality off and on;
- ``explain``: open an Explain link for two methods on a random pair (a new page: the app's frontend loads too);
- ``explain-click``: on a Playground link showing those methods, click Explain in the sidebar (the page a
  person goes to next: the frontend is already there);
- ``errors``: open Error analysis.

A page counts as settled when Streamlit's script has finished the run the action caused (the server's
``script_finished`` message on the page's WebSocket: ``settling.RunWatch``), no element is stale, and the
flow's final content is there (every method's answer, every chart drawn and image loaded, the table's caption). Every
answer shown in the Playground is checked against ``fusion_core.predict`` on the same pair. The
server's CPU seconds and resident memory (psutil) are sampled throughout.

Usage: .venv/bin/python scripts/load_test.py [--sessions 10] [--seconds 60] [--flows all] [--json out.json]
       .venv/bin/python scripts/load_test.py --sessions 10 --think 1,5   # each session pauses 1-5 s after a flow
       .venv/bin/python scripts/load_test.py --churn 50     # sessions opened and closed in turn: memory growth
       .venv/bin/python scripts/load_test.py --url http://host:port   # an app served elsewhere (no server metrics)
"""

import argparse
import asyncio
import json
import random
import re
import statistics
import sys
import threading
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import psutil  # noqa: E402

from browser import CHROMIUM, CHROMIUM_FLAGS, app_server  # noqa: E402
from sampling import Server  # noqa: E402
from settling import TIMEOUT_MS, RunWatch, settle  # noqa: E402

TASK = "digits-av"
FLOWS = ("playground-link", "playground-change", "explain", "explain-click", "errors")
EXPLAIN_METHODS = ("late", "concat")
class Expected:
    """What the library answers for a test pair: model -> label, with both modalities and with the image off."""

    def __init__(self, data_dir: Path) -> None:
        import torch

        import fusion_core as fc

        torch.set_num_threads(1)
        self.fc = fc
        self.task = fc.get_task(TASK)
        self.test = self.task.load("test", data_dir)
        zoo = fc.load_zoo(TASK)
        self.models = list(zoo)
        self.reads = {name: len(model.modalities) for name, (model, _) in zoo.items()}
        self.explain_methods = EXPLAIN_METHODS
        self._cache: Dict[Tuple[int, bool], Dict[str, str]] = {}
        self._lock = threading.Lock()

    def labels(self, pair: int, image_on: bool = True) -> Dict[str, str]:
        with self._lock:
            if (pair, image_on) not in self._cache:
                signals = {m: x[0] for m, x in self.test.subset([pair]).signals().items()}
                off = () if image_on else ("image",)
                answers = self.fc.predict(TASK, signals, off=off, device="cpu")
                self._cache[(pair, image_on)] = {n: a.label for n, a in answers.items()}
            return self._cache[(pair, image_on)]


def answers_on(text: str) -> Dict[str, str]:
    """model -> label from the Playground's result cards ('late → 7 (99%)')."""
    return {m.group(1): m.group(2) for m in re.finditer(r"^([\w-]+) → (\S+) \(\d+%\)", text, re.M)}


class Session:
    def __init__(self, index: int, context, url: str, expected: Expected, results: List[dict], rng: random.Random) -> None:
        self.index, self.context, self.url, self.expected, self.results, self.rng = index, context, url, expected, results, rng
        self.page = None
        self.watch: Optional[RunWatch] = None
        self.pair: Optional[int] = None

    async def settle(self, runs: int, cards: int = 0, charts: int = 0) -> None:
        await settle(self.page, self.watch, runs, cards, charts)

    async def runs(self) -> int:
        return self.watch.finished

    async def timed(self, flow: str, action, check) -> None:
        start = time.perf_counter()
        error, mismatch = None, None
        try:
            await action()
            seconds = time.perf_counter() - start
            mismatch = await check()
        except Exception as exc:  # noqa: BLE001  (a failed flow is counted, the session goes on)
            seconds = time.perf_counter() - start
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            shot = REPO / "artifacts" / f"load-error-{self.index}-{flow}-{len(self.results)}.png"
            try:  # what the page showed when it gave up, for whoever reads the error
                shot.parent.mkdir(exist_ok=True)
                await self.page.screenshot(path=str(shot), full_page=True)
                error += f" (screenshot: {shot.relative_to(REPO)})"
            except Exception:  # noqa: BLE001  (a closed page has nothing to show)
                pass
            self.page = None
        self.results.append({"session": self.index, "flow": flow, "seconds": seconds, "error": error, "mismatch": mismatch})

    async def new_page(self) -> None:
        if self.page is not None:
            await self.page.close()
        self.page = await self.context.new_page()
        self.watch = RunWatch(self.page)

    async def playground_link(self) -> None:
        await self.new_page()
        self.pair = self.rng.randrange(len(self.expected.test))
        models = len(self.expected.models)

        async def action():
            await self.page.goto(f"{self.url}/playground?task={TASK}&pair={self.pair}")
            await self.settle(0, cards=models, charts=2)

        await self.timed("playground-link", action, self.check_answers)

    async def check_answers(self, image_on: bool = True) -> Optional[str]:
        shown = answers_on(await self.page.inner_text('[data-testid="stMain"]'))
        wanted = self.expected.labels(self.pair, image_on)
        wrong = {n: (shown.get(n), label) for n, label in wanted.items() if n in shown and shown[n] != label}
        missing = [n for n in wanted if n not in shown and (image_on or not n.endswith("image"))]
        if wrong or missing:
            return f"pair {self.pair} image_on={image_on}: shown vs library {wrong}, missing {missing}"
        return None

    async def playground_change(self) -> None:
        if self.page is None or "/playground" not in self.page.url:
            await self.playground_link()
            if self.page is None:
                return
        models = len(self.expected.models)

        async def random_pair():
            runs = await self.runs()
            await self.page.get_by_role("button", name="Random").click()
            # The page was settled, so the next run to finish is the click's, which puts its pair (possibly the
            # same one, 1 in 5,000) in the address bar.
            await self.settle(runs, cards=models)
            self.pair = int(re.search(r"pair=(\d+)", self.page.url).group(1))

        await self.timed("playground-change", random_pair, self.check_answers)
        if self.page is None:
            return
        switch = self.page.get_by_text("image switched on", exact=True)

        async def toggle():
            runs = await self.runs()
            await switch.click()
            await self.settle(runs, cards=models)

        await self.timed("playground-change", toggle, lambda: self.check_answers(image_on=False))
        if self.page is not None:
            await self.timed("playground-change", toggle, self.check_answers)

    async def explain(self) -> None:
        await self.new_page()
        self.pair = self.rng.randrange(len(self.expected.test))
        methods = self.expected.explain_methods

        async def action():
            await self.page.goto(f"{self.url}/explain?task={TASK}&pair={self.pair}&methods={','.join(methods)}")
            await self.settle(0, charts=self.explain_charts())

        await self.timed("explain", action, self.check_explained)

    async def explain_click(self) -> None:
        await self.new_page()
        self.pair = self.rng.randrange(len(self.expected.test))
        methods = self.expected.explain_methods
        try:
            await self.page.goto(f"{self.url}/playground?task={TASK}&pair={self.pair}&methods={','.join(methods)}")
            await self.settle(0, cards=len(methods), charts=2)
        except Exception as exc:  # noqa: BLE001  (the untimed set-up failed: counted as an error of the flow)
            self.results.append({"session": self.index, "flow": "explain-click", "seconds": 0.0, "error": f"set-up: {exc}"[:200], "mismatch": None})
            self.page = None
            return

        async def action():
            runs = await self.runs()
            await self.page.get_by_role("link", name="Explain").first.click()
            await self.page.get_by_role("heading", name="Explain").first.wait_for(timeout=TIMEOUT_MS)
            await self.settle(runs, charts=self.explain_charts())

        await self.timed("explain-click", action, self.check_explained)

    def explain_charts(self) -> int:
        """Per method: a heatmap (an image) per modality it reads; the Shapley bars and captions follow."""
        return sum(self.expected.reads[n] for n in self.expected.explain_methods)

    async def check_explained(self) -> Optional[str]:
        methods = self.expected.explain_methods
        text = await self.page.inner_text('[data-testid="stMain"]')
        finished = text.count("Convergence delta") >= len(methods) and text.count("Shapley: ") >= len(methods)
        return None if finished else "Explain finished without its attributions"

    async def errors(self) -> None:
        await self.new_page()

        async def action():
            await self.page.goto(f"{self.url}/errors?task={TASK}")
            await self.settle(0)
            await self.page.get_by_text(re.compile(r"correct on \d+ test pairs")).wait_for(timeout=TIMEOUT_MS)

        async def check():
            return None

        await self.timed("errors", action, check)


async def drive(url: str, sessions: int, seconds: float, flows: Tuple[str, ...], expected: Expected, seed: int,
                think: Tuple[float, float] = (0.0, 0.0)) -> List[dict]:
    from playwright.async_api import async_playwright

    results: List[dict] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        deadline = time.monotonic() + seconds

        async def one(index: int) -> None:
            context = await browser.new_context(viewport={"width": 1400, "height": 1000})
            session = Session(index, context, url, expected, results, random.Random(seed * 1000 + index))
            pauses = random.Random(f"think-{seed}-{index}")  # its own stream: a pause leaves the flows as without one
            try:
                while time.monotonic() < deadline:
                    flow = session.rng.choice(flows)
                    await getattr(session, flow.replace("-", "_"))()
                    pause = min(pauses.uniform(*think), deadline - time.monotonic())
                    if pause > 0:  # a person reading the page before the next click
                        await asyncio.sleep(pause)
            finally:
                await context.close()

        await asyncio.gather(*(one(i) for i in range(sessions)))
        await browser.close()
    return results


async def churn(url: str, count: int, server: Server) -> List[float]:
    """Open a session, load a Playground link, close it; ``count`` times in turn. RSS (MB) after each."""
    from playwright.async_api import async_playwright

    rss = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for i in range(count):
            context = await browser.new_context()
            page = await context.new_page()
            watch = RunWatch(page)
            await page.goto(f"{url}/playground?task={TASK}&pair={i}")
            await settle(page, watch, 0, cards=14)
            await context.close()
            await asyncio.sleep(0.5)
            server.sample()
            rss.append(server.samples[-1].rss_mb)
        await browser.close()
    return rss


def percentile(values: List[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def summarise(results: List[dict], server: Server, seconds: float) -> dict:
    flows = {}
    for flow in FLOWS:
        rows = [r for r in results if r["flow"] == flow]
        ok = [r["seconds"] for r in rows if not r["error"]]
        if rows:
            flows[flow] = {
                "views": len(rows),
                "p50_s": round(statistics.median(ok), 3) if ok else None,
                "p95_s": round(percentile(ok, 0.95), 3) if ok else None,
                "errors": sum(bool(r["error"]) for r in rows),
                "mismatches": sum(bool(r["mismatch"]) for r in rows),
            }
    out = {"flows": flows, "views": len(results), "seconds": seconds}
    if server.process and len(server.samples) >= 2:
        first, last = server.samples[0], server.samples[-1]
        cpu, busy = last.server_cpu - first.server_cpu, last.machine_cpu - first.machine_cpu
        out["server_cpu_s"] = round(cpu, 2)
        out["server_cpu_s_per_view"] = round(cpu / max(1, len(results)), 3)
        out["machine_cpu_s"] = round(busy, 2)
        out["other_cpu_s_per_view"] = round((busy - cpu) / max(1, len(results)), 3)  # browsers and harness
        out["rss_mb"] = {"start": round(first.rss_mb), "max": round(max(x.rss_mb for x in server.samples)), "end": round(last.rss_mb)}
        out["rss_timeline"] = [(round(x.seconds), round(x.rss_mb)) for x in server.samples]
    out["problems"] = [r for r in results if r["error"] or r["mismatch"]][:20]
    return out


def think_range(text: str) -> Tuple[float, float]:
    """'LOW,HIGH' (or one number) -> the range of a session's pause after each flow, in seconds."""
    try:
        parts = [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give seconds as LOW,HIGH, e.g. 1,5") from None
    if len(parts) == 1:
        parts *= 2
    if len(parts) != 2 or not 0 <= parts[0] <= parts[1]:
        raise argparse.ArgumentTypeError(f"{text!r}: give seconds as LOW,HIGH with 0 <= LOW <= HIGH, e.g. 1,5")
    return parts[0], parts[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--flows", default="all", help=f"comma-separated, of: {', '.join(FLOWS)}")
    parser.add_argument("--churn", type=int, default=0, help="instead: open and close this many sessions in turn")
    parser.add_argument("--url", help="an app already served elsewhere (no server CPU or memory then)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--think", type=think_range, default=(0.0, 0.0), metavar="LOW,HIGH",
                        help="seconds a session pauses after each flow, drawn uniformly (default 0,0: none)")
    parser.add_argument("--explain-methods", default=",".join(EXPLAIN_METHODS),
                        help="the methods the Explain flow explains, comma-separated, or 'all'")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    flows = FLOWS if args.flows == "all" else tuple(args.flows.split(","))
    from fusion_core.data import resolve_data_dir

    expected = Expected(resolve_data_dir())
    if args.explain_methods != "all":
        chosen = tuple(n.strip() for n in args.explain_methods.split(",") if n.strip())
        unknown = [n for n in chosen if n not in expected.models]
        if unknown or not chosen:
            known = ", ".join(expected.models)
            parser.error(f"--explain-methods: unknown {', '.join(unknown) or '(none)'}; choose from {known} or 'all'")
        expected.explain_methods = chosen
    else:
        expected.explain_methods = tuple(expected.models)
    with (nullcontext((args.url, None)) if args.url else app_server()) as (url, process):
        with Server(process.pid if process else None) as server:
            if args.churn:
                rss = asyncio.run(churn(url, args.churn, server))
                # Growth is counted from the first session's end: loading the zoo and the test pairs happens once,
                # in the first session; what grows after it is what sessions leave behind.
                summary = {"churn_sessions": args.churn, "rss_mb_after_each": [round(r) for r in rss],
                           "rss_mb_at_start": round(server.samples[0].rss_mb),
                           "rss_growth_mb": round(rss[-1] - rss[0]) if rss else None,
                           "rss_peak_growth_mb": round(max(rss) - rss[0]) if rss else None}
            else:
                start = time.monotonic()
                results = asyncio.run(drive(url, args.sessions, args.seconds, flows, expected, args.seed, args.think))
                summary = summarise(results, server, round(time.monotonic() - start, 1))
    summary["settings"] = {"sessions": args.sessions, "seconds": args.seconds, "flows": list(flows), "task": TASK,
                           "cpus": psutil.cpu_count(), "seed": args.seed, "think_s": list(args.think),
                           "explain_methods": list(expected.explain_methods)}
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1) + "\n")
    if "flows" in summary:
        print(f"{args.sessions} session(s), {summary['seconds']} s, {summary['views']} views")
        print(f"{'flow':<20}{'views':>6}{'p50 s':>8}{'p95 s':>8}{'errors':>8}{'wrong':>7}")
        for flow, r in summary["flows"].items():
            print(f"{flow:<20}{r['views']:>6}{r['p50_s'] or 0:>8.2f}{r['p95_s'] or 0:>8.2f}{r['errors']:>8}{r['mismatches']:>7}")
        if "server_cpu_s_per_view" in summary:
            print(f"server CPU {summary['server_cpu_s']} s, {summary['server_cpu_s_per_view']} s per view; RSS {summary['rss_mb']} MB")
            print(f"machine CPU {summary['machine_cpu_s']} s of {summary['settings']['cpus']} x {summary['seconds']} s; the rest of it "
                  f"(browsers, harness) {summary['other_cpu_s_per_view']} s per view")
        for problem in summary["problems"][:5]:
            print("problem:", problem)
    else:
        print(f"{args.churn} sessions opened and closed: RSS {summary['rss_mb_at_start']} MB at start, "
              f"{summary['rss_mb_after_each'][0]} MB after the first session, then grew {summary['rss_growth_mb']} MB "
              f"(peak +{summary['rss_peak_growth_mb']} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
