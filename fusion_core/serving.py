"""The zoo as a Ray Serve application: model replicas, dynamic batching, predictions and explanations.

One deployment, ``FusionLabServer``, holds every task's zoo (loaded on first use, read-only) and
answers two routes: ``POST /predict`` (one sample's model inputs -> every named model's
probabilities) and ``POST /explain`` (one model's attributions and modality Shapley values).
Predictions from concurrent requests are gathered by ``@serve.batch`` into one batch per task and
set of modalities, and each distinct encoder runs once for the whole batch (``ZooRunner``).
Bodies are ``fusion_core.remote`` payloads; the app sends them when ``FUSIONLAB_SERVE`` names this
application's address.

    pip install -r requirements-serve.txt
    python -m fusion_core.serving --replicas 2 --port 8000      # then: FUSIONLAB_SERVE=http://127.0.0.1:8000

Ray is an optional extra: nothing else in FusionLab imports this module.
"""

import argparse
import logging
import time
from typing import Any, Dict, List, Mapping, Tuple

import torch
from fastapi import FastAPI, Request, Response
from ray import serve

from .device import pick_device
from .errors import FusionLabError, InputError
from .explain import explain, modality_shapley
from .pretrained import load_zoo
from .remote import explanation_payload, pack, unpack
from .runner import ZooRunner
from .tasks import get_task

log = logging.getLogger(__name__)
MAX_BATCH = 32
BATCH_WAIT_S = 0.005  # how long a request waits for others to share its batch
api = FastAPI(title="FusionLab model server")


def _binary(payload: Mapping[str, Any]) -> Response:
    return Response(pack(dict(payload)), media_type="application/octet-stream")


@serve.deployment(ray_actor_options={"num_cpus": 1}, max_ongoing_requests=64)
@serve.ingress(api)
class FusionLabServer:
    """Every task's zoo in one replica; torch runs ``threads`` intra-op threads (set once, here)."""

    def __init__(self, device: str = "auto", threads: int = 1) -> None:
        torch.set_num_threads(threads)
        self.device = pick_device(device)
        self.runners: Dict[str, ZooRunner] = {}
        self.batches: List[int] = []  # sizes of the batches run, for the /health report

    def runner(self, task_name: str) -> ZooRunner:
        if task_name not in self.runners:
            get_task(task_name)  # an unknown name raises its message here
            models = {n: m.requires_grad_(False).eval() for n, (m, _) in load_zoo(task_name, self.device.type).items()}
            self.runners[task_name] = ZooRunner(models)
        return self.runners[task_name]

    @api.get("/health")
    def health(self) -> Dict[str, Any]:
        recent = self.batches[-1000:]
        return {"device": self.device.type, "tasks_loaded": sorted(self.runners), "batches": len(self.batches),
                "mean_batch": sum(recent) / len(recent) if recent else 0.0, "largest_batch": max(recent, default=0)}

    @api.post("/predict")
    async def predict(self, request: Request) -> Response:
        try:
            body = unpack(await request.body())
            self._check(body)
            return _binary(await self.batched(body))
        except FusionLabError as error:
            return _binary({"error": str(error)})

    @serve.batch(max_batch_size=MAX_BATCH, batch_wait_timeout_s=BATCH_WAIT_S)
    async def batched(self, bodies: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """Many requests' samples in one forward pass per (task, modalities, shapes) group."""
        self.batches.append(len(bodies))
        groups: Dict[Tuple, List[int]] = {}
        for i, body in enumerate(bodies):
            key = (body["task"], tuple(sorted((m, tuple(x.shape[1:])) for m, x in body["inputs"].items())))
            groups.setdefault(key, []).append(i)
        replies: List[Dict[str, Any]] = [{} for _ in bodies]
        for (task_name, layout), rows in groups.items():
            started = time.perf_counter()
            inputs = {m: torch.cat([bodies[i]["inputs"][m] for i in rows]).to(self.device) for m, _ in layout}
            with torch.inference_mode():
                logits = self.runner(task_name).logits(inputs)
            seconds = time.perf_counter() - started
            for row, i in enumerate(rows):
                replies[i] = {
                    "probabilities": {n: torch.softmax(logits[n][row].float(), -1).cpu() for n in bodies[i]["models"]},
                    "seconds": seconds,
                    "batch": len(rows),
                }
        return replies

    @api.post("/explain")
    async def explain(self, request: Request) -> Response:
        try:
            body = unpack(await request.body())
            self._check(body, several=False)
            model = self.runner(body["task"]).models[body["model"]]
            inputs = {m: x.to(self.device) for m, x in body["inputs"].items()}
            task = get_task(body["task"])
            explanation = explain(model, task, inputs, body["method"], body["params"], body["target"])
            return _binary(explanation_payload(explanation, modality_shapley(model, inputs, body["target"])))
        except FusionLabError as error:
            return _binary({"error": str(error)})

    def _check(self, body: Any, several: bool = True) -> None:
        """A request names a known task, known models and tensors of batch 1; else an InputError (answered, not raised)."""
        if not isinstance(body, dict) or not isinstance(body.get("inputs"), dict) or not body["inputs"]:
            raise InputError("a request needs 'task', the model names and 'inputs' (modality -> tensor)")
        task = get_task(str(body.get("task")))
        names = body.get("models", []) if several else [body.get("model")]
        known = self.runner(task.name).models
        unknown = [str(n) for n in names if n not in known]
        if unknown or not names:
            raise InputError(f"unknown model(s) {', '.join(unknown) or '(none named)'}; choose from: {', '.join(known)}")
        for m, x in body["inputs"].items():
            task.modality(m)
            if not isinstance(x, torch.Tensor) or x.dim() < 1 or x.shape[0] != 1:
                raise InputError(f"{m}: send one sample's model input as a tensor of batch size 1")


def application(replicas: int = 1, device: str = "auto", threads: int = 1) -> serve.Application:
    """The deployment with ``replicas`` copies of the zoo, ready for ``serve.run``."""
    return FusionLabServer.options(num_replicas=replicas).bind(device=device, threads=threads)


def main(argv=None) -> None:
    import ray

    parser = argparse.ArgumentParser(prog="python -m fusion_core.serving", description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads per replica")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--num-cpus", type=int, help="CPUs Ray may use (default: all)")
    args = parser.parse_args(argv)
    ray.init(num_cpus=args.num_cpus, include_dashboard=False)
    serve.start(http_options={"host": args.host, "port": args.port})
    serve.run(application(args.replicas, args.device, args.threads), name="fusionlab", route_prefix="/", blocking=True)


if __name__ == "__main__":
    main()
