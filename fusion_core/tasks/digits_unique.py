"""digits-unique: the label is the image's digit; the recording says an unrelated digit.

The same images and recordings as digits-av, paired independently, so the audio carries no
information about the label (unique information in the image alone). The question it asks of a
fusion method: does it let a useless modality hurt? Data, splits and pairing: ``digit_pairs``.
"""

import torch

from . import register_task
from .digit_pairs import BORROWED_BASELINE_RECIPE, DigitPairs
from .digits_av import DigitsAV


class DigitsUnique(DigitPairs):
    name = "digits-unique"
    title = "Digits: the image decides, the audio is a distraction"
    description = (
        "A handwritten digit and a spoken digit drawn independently of it. The label is the handwritten "
        "digit; the recording says nothing about it."
    )
    rule = "label = the image's digit (the spoken digit is unrelated)"
    lesson = (
        "The recording says an unrelated digit. Late fusion's audio classifier learns to vote for nothing, so"
        " the image alone decides: a useless input does not hurt."
    )
    matched = False
    order = 1
    encoder_source = "digits-av"
    # Every model, the baselines included, reads through digits-av's frozen baseline encoders
    # (this task's own audio baseline cannot learn an encoder: its label is noise to it); the
    # fusion methods train as on digits-av.
    unimodal_recipe = BORROWED_BASELINE_RECIPE
    fusion_recipe = DigitsAV.fusion_recipe
    scratch_recipe = DigitsAV.scratch_recipe

    def label_of(self, image_digit: torch.Tensor, audio_digit: torch.Tensor) -> torch.Tensor:
        return image_digit.clone()


register_task(DigitsUnique())
