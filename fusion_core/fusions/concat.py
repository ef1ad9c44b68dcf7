"""Feature concatenation, the most common intermediate fusion."""

from typing import Dict, Mapping

import torch
from torch import nn

from ..encoders import EncoderSpec
from . import register_fusion
from .base import FusionModel, Lesson
from .layers import mlp, pooled


@register_fusion("concat")
class ConcatFusion(FusionModel):
    """Concatenate the modalities' feature vectors and classify them with an MLP.

    An absent modality's slot holds a learned placeholder vector, not zeros posing as data.
    """

    paper = "Baltrusaitis et al. 2019, https://arxiv.org/abs/1705.09406"
    equation = r"h = [f_1; f_2; \dots; f_M],\quad \hat{y} = \mathrm{softmax}(\mathrm{MLP}(h))"
    helps = "Simple and strong: the MLP can weigh and combine any features of all modalities."
    fails = "Grows with the number of modalities; interactions must be learned by the MLP; an absent modality needs a placeholder."
    lesson = Lesson("Switch the audio off: the learned placeholder fills its slot and the answer comes from the image alone.", compare=("unimodal-image",), off=("audio",))

    def __init__(
        self,
        encoders: Mapping[str, EncoderSpec],
        num_classes: int,
        hidden: int = 128,
        dropout: float = 0.1,
        aux_heads: bool = False,
    ) -> None:
        super().__init__(encoders, num_classes, aux_heads=aux_heads)
        dims = {m: self.encoders[m].dim for m in self.modalities}
        self.missing = nn.ParameterDict({m: nn.Parameter(torch.zeros(d)) for m, d in dims.items()})
        self.classifier = mlp(sum(dims.values()), hidden, num_classes, dropout)

    def fuse(self, tokens: Dict[str, torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        return self.classifier(with_placeholders(self, pooled(tokens), mask))


def with_placeholders(model: nn.Module, features: Dict[str, torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
    """[f_1; ...; f_M] with ``model.missing[m]`` wherever modality m is absent."""
    parts = []
    for i, m in enumerate(model.modalities):
        placeholder = model.missing[m].expand(mask.shape[0], -1)
        feature = features.get(m, placeholder)
        parts.append(torch.where(mask[:, i : i + 1], feature, placeholder))
    return torch.cat(parts, dim=1)
