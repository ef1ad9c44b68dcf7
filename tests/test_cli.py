"""The command line as a user runs it: real files in, a table out, one-line errors."""

import json
import subprocess
import sys

import pytest

from fusion_core.pretrained import list_pretrained
from fusion_core.samples import digit_png

REPO_ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def run(*args, env_data=None):
    import os

    env = dict(os.environ)
    if env_data:
        env["FUSIONLAB_DATA"] = str(env_data)
    return subprocess.run([sys.executable, "-m", "fusion_core", *args], capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=600)


@pytest.fixture(scope="module")
def pair_files(tmp_path_factory, data_dir):
    out = tmp_path_factory.mktemp("pair")
    result = run("sample", "--row", "7", "--out", str(out), env_data=data_dir)
    assert result.returncode == 0, result.stderr
    return {p.name.rsplit("-", 1)[1].split(".")[0]: p for p in out.iterdir()}


def test_predict_prints_every_model(pair_files):
    result = run("predict", "--task", "digits-av", "--image", str(pair_files["image"]), "--audio", str(pair_files["audio"]), "--device", "cpu")
    assert result.returncode == 0, result.stderr
    for name in list_pretrained("digits-av"):
        assert name in result.stdout


def test_predict_json_with_a_modality_off_and_a_corruption(pair_files):
    result = run(
        "predict", "--image", str(pair_files["image"]), "--audio", str(pair_files["audio"]),
        "--off", "audio", "--corrupt", "image:gaussian_noise=0.3", "--json",
    )
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout)
    label = pair_files["image"].name.split("-")[1]
    assert answers["unimodal-image"]["label"] == label
    assert answers["unimodal-audio"]["confidence"] == pytest.approx(0.1)  # audio off: no evidence


@pytest.mark.parametrize(
    "args, message",
    [
        (["predict", "--image", "/nonexistent.png"], "no such file"),
        (["predict", "--image", __file__], "not an image"),
        (["predict", "--image", "IMG", "--models", "concat,nope"], "unknown model"),
        (["predict", "--image", "IMG", "--corrupt", "image:fog=0.5"], "unknown image corruption"),
        (["predict", "--image", "IMG", "--corrupt", "image:occlusion=2"], "between 0 and 1"),
        (["predict", "--image", "IMG", "--off", "smell"], "no modality 'smell'"),
        (["predict", "--image", "IMG", "--off", "image"], "at least one modality"),
        (["predict", "--task", "nope", "--image", "IMG"], "unknown task"),
        (["train", "--holdout", "theo"], "give --out DIR"),
    ],
)
def test_user_errors_are_one_line(args, message, tmp_path):
    image = tmp_path / "seven.png"
    image.write_bytes(digit_png(7))
    result = run(*[str(image) if a == "IMG" else a for a in args])
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]  # notes (e.g. "audio is off") may come first
    assert last.startswith("error:") and message in last
    assert "Traceback" not in result.stderr


def test_list_names_every_method():
    result = run("list")
    assert result.returncode == 0 and "graph" in result.stdout and "digits-av" in result.stdout


def test_bench_writes_json(tmp_path, data_dir):
    out = tmp_path / "bench.json"
    result = run("bench", "--models", "unimodal-image,concat", "--device", "cpu", "--compare-cpu", "--json", str(out), env_data=data_dir)
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    assert set(report["models"]) == {"unimodal-image", "concat"}
    assert report["models"]["concat"]["throughput_pairs_s"] > 0 and report["preprocessing_ms"]["audio"] > 0
    assert report["compare_cpu"]["models"]["concat"]["cpu_accuracy"] > 99 and "same answer" in result.stdout


def test_missing_data_dir_is_a_clear_error(tmp_path):
    import os

    env = dict(os.environ, FUSIONLAB_DATA=str(tmp_path), FUSIONLAB_DOWNLOAD="0")
    result = subprocess.run([sys.executable, "-m", "fusion_core", "sample"], capture_output=True, text=True, cwd=REPO_ROOT, env=env)
    assert result.returncode == 2 and "FUSIONLAB_DATA" in result.stderr and "Traceback" not in result.stderr


def test_profile_writes_the_decomposition(tmp_path, data_dir):
    """The profile of digits-sum computed into another root, from digits-av's committed baselines."""
    import shutil

    from fusion_core.pretrained import pretrained_root

    shutil.copytree(pretrained_root() / "digits-av", tmp_path / "digits-av")
    result = run("profile", "--task", "digits-sum", "--out", str(tmp_path), "--device", "cpu", env_data=data_dir)
    assert result.returncode == 0, result.stderr
    assert "needs both inputs together" in result.stdout
    profile = json.loads((tmp_path / "digits-sum" / "profile.json").read_text())
    assert profile["bits"]["synergy"] > 3.0 and profile["command"].startswith("python -m fusion_core profile")


def test_predict_on_another_task(pair_files):
    result = run("predict", "--task", "digits-sum", "--image", str(pair_files["image"]), "--audio", str(pair_files["audio"]), "--json")
    assert result.returncode == 0, result.stderr
    assert set(json.loads(result.stdout)) == set(list_pretrained("digits-sum"))
