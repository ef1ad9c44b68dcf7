"""FiLM: feature-wise linear modulation across modalities."""

from typing import Dict, Mapping, Tuple

import torch
from torch import nn

from ..encoders import EncoderSpec
from . import register_fusion
from .base import FusionModel, Inputs, Lesson
from .concat import with_placeholders
from .layers import masked_mean, mlp, projections


@register_fusion("film")
class FiLMFusion(FusionModel):
    """The other modalities predict a per-channel scale and shift for each encoder's middle layer.

    For every modality m: s_m = stem_m(x_m); c_m = mean of the other present modalities'
    features; s'_m = s_m * (1 + gamma_m(c_m)) + beta_m(c_m); f_m = head_m(s'_m). With no other
    modality present the modulation is the identity. The modulated features are concatenated.
    """

    paper = "Perez et al. 2018, https://arxiv.org/abs/1709.07871"
    reads = "stem"
    equation = r"\gamma_m, \beta_m = g_m(\bar f_{-m}),\quad \tilde s_m = s_m \odot (1 + \gamma_m) + \beta_m,\quad f_m = \mathrm{head}_m(\tilde s_m)"
    helps = "One modality steers how another is read, inside its encoder (as a question steers what to look at in an image)."
    fails = "Needs the conditioning modality to be reliable: a damaged one modulates the other with noise."
    lesson = Lesson("Bury the audio under noise (0.9): its modulation of the image encoder turns to noise, yet the image still carries the answer.", compare=("concat",), corrupt=(("audio", "white_noise", 0.9),))

    def __init__(
        self,
        encoders: Mapping[str, EncoderSpec],
        num_classes: int,
        width: int = 64,
        hidden: int = 128,
        dropout: float = 0.1,
        aux_heads: bool = False,
    ) -> None:
        super().__init__(encoders, num_classes, aux_heads=aux_heads)
        dims = {m: self.encoders[m].dim for m in self.modalities}
        self.width = width
        self.context = projections(dims, width)
        self.film = nn.ModuleDict({m: nn.Linear(width, 2 * self.encoders[m].stem_channels) for m in self.modalities})
        for layer in self.film.values():  # start near the identity modulation, but let gradients through
            nn.init.normal_(layer.weight, std=1e-3)
            nn.init.zeros_(layer.bias)
        self.missing = nn.ParameterDict({m: nn.Parameter(torch.zeros(d)) for m, d in dims.items()})
        self.classifier = mlp(sum(dims.values()), hidden, num_classes, dropout)

    def modulation(self, given: Inputs, mask: torch.Tensor, stage: str = "input") -> Tuple[Dict, Dict, Dict]:
        """Stems, unmodulated tokens and (gamma, beta) per modality."""
        if stage == "tokens":
            raise ValueError("FiLM modulates inside the encoders: give it model inputs or stems, not tokens")
        stems = dict(given) if stage == "stem" else {m: self.encoders[m].stem(x) for m, x in given.items()}
        plain = {m: self.encoders[m].head(s) for m, s in stems.items()}
        contexts = {m: self.context[m](t.mean(dim=1)) for m, t in plain.items()}
        stacked = self.stacked(contexts, mask, self.width)
        params = {}
        for i, m in enumerate(self.modalities):
            if m not in stems:
                continue
            others = mask.clone()
            others[:, i] = False
            has_context = others.any(dim=1, keepdim=True).to(stacked.dtype)
            gamma, beta = self.film[m](masked_mean(stacked, others)).chunk(2, dim=1)
            params[m] = (gamma * has_context, beta * has_context)
        return stems, plain, params

    def run(self, given: Inputs, mask: torch.Tensor, stage: str = "input") -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        stems, plain, params = self.modulation(given, mask, stage)
        features = {}
        for m, stem in stems.items():
            gamma, beta = (p.view(*p.shape, *([1] * (stem.dim() - 2))) for p in params[m])
            features[m] = self.encoders[m].head(stem * (1 + gamma) + beta).mean(dim=1)
        return self.classifier(with_placeholders(self, features, mask)), plain
