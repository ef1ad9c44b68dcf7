"""The partial information decomposition on distributions whose answer is known by hand."""

import itertools

import numpy as np
import pytest

from fusion_core.errors import InputError
from fusion_core.pid import decompose, joint_from_samples, mutual_information

TOLERANCE = 1e-3


def two_bits(rule):
    """x1, x2 independent fair bits and y = rule(x1, x2)."""
    joint = np.zeros((2, 2, 2))
    for a, b in itertools.product((0, 1), (0, 1)):
        joint[a, b, rule(a, b)] += 0.25
    return joint


def check(parts, redundancy, unique_1, unique_2, synergy):
    assert parts.redundancy == pytest.approx(redundancy, abs=TOLERANCE)
    assert parts.unique_1 == pytest.approx(unique_1, abs=TOLERANCE)
    assert parts.unique_2 == pytest.approx(unique_2, abs=TOLERANCE)
    assert parts.synergy == pytest.approx(synergy, abs=TOLERANCE)
    assert parts.redundancy + parts.unique_1 + parts.unique_2 + parts.synergy == pytest.approx(parts.total, abs=TOLERANCE)


def test_xor_is_pure_synergy():
    check(decompose(two_bits(lambda a, b: a ^ b)), 0.0, 0.0, 0.0, 1.0)


def test_a_copied_bit_is_pure_redundancy():
    joint = np.zeros((2, 2, 2))
    joint[0, 0, 0] = joint[1, 1, 1] = 0.5  # x2 = x1, y = x1
    check(decompose(joint), 1.0, 0.0, 0.0, 0.0)


def test_y_equal_to_x1_with_x2_independent_is_unique_to_x1():
    check(decompose(two_bits(lambda a, b: a)), 0.0, 1.0, 0.0, 0.0)
    check(decompose(two_bits(lambda a, b: b)), 0.0, 0.0, 1.0, 0.0)


def test_and_has_the_published_decomposition():
    """Bertschinger et al. 2014: AND gives redundancy 0.311 bits (= I(Y; X1)) and synergy 0.5 bits."""
    parts = decompose(two_bits(lambda a, b: a & b))
    check(parts, 0.3113, 0.0, 0.0, 0.5)
    assert parts.total == pytest.approx(0.8113, abs=TOLERANCE)


def test_ten_valued_rules_like_the_digit_tasks():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 10, 20000), rng.integers(0, 10, 20000)
    summed = decompose(joint_from_samples(a, b, (a + b) % 10))
    assert summed.synergy > 0.97 * summed.total and summed.total == pytest.approx(np.log2(10), abs=0.01)
    same = decompose(joint_from_samples(a, a, a))
    assert same.redundancy == pytest.approx(np.log2(10), abs=0.01)
    unique = decompose(joint_from_samples(a, b, a))
    assert unique.unique_1 > 0.98 * unique.total and unique.unique_2 < 0.01


def test_mutual_information_by_hand():
    assert mutual_information(np.array([[0.5, 0.0], [0.0, 0.5]])) == pytest.approx(1.0)
    assert mutual_information(np.full((2, 2), 0.25)) == pytest.approx(0.0)


def test_bad_input_is_a_clear_error():
    with pytest.raises(InputError, match="3-D"):
        decompose(np.ones((2, 2)))
    with pytest.raises(InputError, match="non-negative"):
        decompose(-np.ones((2, 2, 2)))
    with pytest.raises(InputError, match="same"):
        joint_from_samples([0, 1], [0], [1, 0])
