"""Throughput of the model server: C concurrent clients sending one-sample prediction requests for T seconds.

    python -m fusion_core.serving --port 8000 &          # or deploy/run_local.sh
    .venv/bin/python scripts/bench_serve.py --url http://127.0.0.1:8000 --clients 1,8,32

Reports requests per second, latency p50/p95 and the server's mean batch size per level of concurrency,
and, for comparison, the same requests answered in this process one at a time (predict_all). Every
served answer is checked against the in-process one.
"""

import argparse
import json
import sys
import threading
import time
import urllib.request
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fusion_core.device import configure_threads  # noqa: E402
from fusion_core.inference import model_inputs, predict_all  # noqa: E402
from fusion_core.pretrained import load_zoo  # noqa: E402
from fusion_core.remote import RemoteZoo  # noqa: E402
from fusion_core.tasks import get_task  # noqa: E402
from fusion_core.zoo import probe_signals  # noqa: E402

SAMPLES = 32


def health(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/health") as response:
        return json.loads(response.read())


def run(client: RemoteZoo, task, cases, expected, models, clients: int, seconds: float) -> dict:
    latencies, wrong, lock = [], [0], threading.Lock()
    stop = time.perf_counter() + seconds
    before = health(client.url)

    def worker(offset: int) -> None:
        i = offset
        while time.perf_counter() < stop:
            started = time.perf_counter()
            answers = client.predict(task, cases[i % len(cases)], models)
            took = time.perf_counter() - started
            bad = sum(answers[n].label != expected[i % len(cases)][n] for n in models)
            with lock:
                latencies.append(took)
                wrong[0] += bad
            i += clients

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    after = health(client.url)
    batches = after["batches"] - before["batches"]
    ordered = sorted(latencies)
    return {
        "clients": clients,
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(1000 * ordered[len(ordered) // 2], 1),
        "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 1),
        "mean_batch": round(len(latencies) / batches, 2) if batches else None,
        "wrong_answers": wrong[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--task", default="digits-av")
    parser.add_argument("--clients", default="1,8,32", help="comma-separated levels of concurrency")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    configure_threads()
    task = get_task(args.task)
    zoo = {n: m for n, (m, _) in load_zoo(task.name).items()}
    models = list(zoo)
    signals = probe_signals(task, SAMPLES)
    cases = [model_inputs(task, {m: x[i] for m, x in signals.items()}, task.modality_names) for i in range(SAMPLES)]
    started = time.perf_counter()
    local = [predict_all(task, zoo, c, torch.device("cpu")) for c in cases]
    in_process = len(cases) / (time.perf_counter() - started)
    expected = [{n: p.label for n, p in answers.items()} for answers in local]
    client = RemoteZoo(args.url)
    results = {"task": task.name, "models": len(models), "in_process_requests_per_s": round(in_process, 1), "levels": []}
    print(f"{task.name}, {len(models)} models per request; in this process, one at a time: {in_process:.1f} requests/s")
    print(f"{'clients':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'batch':>6} {'wrong':>6}")
    for clients in (int(c) for c in args.clients.split(",")):
        r = run(client, task, cases, expected, models, clients, args.seconds)
        results["levels"].append(r)
        print(f"{r['clients']:>8} {r['requests_per_s']:>8} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['mean_batch']!s:>6} {r['wrong_answers']:>6}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
