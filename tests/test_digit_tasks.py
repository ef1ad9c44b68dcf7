"""The digit tasks' labelling rules, recomputed from the images' and recordings' own digits."""

import hashlib

import pytest
import torch

from fusion_core.data.mnist import load_mnist_5k, load_mnist_test
from fusion_core.data.typed_digits import training_set
from fusion_core.tasks import get_task, list_tasks
from fusion_core.tasks.digit_pairs import TYPED_TRAINING

DIGIT_TASKS = [n for n in list_tasks() if get_task(n).family == "digit pairs"]
# Each rule written out again here, independently of the tasks' code.
RULES = {
    "digits-av": lambda image, spoken: image,
    "digits-unique": lambda image, spoken: image,
    "digits-sum": lambda image, spoken: (image + spoken) % 10,
}
PINNED = {"digits-av": "364d349d3bdc9781", "digits-unique": "881512c2682b2448", "digits-sum": "881512c2682b2448"}


def own_digits(data, data_dir):
    """The digit each sample's image shows (MNIST's label, or the typed digit's generator record) and its
    recording says (FSDD's file name). Image ids end in their row of the source they name."""
    _, test_labels = load_mnist_test(data_dir)
    _, extra_labels = load_mnist_5k()
    source = {"t10k": test_labels, "mnist5k": extra_labels}
    if any(i.startswith("typed-") for i in data.ids["image"]):
        source["typed"] = [sample.digit for sample in training_set(TYPED_TRAINING)]
    image = [int(source[i.split("-", 1)[0]][int(i.rsplit("-", 1)[1])]) for i in data.ids["image"]]
    spoken = [int(name.split("_")[0]) for name in data.ids["audio"]]
    return torch.tensor(image), torch.tensor(spoken)


def test_the_three_rules_are_registered_in_order():
    assert DIGIT_TASKS == ["digits-av", "digits-unique", "digits-sum"]
    assert set(RULES) == set(DIGIT_TASKS)


@pytest.mark.parametrize("task_name", DIGIT_TASKS)
@pytest.mark.parametrize("split, seed", [("test", 0), ("val", 0), ("train", 0), ("train", 5)])
def test_labels_follow_the_rule(task_name, split, seed, data_dir):
    data = get_task(task_name).load(split, data_dir, seed=seed)
    image, spoken = own_digits(data, data_dir)
    assert torch.equal(data.labels, RULES[task_name](image, spoken))
    if task_name == "digits-av":
        assert torch.equal(image, spoken)


@pytest.mark.parametrize("task_name", DIGIT_TASKS)
def test_test_pairs_are_fixed(task_name, data_dir):
    """The same test pairs on every machine, without a random generator: their ids hash to a pinned digest."""
    test = get_task(task_name).load("test", data_dir)
    listing = "\n".join(f"{a},{b}" for a, b in zip(test.ids["image"], test.ids["audio"]))
    assert hashlib.sha256(listing.encode()).hexdigest()[:16] == PINNED[task_name]


@pytest.mark.parametrize("task_name", ["digits-unique", "digits-sum"])
def test_independent_pairs_cover_every_combination_many_times(task_name, data_dir):
    test = get_task(task_name).load("test", data_dir)
    image, spoken = own_digits(test, data_dir)
    combinations = torch.bincount(10 * image + spoken, minlength=100)
    assert int(combinations.min()) >= 40 and int(combinations.max()) <= 60
    # Neither input alone says anything about a sum: every label is about equally likely given one digit.
    if task_name == "digits-sum":
        for digit in range(10):
            for given in (image, spoken):
                counts = torch.bincount(test.labels[given == digit], minlength=10)
                assert int(counts.min()) >= 40, (digit, counts.tolist())


def test_training_pairs_are_redrawn_each_epoch(data_dir):
    task = get_task("digits-sum")
    a, b = task.load("train", data_dir, seed=0), task.load("train", data_dir, seed=1)
    assert a.ids["image"] == b.ids["image"] and a.ids["audio"] != b.ids["audio"]
    assert task.load("train", data_dir, seed=0).ids["audio"] == a.ids["audio"]
    _, spoken = own_digits(a, data_dir)
    assert int(torch.bincount(spoken, minlength=10).min()) > 700  # uniform over 0-9, 9,000 pairs


def test_the_independent_tasks_share_their_pairs(data_dir):
    unique, summed = (get_task(n).load("test", data_dir) for n in ("digits-unique", "digits-sum"))
    assert unique.ids == summed.ids and not torch.equal(unique.labels, summed.labels)


@pytest.mark.parametrize("task_name", ["digits-unique", "digits-sum"])
def test_leave_one_speaker_out(task_name, data_dir):
    task = get_task(task_name)
    test, train = task.load("test", data_dir, holdout="george"), task.load("train", data_dir, holdout="george")
    assert {n.split("_")[1] for n in test.ids["audio"]} == {"george"}
    assert "george" not in {n.split("_")[1] for n in train.ids["audio"]}
    image, spoken = own_digits(test, data_dir)
    assert torch.equal(test.labels, RULES[task_name](image, spoken))


def test_borrowing_tasks_name_their_encoder_source():
    assert get_task("digits-av").encoders_from == "digits-av"
    for name in ("digits-unique", "digits-sum"):
        assert get_task(name).encoders_from == "digits-av"
