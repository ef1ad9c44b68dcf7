"""Many models on the same inputs, each distinct encoder run once.

Most fusion methods of a zoo read through the same frozen baseline encoders. Running every model
on its own repeats that work for each of them; a ``ZooRunner`` runs each distinct encoder once per
input (encoders are told apart by a digest of their weights) and hands its tokens, or its stem for
a method that fuses inside the encoders, to every model that shares it. The answers are those of
running each model alone (a test checks it).
"""

import hashlib
from typing import Dict, Mapping, Optional, Tuple

import torch

from .batch import Batch
from .fusions import FusionModel


def encoder_digest(encoder: torch.nn.Module) -> str:
    """A fingerprint of an encoder's weights and buffers: equal digests, equal stems."""
    digest = hashlib.sha256()
    for name, tensor in encoder.state_dict().items():
        digest.update(name.encode() + tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


class ZooRunner:
    """Runs read-only models together, sharing the stems of identical encoders.

    Args:
        models: name -> model, in eval mode and not changed while the runner is in use (the
            digests are taken once, here).
    """

    def __init__(self, models: Mapping[str, FusionModel]) -> None:
        self.models = dict(models)
        self.digests = {name: {m: encoder_digest(e) for m, e in model.encoders.items()} for name, model in self.models.items()}

    @property
    def distinct_encoders(self) -> int:
        return len({(m, d) for digests in self.digests.values() for m, d in digests.items()})

    @torch.inference_mode()
    def encode(self, inputs: Mapping[str, torch.Tensor]) -> Dict[Tuple[str, str, str], torch.Tensor]:
        """(modality, encoder digest, stage) -> encoder output, once per distinct encoder.

        "stem" outputs for every distinct encoder, and "tokens" (its head on that stem) for those
        a model reads tokens from; inputs: modality -> (B, ...).
        """
        out: Dict[Tuple[str, str, str], torch.Tensor] = {}
        for name, model in self.models.items():
            for m in model.modalities:
                if m not in inputs:
                    continue
                digest = self.digests[name][m]
                stem = out.get((m, digest, "stem"))
                if stem is None:
                    stem = out[(m, digest, "stem")] = model.encoders[m].stem(inputs[m])
                if model.reads == "tokens" and (m, digest, "tokens") not in out:
                    out[(m, digest, "tokens")] = model.encoders[m].head(stem)
        return out

    @torch.inference_mode()
    def from_encoded(
        self,
        encoded: Mapping[Tuple[str, str, str], torch.Tensor],
        present: Optional[Mapping[str, torch.Tensor]] = None,
        like: Optional[torch.Tensor] = None,
    ) -> Dict[str, torch.Tensor]:
        """name -> logits (B, classes) from ``encode``'s output; a model none of whose inputs is there gets zeros (no evidence).

        ``like``: an input whose batch size and device the zeros take when no model read any input (``encoded`` empty).
        """
        first = next(iter(encoded.values()), like)
        if first is None:
            raise ValueError("no inputs to predict from")
        out = {}
        for name, model in self.models.items():
            given = {m: encoded[(m, d, model.reads)] for m, d in self.digests[name].items() if (m, d, model.reads) in encoded}
            if not given:
                out[name] = torch.zeros(first.shape[0], model.num_classes, device=first.device)
                continue
            out[name] = model.forward_train(given, present, model.reads).logits
        return out

    def logits(
        self, inputs: Mapping[str, torch.Tensor], present: Optional[Mapping[str, torch.Tensor]] = None
    ) -> Dict[str, torch.Tensor]:
        """name -> logits (B, classes) for inputs (modality -> (B, ...)) already on the models' device."""
        return self.from_encoded(self.encode(inputs), present, like=next(iter(inputs.values()), None))

    def predict(self, batch: Batch, device: torch.device, batch_size: int = 1000) -> Dict[str, torch.Tensor]:
        """name -> logits for every sample of ``batch`` (on the CPU), in chunks."""
        parts: Dict[str, list] = {name: [] for name in self.models}
        for start in range(0, len(batch), batch_size):
            chunk = batch.rows(torch.arange(start, min(start + batch_size, len(batch)))).to(device)
            for name, logits in self.logits(chunk.inputs, chunk.present).items():
                parts[name].append(logits.float().cpu())
        return {name: torch.cat(p) for name, p in parts.items()}
