"""Early (input-level) fusion."""

from typing import Dict, Mapping

import torch
from torch import nn

from ..encoders import Encoder, EncoderSpec, create_tokenizer
from . import register_fusion
from .base import FusionModel, Lesson
from .layers import TokenTransformer


@register_fusion("early")
class EarlyFusion(FusionModel):
    """One joint network from the input up: low-level patches/frames of all modalities -> one transformer.

    There are no unimodal encoders: each modality only gets a one-layer tokenizer (image patches,
    groups of spectrogram frames), and everything deeper is shared by all modalities, as in
    single-stream models.
    """

    stage = "input"
    paper = "Snoek et al. 2005, https://doi.org/10.1145/1101149.1101236; ViLT, https://arxiv.org/abs/2102.03334"
    accepts_pretrained_encoders = False
    equation = r"h = \mathrm{Transformer}\big([\mathrm{cls};\, P_1 x_1;\, \dots;\, P_M x_M]\big),\quad \hat{y} = \mathrm{softmax}(W h_{\mathrm{cls}})"
    helps = "Can learn interactions from the lowest level (a stroke with a sound); one network, no separate encoders."
    fails = "Learns everything jointly from scratch: slowest to train, needs the most data, cannot reuse pretrained unimodal encoders."
    lesson = Lesson("Raise the audio's white noise step by step and compare early fusion's confidence with late fusion's: early fusion mixes low-level noise into everything it computes.", compare=("late",), corrupt=(("audio", "white_noise", 0.7),))

    def __init__(
        self,
        encoders: Mapping[str, EncoderSpec],
        num_classes: int,
        width: int = 64,
        depth: int = 2,
        heads: int = 4,
        dropout: float = 0.1,
        aux_heads: bool = False,
    ) -> None:
        self.width = width
        super().__init__(encoders, num_classes, aux_heads=aux_heads)
        dims = {m: width for m in self.modalities}
        self.transformer = TokenTransformer(self.modalities, dims, width, depth, heads, dropout)
        self.classifier = nn.Linear(width, num_classes)

    def build_encoder(self, spec: EncoderSpec) -> Encoder:
        return create_tokenizer(spec, self.width)

    @torch.no_grad()
    def modality_weights(self, inputs, present=None):
        """The share of the [CLS] token's attention (last layer) that goes to each modality's tokens."""
        tokens, mask = self._tokens_and_mask(inputs, present)
        shares = self.transformer.cls_attention(tokens, mask)
        return {m: shares.get(m, torch.zeros(mask.shape[0])) for m in self.modalities}

    def fuse(self, tokens: Dict[str, torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.transformer(tokens, mask))
