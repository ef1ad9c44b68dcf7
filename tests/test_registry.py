"""Registries are the single source of truth; unknown names say what the valid ones are."""

import pytest

from fusion_core.augment import AUGMENTATIONS
from fusion_core.corruptions import list_corruptions
from fusion_core.encoders import list_encoders
from fusion_core.errors import UnknownNameError
from fusion_core.fusions import create_fusion, list_fusions
from fusion_core.registry import Registry
from fusion_core.tasks import get_task, list_tasks

REQUIRED_METHODS = {
    "unimodal", "early", "concat", "late", "sum", "product", "gated", "tensor", "lowrank", "film",
    "attention", "shared", "graph",
}


def test_every_method_the_literature_list_asks_for_is_registered():
    assert REQUIRED_METHODS <= set(list_fusions())


def test_methods_are_listed_by_fusion_stage():
    names = list_fusions()
    assert names[0] == "unimodal" and names[1] == "early" and names[-1] == "late"


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(UnknownNameError) as error:
        create_fusion("concatenate", {}, 10)
    assert "concat" in str(error.value) and "graph" in str(error.value)
    with pytest.raises(UnknownNameError, match="digits-av"):
        get_task("digits")


def test_duplicate_registration_is_refused():
    registry = Registry("thing")
    registry.register("a")(object())
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("a")(object())


def test_every_task_modality_has_an_encoder_and_corruptions():
    for name in list_tasks():
        task = get_task(name)
        for modality in task.modalities:
            assert modality.encoder.name in list_encoders()
            assert list_corruptions(modality.kind), f"{modality.kind} has no corruptions"
            assert modality.kind in AUGMENTATIONS


@pytest.mark.parametrize("task_name", list_tasks())
def test_every_modality_has_a_sample_upload_that_loads(task_name):
    """``bench`` times preprocessing on these files, for every task's every modality."""
    from fusion_core.samples import sample_file

    for modality in get_task(task_name).modalities:
        signal = modality.load(sample_file(modality.kind))
        assert tuple(signal.shape) == tuple(modality.signal_shape), (task_name, modality.name)
