"""What every fusion method shares: encoders, presence masks, auxiliary heads."""

from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional, Sequence, Tuple

import torch
from torch import nn

from ..encoders import Encoder, EncoderSpec, create_encoder
from ..errors import InputError

STAGES = ("none", "input", "intermediate", "decision")
Inputs = Mapping[str, torch.Tensor]


@dataclass(frozen=True)
class Lesson:
    """A guided experiment for the Learn page, in terms of signal kinds so it fits any task.

    Attributes:
        text: what to do and what to look for.
        compare: other methods to show beside this one.
        corrupt: (signal kind, corruption, level) settings to apply.
        off: signal kinds to switch off.
    """

    text: str
    compare: Tuple[str, ...] = ()
    corrupt: Tuple[Tuple[str, str, float], ...] = ()
    off: Tuple[str, ...] = ()


@dataclass
class FusionOutput:
    """Everything one forward pass gives training: logits, per-modality aux logits, extra loss."""

    logits: torch.Tensor
    aux_logits: Dict[str, torch.Tensor] = field(default_factory=dict)
    extra_loss: Optional[torch.Tensor] = None


class FusionModel(nn.Module):
    """Base of every fusion method.

    Modalities travel as dicts keyed by name and are always iterated in sorted order. A modality
    is absent for the whole batch when its key is missing from ``inputs`` (its encoder is not
    run), and for single samples where ``present[name]`` is False. A sample with no modality
    present gets all-zero logits: the uniform prediction, "no evidence".

    Subclasses set ``stage`` and ``paper``, the teaching notes (``equation``, ``helps``,
    ``fails``, ``lesson``) and implement ``fuse``.
    """

    stage: str = "intermediate"
    reads: str = "tokens"  # the latest encoder output it can start from: "tokens", or "stem" (fuses inside encoders)
    paper: str = ""
    accepts_pretrained_encoders: bool = True
    equation: str = ""  # LaTeX
    helps: str = ""
    fails: str = ""
    lesson: Optional[Lesson] = None

    @classmethod
    def diagram(cls, modalities: Sequence[str], name: str) -> str:
        """A Graphviz (DOT) sketch of where this method fuses."""
        lines = ["digraph {", "rankdir=LR; node [shape=box, style=rounded, fontsize=11]; edge [arrowsize=0.6];"]
        lines.append('out [label="class\\nprobabilities", shape=ellipse];')
        if cls.stage == "input":
            lines.append(f'joint [label="{name}:\\none joint network", style="rounded,filled", fillcolor="#ffe9b3"];')
        elif cls.stage == "intermediate":
            lines.append(f'fuse [label="{name}", style="rounded,filled", fillcolor="#ffe9b3"]; head [label="classifier"]; fuse -> head -> out;')
        elif cls.stage == "decision":
            lines.append(f'fuse [label="{name}:\\ncombine votes", style="rounded,filled", fillcolor="#ffe9b3"]; fuse -> out;')
        for m in modalities:
            lines.append(f'in_{m} [label="{m}", shape=note];')
            if cls.stage == "input":
                lines.append(f'tok_{m} [label="{m} patches"]; in_{m} -> tok_{m} -> joint;')
            elif cls.stage == "decision":
                lines.append(f'enc_{m} [label="{m} encoder"]; clf_{m} [label="{m} classifier"]; in_{m} -> enc_{m} -> clf_{m} -> fuse;')
            elif cls.stage == "intermediate":
                lines.append(f'enc_{m} [label="{m} encoder"]; in_{m} -> enc_{m} -> fuse;')
            else:
                lines.append(f'enc_{m} [label="{m} encoder"]; clf [label="classifier"]; in_{m} -> enc_{m} -> clf -> out;')
                break
        if cls.stage == "input":
            lines.append("joint -> out;")
        lines.append("}")
        return "\n".join(lines)

    def __init__(self, encoders: Mapping[str, EncoderSpec], num_classes: int, aux_heads: bool = False) -> None:
        super().__init__()
        if not encoders:
            raise InputError("a fusion model needs at least one modality")
        self.modalities: Tuple[str, ...] = tuple(sorted(encoders))
        self.num_classes = num_classes
        self.encoders = nn.ModuleDict({m: self.build_encoder(encoders[m]) for m in self.modalities})
        self.aux_heads = (
            nn.ModuleDict({m: nn.Linear(self.encoders[m].dim, num_classes) for m in self.modalities})
            if aux_heads
            else None
        )

    def build_encoder(self, spec: EncoderSpec) -> Encoder:
        return create_encoder(spec)

    def forward(self, inputs: Inputs, present: Optional[Mapping[str, torch.Tensor]] = None) -> torch.Tensor:
        """Class logits.

        Inputs:
            inputs: modality -> model input (B, ...); a missing key means the modality is off.
            present: optional modality -> bool (B,), False where a sample lacks that modality.
        Returns:
            logits (B, num_classes).
        """
        return self.forward_train(inputs, present).logits

    def forward_train(
        self, inputs: Inputs, present: Optional[Mapping[str, torch.Tensor]] = None, stage: str = "input"
    ) -> FusionOutput:
        """Logits plus what multi-task training needs (aux logits, a method's extra loss).

        ``stage`` says what ``inputs`` are: model inputs ("input"), or, computed once elsewhere for
        frozen encoders, the encoders' stem outputs ("stem") or tokens ("tokens"); ``reads`` is the
        latest a method can start from. The result is the same as from the model inputs.
        """
        mask = self.presence_mask(inputs, present)
        given = {m: inputs[m] for m in self.modalities if m in inputs}
        if not given:  # none of this model's modalities: no evidence at all
            return FusionOutput(mask.new_zeros(mask.shape[0], self.num_classes, dtype=torch.float32))
        logits, tokens = self.run(given, mask, stage)
        logits = torch.where(mask.any(dim=1, keepdim=True), logits, torch.zeros_like(logits))
        aux = {}
        if self.aux_heads is not None:
            aux = {m: self.aux_heads[m](tokens[m].mean(dim=1)) for m in tokens}
        return FusionOutput(logits, aux, self.extra_loss(tokens, mask))

    def presence_mask(self, inputs: Inputs, present: Optional[Mapping[str, torch.Tensor]]) -> torch.Tensor:
        """(B, M) bool over ``self.modalities``: True where a sample has that modality."""
        given = [inputs[m] for m in self.modalities if m in inputs] or list(inputs.values())
        if not given:
            raise InputError("switch on at least one modality")
        batch, device = given[0].shape[0], given[0].device
        columns = []
        for m in self.modalities:
            column = torch.full((batch,), m in inputs, dtype=torch.bool, device=device)
            if present is not None and m in present:
                column = column & present[m].to(device=device, dtype=torch.bool)
            columns.append(column)
        return torch.stack(columns, dim=1)

    def run(self, given: Inputs, mask: torch.Tensor, stage: str = "input") -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """Logits and the tokens auxiliary heads read; methods that fuse inside the encoders override it."""
        tokens = self.encode(given, stage)
        return self.fuse(tokens, mask), tokens

    def encode(self, inputs: Inputs, stage: str = "input") -> Dict[str, torch.Tensor]:
        """modality -> tokens (B, N, dim) for the modalities given, from model inputs, stems or tokens."""
        if stage == "tokens":
            return dict(inputs)
        if stage == "stem":
            return {m: self.encoders[m].head(x) for m, x in inputs.items()}
        return {m: self.encoders[m](x) for m, x in inputs.items()}

    def fuse(self, tokens: Dict[str, torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        """Combine the modalities' tokens into logits (B, num_classes), honouring ``mask``."""
        raise NotImplementedError

    @torch.no_grad()
    def modality_weights(
        self, inputs: Inputs, present: Optional[Mapping[str, torch.Tensor]] = None
    ) -> Optional[Dict[str, torch.Tensor]]:
        """How much the method itself weighs each modality, per sample (B,), where it has such weights.

        Gates, attention and vote weights are the method's own view; Explain's Shapley values
        measure the effect instead. Methods without explicit weights return None.
        """
        return None

    def _tokens_and_mask(self, inputs: Inputs, present: Optional[Mapping[str, torch.Tensor]]):
        mask = self.presence_mask(inputs, present)
        return self.encode({m: inputs[m] for m in self.modalities if m in inputs}), mask

    def extra_loss(self, tokens: Dict[str, torch.Tensor], mask: torch.Tensor) -> Optional[torch.Tensor]:
        """A method's own training loss beside cross-entropy (e.g. aligning a shared space)."""
        return None

    def stacked(self, vectors: Dict[str, torch.Tensor], mask: torch.Tensor, width: int) -> torch.Tensor:
        """modality -> (B, width) as (B, M, width) in ``self.modalities`` order; zeros where unknown.

        The zeros are never read as data: every method masks absent rows with ``mask``.
        """
        batch = mask.shape[0]
        rows = [vectors.get(m, mask.new_zeros(batch, width, dtype=torch.float32)) for m in self.modalities]
        out = torch.stack(rows, dim=1)
        return out * mask.unsqueeze(-1).to(out.dtype)
