"""The pretrained speech embedding: the same numbers as its ONNX files, frozen, and a clear message without them."""

import numpy as np
import pytest
import torch

from fusion_core.encoders import EncoderSpec, create_encoder, create_tokenizer
from fusion_core.encoders import speech_embedding as se
from fusion_core.errors import DatasetMissingError


def _reference(name: str, **inputs: np.ndarray) -> np.ndarray:
    """What the pinned ONNX file computes in ONNX Runtime, the runtime openWakeWord runs it with.

    Not onnx's pure-Python ReferenceEvaluator: its BatchNormalization gives this graph's first block values up to
    0.8 away from (x - mean) / sqrt(var + eps) * scale + bias, where ONNX Runtime agrees with the formula to 1e-6.
    """
    import onnxruntime

    session = onnxruntime.InferenceSession(str(se.weights_path(name)), providers=["CPUExecutionProvider"])
    return session.run(None, inputs)[0]


@pytest.fixture(scope="module")
def clip() -> torch.Tensor:
    """A 1 s, 8 kHz clip with speech-like structure: a gliding harmonic tone in noise."""
    generator = torch.Generator().manual_seed(0)
    t = torch.arange(8000) / 8000.0
    f0 = 140.0 + 60.0 * t
    tone = sum(torch.sin(2 * np.pi * k * torch.cumsum(f0, 0) / 8000.0) / k for k in range(1, 6))
    return (0.1 * tone * torch.hann_window(8000) + 0.003 * torch.randn(8000, generator=generator))[None]


def test_front_end_matches_the_onnx_melspectrogram(clip):
    features = se.speech_features(clip, 8000)  # (1, 32, frames)
    pad = int(se.PAD_SECONDS * se.SAMPLE_RATE)
    samples = torch.nn.functional.pad(se.AF.resample(clip, 8000, 16000), (pad, pad)) * 32767.0
    reference = _reference("melspectrogram.onnx", input=samples.numpy())[0, 0] / 10 + 2  # (frames, 32)
    assert features.shape == (1, se.N_MELS, reference.shape[0]) == (1, 32, 157)
    np.testing.assert_allclose(features[0].T.numpy(), reference, atol=1e-4)


def test_each_embedding_matches_the_onnx_network_on_its_window(clip):
    encoder = create_encoder(EncoderSpec("speech-embedding", {"width": 16})).eval()
    features = se.speech_features(clip, 8000)
    with torch.no_grad():
        stem = encoder.stem(features)  # the whole clip at once: (1, 96, windows)
    starts = range(0, features.shape[-1] - se.WINDOW_FRAMES + 1, se.STRIDE_FRAMES)
    assert stem.shape == (1, se.EMBEDDING_DIM, len(starts)) == (1, 96, 11)
    for k in (0, 5, 10):
        window = features[0, :, starts[k] : starts[k] + se.WINDOW_FRAMES].T.numpy()[None, :, :, None]
        reference = _reference("embedding_model.onnx", input_1=window.astype(np.float32)).ravel()
        np.testing.assert_allclose(stem[0, :, k].numpy(), reference, rtol=1e-3, atol=1e-3 * np.abs(reference).max())


def test_only_the_head_trains_and_only_the_head_is_saved(clip):
    encoder = create_encoder(EncoderSpec("speech-embedding", {"width": 16}))
    frozen = {name: b.clone() for name, b in encoder.named_buffers() if name.startswith("pretrained")}
    assert frozen and all(k.startswith("head_layers") for k in encoder.state_dict())
    head = encoder.head_layers[0].weight.clone()
    optimizer = torch.optim.SGD(encoder.parameters(), lr=0.1)
    features = se.speech_features(clip.repeat(4, 1), 8000).requires_grad_(True)
    tokens = encoder(features)
    assert tokens.shape == (4, 11, 16)
    tokens.pow(2).mean().backward()
    assert features.grad is not None and features.grad.abs().sum() > 0  # attributions reach the spectrogram
    optimizer.step()
    assert not torch.equal(head, encoder.head_layers[0].weight)
    assert all(torch.equal(b, frozen[name]) for name, b in encoder.named_buffers() if name in frozen)


def test_early_fusion_tokenizes_the_same_spectrogram(clip):
    tokenizer = create_tokenizer(EncoderSpec("speech-embedding", {"width": 64}), width=24)
    tokens = tokenizer(se.speech_features(clip.repeat(2, 1), 8000))
    assert tokens.shape == (2, 157 // 4, 24) and torch.isfinite(tokens).all()


def test_missing_or_altered_weights_say_how_to_install_them(monkeypatch):
    monkeypatch.setattr(se.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DatasetMissingError, match="scripts/setup.sh"):
        se.weights_path("embedding_model.onnx")
    monkeypatch.undo()
    monkeypatch.setitem(se.FILES, "embedding_model.onnx", "0" * 64)
    with pytest.raises(DatasetMissingError, match="not openwakeword 0.4.0's embedding_model.onnx"):
        se.weights_path("embedding_model.onnx")
