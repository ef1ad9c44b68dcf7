"""The app's side of model serving: the same answers, computed by a FusionLab Serve application.

When the setting ``FUSIONLAB_SERVE`` names the address of a running ``fusion_core.serving``
application (``http://host:8000``), the Playground's predictions and the Explain page's
explanations are sent there; without it (the default) everything runs in the app's process.
Requests and replies are tensors and plain values written with ``torch.save`` and read back
with ``torch.load(weights_only=True)``, which loads no code. Only the standard library and torch
are needed here: the app does not need Ray.
"""

import dataclasses
import io
import os
import urllib.error
import urllib.request
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

import torch

from .errors import FusionLabError, InputError
from .explain import Explanation, ModalityShapley
from .inference import Prediction
from .tasks import Task

SERVE_ENV = "FUSIONLAB_SERVE"
TIMEOUT_S = 60.0


class ServingError(FusionLabError):
    """The model server could not be reached or could not answer; the message says what to do."""


def serve_url() -> Optional[str]:
    """The Serve application's address from ``FUSIONLAB_SERVE``, or None to run in-process."""
    url = os.environ.get(SERVE_ENV, "").strip().rstrip("/")
    return url or None


def configured() -> Optional["RemoteZoo"]:
    """A client of the server that ``FUSIONLAB_SERVE`` names, or None: the models run in this process."""
    url = serve_url()
    return RemoteZoo(url) if url else None


def pack(payload: Any) -> bytes:
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def unpack(data: bytes) -> Any:
    """A payload written by ``pack``; anything else (code included) is refused, not run."""
    try:
        return torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
    except Exception as error:  # noqa: BLE001  (a truncated or foreign body)
        raise InputError(f"the request or reply is not a FusionLab payload ({type(error).__name__})") from None


class RemoteZoo:
    """A task-independent client of one Serve application.

    Args:
        url: the application's address, e.g. ``http://127.0.0.1:8000``.
        timeout: seconds to wait for one reply.
    """

    def __init__(self, url: str, timeout: float = TIMEOUT_S) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _post(self, path: str, payload: Mapping[str, Any]) -> Dict[str, Any]:
        request = urllib.request.Request(
            f"{self.url}{path}", data=pack(dict(payload)), headers={"Content-Type": "application/octet-stream"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                reply = unpack(response.read())
        except urllib.error.HTTPError as error:
            raise ServingError(f"the model server at {self.url} answered {error.code} to {path}: {error.read()[:300].decode(errors='replace')}") from None
        except (urllib.error.URLError, OSError) as error:
            raise ServingError(
                f"the model server at {self.url} does not answer ({getattr(error, 'reason', error)}); start it "
                f"(python -m fusion_core.serving) or unset {SERVE_ENV} to run the models in this process"
            ) from None
        if "error" in reply:  # an input the server refused: the same message as in-process
            raise InputError(reply["error"])
        return reply

    def predict(self, task: Task, inputs: Mapping[str, torch.Tensor], models: Sequence[str]) -> Dict[str, Prediction]:
        """Every named model's answer for one sample (model inputs batched as (1, ...))."""
        reply = self._post("/predict", {"task": task.name, "models": list(models), "inputs": {m: x.cpu() for m, x in inputs.items()}})
        return {n: Prediction(n, reply["probabilities"][n], task.labels, reply["seconds"]) for n in models}

    def explain(
        self, task: Task, model: str, inputs: Mapping[str, torch.Tensor], method: str,
        params: Optional[Mapping[str, float]] = None, target: Optional[int] = None,
    ) -> Tuple[Explanation, ModalityShapley]:
        """One model's attributions and modality Shapley values, as ``explain`` and ``modality_shapley`` give them."""
        reply = self._post("/explain", {
            "task": task.name, "model": model, "inputs": {m: x.cpu() for m, x in inputs.items()},
            "method": method, "params": dict(params or {}), "target": target,
        })
        return Explanation(**reply["explanation"]), ModalityShapley(**reply["shapley"])


def explanation_payload(explanation: Explanation, shapley: ModalityShapley) -> Dict[str, Any]:
    """What ``RemoteZoo.explain`` reads back: both results as plain values and tensors."""
    return {"explanation": dataclasses.asdict(explanation), "shapley": dataclasses.asdict(shapley)}
