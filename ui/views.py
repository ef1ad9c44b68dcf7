"""How a modality's signal is shown: what the model actually sees."""

import io

import numpy as np
import streamlit as st
import torch

from fusion_core.tasks import Modality

from .charts import image_figure, spectrogram_figure


def show_signal(modality: Modality, signal: torch.Tensor, key: str) -> None:
    """The canonical signal as the model receives it (after preprocessing and corruption)."""
    if modality.kind == "image":
        st.plotly_chart(image_figure(signal, f"{modality.name}: the 28x28 input", height=220), key=f"{key}.img", config={"displayModeBar": False})
    elif modality.kind == "audio":
        features = modality.featurize(signal.unsqueeze(0))[0]
        st.plotly_chart(spectrogram_figure(features, f"{modality.name}: log-mel input", height=200), key=f"{key}.spec", config={"displayModeBar": False})
        st.audio(wav_bytes(signal), format="audio/wav")
    else:
        st.write(signal)


def wav_bytes(wave: torch.Tensor, sample_rate: int = 8000) -> bytes:
    import soundfile as sf

    buffer = io.BytesIO()
    sf.write(buffer, np.clip(wave.numpy(), -1, 1), sample_rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()
