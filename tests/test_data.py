"""Datasets: verified loading, the documented splits, fixed pairs, clear errors, real download code."""

import hashlib
import http.server
import threading
from functools import partial
from pathlib import Path

import pytest
import torch

from fusion_core.data import download, synth_voices
from fusion_core.data.fsdd import SPEAKERS, list_recordings
from fusion_core.data.mnist import load_mnist_5k, load_mnist_test
from fusion_core.data.typed_digits import HELD_OUT_CONDITIONS, HELD_OUT_FACES
from fusion_core.errors import ChecksumError, DatasetMissingError, InputError
from fusion_core.tasks import get_task
from fusion_core.tasks.digit_pairs import TYPED_TRAINING

TASK = get_task("digits-av")


def test_mnist_sources(data_dir):
    images, labels = load_mnist_test(data_dir)
    assert images.shape == (10000, 28, 28) and images.dtype.name == "uint8"
    assert sorted(set(labels.tolist())) == list(range(10))
    extra, extra_labels = load_mnist_5k()
    assert extra.shape == (5000, 28, 28) and torch.bincount(torch.as_tensor(extra_labels)).tolist() == [500] * 10


def test_fsdd_recordings(data_dir):
    recordings = list_recordings(data_dir)
    assert len(recordings) == 2500 and {r.speaker for r in recordings} == set(SPEAKERS)
    assert sum(r.is_test for r in recordings) == 250


@pytest.mark.parametrize("split, size", [("train", 9000 + TYPED_TRAINING), ("val", 1000), ("test", 5000)])
def test_splits_pair_the_same_digit(data_dir, split, size):
    data = TASK.load(split, data_dir)
    assert len(data) == size
    typed = [i for i in data.ids["image"] if i.startswith("typed-")]
    assert len(typed) == (TYPED_TRAINING if split == "train" else 0)
    assert not any(face in i for i in typed for face in HELD_OUT_FACES)  # the held-out typefaces stay out of training
    assert not any(f"-{condition}-" in i for i in typed for condition in HELD_OUT_CONDITIONS)
    digits = torch.tensor([int(name.split("_")[0]) for name in data.ids["audio"]])
    assert torch.equal(digits, data.labels)
    recorded = [name for name in data.ids["audio"] if "_synth-" not in name]  # synthesised voices: train only
    assert (len(recorded) < len(data.ids["audio"])) == (split == "train" and bool(synth_voices.available_engines()))
    takes = {int(name.split("_")[2]) for name in recorded}
    assert takes <= ({"test": set(range(5)), "val": set(range(5, 10))}.get(split) or set(range(10, 50)))


def test_no_image_or_recording_crosses_splits(data_dir):
    ids = {s: TASK.load(s, data_dir).ids for s in ("train", "val", "test")}
    for m in ("image", "audio"):
        assert not set(ids["test"][m]) & (set(ids["train"][m]) | set(ids["val"][m]))
        assert not set(ids["val"][m]) & set(ids["train"][m])


def test_test_pairs_are_pinned(data_dir):
    """The same test pairs on every machine: their ids hash to a fixed digest."""
    test = TASK.load("test", data_dir)
    listing = "\n".join(f"{a},{b}" for a, b in zip(test.ids["image"], test.ids["audio"]))
    assert hashlib.sha256(listing.encode()).hexdigest()[:16] == PINNED_TEST_DIGEST
    assert test.ids["image"][0] == "t10k-5000"


def test_training_pairs_change_with_the_epoch_seed(data_dir):
    a, b = TASK.load("train", data_dir, seed=0), TASK.load("train", data_dir, seed=1)
    assert a.ids["image"] == b.ids["image"] and a.ids["audio"] != b.ids["audio"]


def test_leave_one_speaker_out(data_dir):
    test = TASK.load("test", data_dir, holdout="theo")
    train = TASK.load("train", data_dir, holdout="theo")
    assert {n.split("_")[1] for n in test.ids["audio"]} == {"theo"}
    assert "theo" not in {n.split("_")[1] for n in train.ids["audio"]}
    with pytest.raises(InputError, match="george"):
        TASK.load("test", data_dir, holdout="nobody")


def test_missing_dataset_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("FUSIONLAB_DOWNLOAD", "0")
    with pytest.raises(DatasetMissingError) as error:
        load_mnist_test.__wrapped__(tmp_path)
    message = str(error.value)
    assert str(tmp_path / "mnist") in message and "FUSIONLAB_DATA" in message
    with pytest.raises(DatasetMissingError, match="fsdd/recordings"):
        list_recordings.__wrapped__(tmp_path)


def test_a_damaged_dataset_file_is_caught(tmp_path):
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz").write_bytes(b"not gzip")
    (tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip")
    with pytest.raises(ChecksumError, match="gzip"):
        load_mnist_test.__wrapped__(tmp_path)


@pytest.fixture
def http_root(tmp_path):
    """A real HTTP server on localhost serving tmp_path."""
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_download_verifies_the_pinned_hash(http_root, tmp_path_factory):
    root, url = http_root
    payload = b"pinned bytes" * 1000
    (root / "file.bin").write_bytes(payload)
    dest = tmp_path_factory.mktemp("cache") / "file.bin"
    good = download.RemoteFile("file.bin", (f"{url}/missing.bin", f"{url}/file.bin"), hashlib.sha256(payload).hexdigest(), len(payload))
    assert download.fetch(good, dest).read_bytes() == payload  # the first mirror 404s, the second serves
    bad = download.RemoteFile("file.bin", (f"{url}/file.bin",), "0" * 64, len(payload))
    dest.unlink()
    with pytest.raises(ChecksumError, match="pinned"):
        download.fetch(bad, dest)
    assert not dest.exists() and not list(dest.parent.iterdir())  # nothing unverified is left behind


def test_download_from_nowhere_is_a_clear_error(tmp_path):
    remote = download.RemoteFile("x.bin", ("http://127.0.0.1:9/x.bin",), "0" * 64, 1)
    with pytest.raises(DatasetMissingError, match="could not download x.bin"):
        download.fetch(remote, tmp_path / "x.bin")


PINNED_TEST_DIGEST = "364d349d3bdc9781"
