"""A speech encoder pretrained on a large speech corpus, kept frozen: Google's speech embedding.

Lin et al., "Training Keyword Spotters with Limited and Synthesized Speech Data", ICASSP 2020
(https://arxiv.org/abs/2002.01322): a stack of small convolutions over a 16 kHz log-mel spectrogram, trained on
about 200 million clips, that gives a 96-dim embedding per 775 ms window every 80 ms. FSDD has five speakers; an
encoder trained on four hears the fifth as a stranger, and this one has heard thousands.

The weights are the ONNX files openWakeWord 0.4.0 ships (pip package ``openwakeword``, which scripts/setup.sh
installs without its dependencies, pinned by hash): they are read from the installed package, checked against
their sha256 here, translated into PyTorch operations and never written into FusionLab's model files. Licence:
Google published the model under Apache-2.0; openWakeWord's README puts the models its wheel ships under
CC BY-NC-SA 4.0 (non-commercial).
"""

import hashlib
import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import torch
import torchaudio.functional as AF
from torch import nn
from torch.nn import functional as F

from ..errors import DatasetMissingError
from . import register_encoder
from .audio_cnn import FrameTokenizer
from .base import Encoder, conv_block

SAMPLE_RATE = 16000
N_MELS = 32
WINDOW_FRAMES = 76  # log-mel frames (10 ms apart) one embedding reads: 775 ms
STRIDE_FRAMES = 8  # frames between two embeddings: the product of the network's pooling strides over time
EMBEDDING_DIM = 96
FLOOR_DB = 80.0  # the front end floors each spectrogram this far below its peak
PAD_SECONDS = 0.3  # silence either side of a 1 s clip: 11 embeddings instead of 3
PACKAGE = "openwakeword"
FILES = {  # the two models, as openwakeword 0.4.0's wheel ships them
    "melspectrogram.onnx": "ba2b0e0f8b7b875369a2c89cb13360ff53bac436f2895cced9f479fa65eb176f",
    "embedding_model.onnx": "ba754db3cd768a524c655ea90655ee5e6055a43b8dfd29366a11e93716ae9e51",
}
# Every operation the embedding graph holds; a file with any other is not the one pinned above.
_SUPPORTED = {"Pad", "Reshape", "Conv", "Relu", "BatchNormalization", "LeakyRelu", "Max", "MaxPool"}


def weights_path(name: str) -> Path:
    """Where the installed openwakeword package keeps ``name``, after checking its sha256.

    Raises:
        DatasetMissingError: the package is not installed, or its file is not the pinned one.
    """
    spec = importlib.util.find_spec(PACKAGE)  # finds the package without importing it (and its dependencies)
    fix = "run scripts/setup.sh, which installs openwakeword==0.4.0 without its dependencies"
    if spec is None or not spec.submodule_search_locations:
        raise DatasetMissingError(f"the pretrained speech encoder's weights are not installed: {fix}")
    path = Path(list(spec.submodule_search_locations)[0]) / "resources" / "models" / name
    if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != FILES[name]:
        raise DatasetMissingError(f"{path} is missing or is not openwakeword 0.4.0's {name}: {fix}")
    return path


@lru_cache(maxsize=2)
def _graph(name: str) -> Tuple[list, Dict[str, np.ndarray]]:
    import onnx  # only for reading the weights; the model runs in PyTorch
    from onnx import numpy_helper

    model = onnx.load(str(weights_path(name)))
    arrays = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    return list(model.graph.node), arrays


def _attributes(node) -> Dict:
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _frozen(module: nn.Module, **tensors: np.ndarray) -> nn.Module:
    """Register ``tensors`` as buffers that follow ``.to()`` but stay out of state_dict and the optimiser."""
    for name, value in tensors.items():
        module.register_buffer(name, torch.from_numpy(np.array(value, dtype=np.float32)), persistent=False)
    return module


class _Conv(nn.Module):
    def __init__(self, weight: np.ndarray, bias, pads: List[int]) -> None:
        super().__init__()
        _frozen(self, weight=weight, **({"bias": bias} if bias is not None else {}))
        self.has_bias = bias is not None
        top, left, bottom, right = pads
        self.padding = (left, right, top, bottom)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(F.pad(x, self.padding), self.weight, self.bias if self.has_bias else None)


class _BatchNorm(nn.Module):
    """Inference-mode batch norm with fixed statistics: training FusionLab's heads never updates them."""

    def __init__(self, scale, shift, mean, var, eps: float) -> None:
        super().__init__()
        gain = np.asarray(scale) / np.sqrt(np.asarray(var) + eps)
        _frozen(self, gain=gain.reshape(-1, 1, 1), offset=(np.asarray(shift) - np.asarray(mean) * gain).reshape(-1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gain + self.offset


class _Floor(nn.Module):
    def __init__(self, floor: float) -> None:
        super().__init__()
        self.floor = floor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.clamp_min(self.floor)


def _translate(node, arrays: Dict[str, np.ndarray]) -> List[nn.Module]:
    op, attrs = node.op_type, _attributes(node)
    if op == "Pad":  # the graph pads the mel axis of an NHWC input: the same axis of ours, (B, 1, frames, mels)
        pads = arrays[node.input[1]].tolist()
        return [nn.ZeroPad2d((pads[2], pads[6], pads[1], pads[5]))]
    if op == "Reshape":  # layout changes (NHWC <-> NCHW with one channel, and the final flatten): ours needs none
        return []
    if op == "Conv":
        bias = arrays[node.input[2]] if len(node.input) > 2 else None
        return [_Conv(arrays[node.input[1]], bias, list(attrs.get("pads", [0, 0, 0, 0])))]
    if op == "Relu":
        return [nn.ReLU()]
    if op == "BatchNormalization":
        scale, shift, mean, var = (arrays[name] for name in node.input[1:5])
        return [_BatchNorm(scale, shift, mean, var, attrs.get("epsilon", 1e-5))]
    if op == "LeakyRelu":
        return [nn.LeakyReLU(attrs.get("alpha", 0.01))]
    if op == "Max":  # max(x, constant): a floor under every activation
        return [_Floor(float(arrays[node.input[1]].ravel()[0]))]
    if op == "MaxPool":
        return [nn.MaxPool2d(tuple(attrs["kernel_shape"]), tuple(attrs["strides"]))]
    raise ValueError(f"{op} is not an operation of the pinned speech embedding")


def pretrained_network() -> nn.Sequential:
    """The embedding network, frozen: (B, 1, frames, N_MELS) scaled log-mel -> (B, 96, embeddings, 1)."""
    nodes, arrays = _graph("embedding_model.onnx")
    unknown = {n.op_type for n in nodes} - _SUPPORTED
    if unknown:
        raise ValueError(f"embedding_model.onnx holds {sorted(unknown)}: not the pinned speech embedding")
    return nn.Sequential(*[layer for node in nodes for layer in _translate(node, arrays)])


class SpeechFeatures(nn.Module):
    """The embedding's own front end: 16 kHz samples -> (B, N_MELS, frames), as the network was trained on.

    A 512-point STFT every 10 ms (its kernels and the mel filterbank are read from ``melspectrogram.onnx``),
    power in dB floored ``FLOOR_DB`` under each clip's peak, then scaled by 1/10 and shifted by 2 (openWakeWord's
    convention for this network's input).
    """

    def __init__(self) -> None:
        super().__init__()
        nodes, arrays = _graph("melspectrogram.onnx")
        convs = [n for n in nodes if n.op_type == "Conv"]
        matmul = next(n for n in nodes if n.op_type == "MatMul")
        _frozen(self, real=arrays[convs[0].input[1]], imag=arrays[convs[1].input[1]], mel=arrays[matmul.input[1]])
        self.hop = int(_attributes(convs[0])["strides"][0])

    def forward(self, samples: torch.Tensor) -> torch.Tensor:
        """Inputs: samples (B, n) at 16 kHz, in int16 units (full scale 32767). Returns (B, N_MELS, frames)."""
        x = samples.unsqueeze(1)
        power = F.conv1d(x, self.real, stride=self.hop).pow(2) + F.conv1d(x, self.imag, stride=self.hop).pow(2)
        db = 10.0 * torch.log10((power.transpose(1, 2) @ self.mel).clamp_min(1e-10))
        db = torch.maximum(db, db.amax(dim=(1, 2), keepdim=True) - FLOOR_DB)
        return (db / 10.0 + 2.0).transpose(1, 2)


@lru_cache(maxsize=4)
def _front_end(device: str) -> SpeechFeatures:
    return SpeechFeatures().to(device)


def speech_features(waves: torch.Tensor, sample_rate: int) -> torch.Tensor:
    """Canonical clips (B, samples) at ``sample_rate`` -> the embedding's input (B, N_MELS, frames).

    Clips are resampled to 16 kHz and padded with ``PAD_SECONDS`` of silence either side, so that a 1 s clip
    gives 11 windows rather than 3 (a window spans 775 ms).
    """
    with torch.no_grad():
        x = AF.resample(waves, sample_rate, SAMPLE_RATE) if sample_rate != SAMPLE_RATE else waves
        pad = int(PAD_SECONDS * SAMPLE_RATE)
        x = F.pad(x, (pad, pad)) * 32767.0
        return _front_end(str(waves.device))(x)


@register_encoder("speech-embedding")
class SpeechEmbedding(Encoder):
    """The frozen speech embedding as the stem, one trainable conv block over its 96-dim frames as the head.

    Args:
        width: channels of the trainable block and the token dim.
    """

    def __init__(self, width: int = 64) -> None:
        super().__init__()
        self.dim, self.stem_channels = width, EMBEDDING_DIM
        self.pretrained = pretrained_network()
        self.head_layers = conv_block(nn.Conv1d(EMBEDDING_DIM, width, 3, padding=1), width, nn.BatchNorm1d, nn.Identity())

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        """Inputs: x (B, N_MELS, frames) from ``speech_features``. Returns (B, 96, embeddings)."""
        return self.pretrained(x.transpose(1, 2).unsqueeze(1)).flatten(2)

    def head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head_layers(features).transpose(1, 2)

    @classmethod
    def tokenizer(cls, token_width: int, width: int = 64) -> Encoder:
        """Early fusion's tokenizer of the same spectrogram, trained from scratch: nothing pretrained below fusion."""
        return FrameTokenizer(N_MELS, token_width)
