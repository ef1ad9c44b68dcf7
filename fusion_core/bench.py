"""Speed of the zoo: single-pair latency, batch throughput and preprocessing time, CPU and CUDA; and
whether a GPU gives the CPU's answers."""

import statistics
import time
from typing import Callable, Dict, List, Mapping

import torch

from .batch import Batch
from .device import describe_device
from .fusions import FusionModel
from .runner import ZooRunner
from .samples import sample_file
from .tasks import Task
from .zoo import probe_signals

WARMUP = 10
LATENCY_RUNS = 100
THROUGHPUT_BATCH = 256
THROUGHPUT_RUNS = 10
PREPROCESS_RUNS = 20


def timings(fn: Callable[[], object], runs: int, device: torch.device, warmup: int = WARMUP) -> List[float]:
    """Wall-clock seconds of ``runs`` calls after ``warmup`` calls, synchronising CUDA."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        out.append(time.perf_counter() - start)
    return out


def model_speed(model: FusionModel, inputs: Mapping[str, torch.Tensor], device: torch.device) -> Dict[str, float]:
    """Median single-pair latency (ms) and batch-256 throughput (pairs/s) of one model."""
    model = model.to(device).eval()
    single = {m: x[:1].to(device) for m, x in inputs.items()}
    batch = {m: x[:1].expand(THROUGHPUT_BATCH, *x.shape[1:]).contiguous().to(device) for m, x in inputs.items()}
    with torch.inference_mode():
        latency = timings(lambda: model(single), LATENCY_RUNS, device)
        throughput = timings(lambda: model(batch), THROUGHPUT_RUNS, device, warmup=2)
    return {
        "latency_ms": round(1000 * statistics.median(latency), 3),
        "latency_p90_ms": round(1000 * sorted(latency)[int(0.9 * len(latency))], 3),
        "throughput_pairs_s": round(THROUGHPUT_BATCH / statistics.median(throughput), 1),
    }


def preprocessing_speed(task: Task) -> Dict[str, float]:
    """Median ms from an uploaded file's bytes to the model input, per modality."""
    out = {}
    for modality in task.modalities:
        data = sample_file(modality.kind)

        def run() -> torch.Tensor:
            return modality.featurize(modality.load(data).unsqueeze(0))

        out[modality.name] = round(1000 * statistics.median(timings(run, PREPROCESS_RUNS, torch.device("cpu"), 3)), 3)
    return out


def bench_models(task: Task, models: Mapping[str, FusionModel], device: torch.device) -> Dict:
    """Everything ``python -m fusion_core bench`` reports, as a JSON-ready dict."""
    inputs = task.featurize(probe_signals(task, 1))
    per_model = {}
    for name, model in models.items():
        per_model[name] = {"parameters": sum(p.numel() for p in model.parameters()), **model_speed(model, inputs, device)}
    return {
        "task": task.name,
        "device": describe_device(device),
        "torch": torch.__version__,
        "models": per_model,
        "all_models_one_pair_ms": round(sum(m["latency_ms"] for m in per_model.values()), 2),
        "preprocessing_ms": preprocessing_speed(task),
    }


def _split_pass(models: Mapping[str, FusionModel], batch: Batch, device: torch.device) -> Dict:
    """Every model over ``batch`` on ``device`` (shared encoders run once): logits and wall seconds."""
    runner = ZooRunner({n: m.to(device).eval() for n, m in models.items()})
    runner.predict(batch.rows(torch.arange(min(len(batch), 64))), device)  # warm-up: kernels, allocator
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    logits = runner.predict(batch, device)
    return {"logits": logits, "seconds": time.perf_counter() - start}


def compare_with_cpu(models: Mapping[str, FusionModel], batch: Batch, device: torch.device) -> Dict:
    """The zoo's answers on ``batch`` on ``device`` against the same models' on the CPU.

    Per model: accuracy on each, the share of samples whose answer (arg max) is the same, and the
    largest gap between the two softmax outputs; and the seconds each took for the whole batch.
    """
    cpu = _split_pass(models, batch, torch.device("cpu"))
    other = _split_pass(models, batch, device)
    per_model = {}
    for name in models:
        a, b = cpu["logits"][name], other["logits"][name]
        per_model[name] = {
            "cpu_accuracy": round(100 * float((a.argmax(1) == batch.labels).float().mean()), 2),
            "accuracy": round(100 * float((b.argmax(1) == batch.labels).float().mean()), 2),
            "same_answer": round(100 * float((a.argmax(1) == b.argmax(1)).float().mean()), 3),
            "max_probability_gap": float((a.softmax(1) - b.softmax(1)).abs().max()),
        }
    for model in models.values():
        model.to(device)
    return {
        "device": describe_device(device),
        "samples": len(batch),
        "cpu_seconds": round(cpu["seconds"], 3),
        "seconds": round(other["seconds"], 3),
        "models": per_model,
    }
