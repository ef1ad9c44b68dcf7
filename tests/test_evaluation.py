"""MultiBench's robustness measures on curves whose values are known by hand."""

import pytest

from fusion_core.evaluation import effective_robustness, modality_subsets, relative_robustness


def test_relative_robustness_is_the_area_under_the_curve():
    assert relative_robustness([1.0] * 11) == pytest.approx(1.0)
    assert relative_robustness([1.0 - 0.1 * i for i in range(11)]) == pytest.approx(0.5)
    assert relative_robustness([0.9, 0.1], levels=(0.0, 1.0)) == pytest.approx(0.5)


def test_effective_robustness_compares_drops_not_levels():
    reference = [0.9, 0.8, 0.7]
    assert effective_robustness([0.8, 0.7, 0.6], reference) == pytest.approx(0.0)  # same drop, lower start
    assert effective_robustness([0.9, 0.9, 0.9], reference) == pytest.approx(0.3)
    assert effective_robustness([0.9, 0.7, 0.5], reference) == pytest.approx(-0.3)


def test_modality_subsets():
    assert modality_subsets(["image", "audio"]) == [("audio",), ("image",), ("audio", "image")]
    assert len(modality_subsets(["a", "b", "c"])) == 7
