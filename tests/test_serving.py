"""The model server: a real Ray Serve application on this machine gives the in-process answers.

The Ray tests need the optional extra (requirements-serve.txt, part of requirements-test.txt); the
client's own checks (payloads that carry code, a server that does not answer) need nothing.
"""

import json
import pickle
import socket
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch
from streamlit.testing.v1 import AppTest

from fusion_core.errors import InputError
from fusion_core.explain import explain, modality_shapley
from fusion_core.inference import model_inputs, predict_all
from fusion_core.pretrained import load_zoo
from fusion_core.remote import SERVE_ENV, RemoteZoo, ServingError, pack, unpack
from fusion_core.tasks import get_task
from fusion_core.zoo import probe_signals

from test_app import REPO, TIMEOUT, metric, texts

CONCURRENT = 16


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server_url():
    ray = pytest.importorskip("ray")
    from ray import serve

    from fusion_core.serving import application

    port = free_port()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        serve.start(http_options={"host": "127.0.0.1", "port": port})
        serve.run(application(replicas=1, device="cpu"), name="fusionlab", route_prefix="/")
        yield f"http://127.0.0.1:{port}"
    finally:
        serve.shutdown()
        ray.shutdown()


def cases(task_name: str, count: int):
    """Model inputs of ``count`` probe samples; every third has only its first modality switched on."""
    task = get_task(task_name)
    signals = probe_signals(task, count)
    return task, [
        model_inputs(task, {m: x[i] for m, x in signals.items()}, task.modality_names[:1] if i % 3 == 0 else task.modality_names)
        for i in range(count)
    ]


@pytest.mark.parametrize("task_name", ["digits-av", "shapes-vqa"])
def test_concurrent_predictions_are_batched_and_equal_in_process(server_url, task_name):
    task, inputs = cases(task_name, CONCURRENT)
    zoo = {n: m for n, (m, _) in load_zoo(task_name).items()}
    client = RemoteZoo(server_url)
    with ThreadPoolExecutor(CONCURRENT) as pool:
        served = list(pool.map(lambda x: client.predict(task, x, list(zoo)), inputs))
    for x, answers in zip(inputs, served):
        local = predict_all(task, zoo, x, torch.device("cpu"))
        for name in zoo:
            assert answers[name].label == local[name].label, name
            torch.testing.assert_close(answers[name].probabilities, local[name].probabilities, atol=1e-5, rtol=1e-4)
    with urllib.request.urlopen(f"{server_url}/health") as response:
        health = json.loads(response.read())
    assert task_name in health["tasks_loaded"]
    assert health["largest_batch"] > 1  # concurrent requests shared a forward pass


def test_explanations_equal_in_process(server_url):
    task, inputs = cases("shapes-vqa", 2)
    model = load_zoo("shapes-vqa")["relation"][0]
    served, shapley = RemoteZoo(server_url).explain(task, "relation", inputs[1], "integrated_gradients", {"n_steps": 8})
    local = explain(model, task, inputs[1], "integrated_gradients", {"n_steps": 8})
    for m in local.attributions:
        torch.testing.assert_close(served.attributions[m], local.attributions[m], atol=1e-6, rtol=1e-4)
    assert shapley.values == pytest.approx(modality_shapley(model, inputs[1]).values, abs=1e-6)


def test_a_bad_request_gets_the_message_not_a_crash(server_url):
    task, inputs = cases("digits-av", 1)
    client = RemoteZoo(server_url)
    with pytest.raises(InputError, match="unknown model.*choose from"):
        client.predict(task, inputs[0], ["no-such-method"])
    with pytest.raises(InputError, match="batch size 1"):
        client.predict(task, {m: x.repeat(2, *[1] * (x.dim() - 1)) for m, x in inputs[0].items()}, ["late"])
    request = urllib.request.Request(f"{server_url}/predict", data=b"\x00not a payload")
    with urllib.request.urlopen(request) as response:
        assert "not a FusionLab payload" in unpack(response.read())["error"]


def test_the_playground_uses_the_server_when_the_setting_names_it(server_url, monkeypatch):
    monkeypatch.setenv(SERVE_ENV, server_url)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=TIMEOUT)
    at.query_params["pair"] = "7"
    at.run()
    at.switch_page("pages/playground.py").run()
    assert not at.exception, at.exception
    assert metric(at, "Device") == "model server"
    assert "**late** →" in texts(at)


def test_a_payload_carrying_code_is_refused():
    class Shell:
        def __reduce__(self):
            return (print, ("this ran",))

    with pytest.raises(InputError, match="not a FusionLab payload"):
        unpack(pickle.dumps(Shell()))
    assert unpack(pack({"x": torch.ones(2), "k": ("a", 1)}))["k"] == ("a", 1)


def test_a_server_that_does_not_answer_says_what_to_do():
    task, inputs = cases("digits-av", 1)
    with pytest.raises(ServingError, match=f"does not answer.*unset {SERVE_ENV}"):
        RemoteZoo(f"http://127.0.0.1:{free_port()}", timeout=5).predict(task, inputs[0], ["late"])


def test_torch_threads_are_set_once_from_the_setting(monkeypatch):
    from fusion_core.device import THREADS_ENV, configure_threads

    before = torch.get_num_threads()
    try:
        monkeypatch.setenv(THREADS_ENV, "2")
        assert configure_threads.__wrapped__() == 2 and torch.get_num_threads() == 2
        monkeypatch.setenv(THREADS_ENV, "many")
        with pytest.raises(InputError, match="whole number"):
            configure_threads.__wrapped__()
    finally:
        torch.set_num_threads(before)
