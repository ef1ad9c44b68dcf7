"""How things are shown: a modality's signal as the model sees it, a task's information profile."""

import io

import numpy as np
import streamlit as st
import torch

from fusion_core.explain import heatmap
from fusion_core.profile import meaning, read_profile
from fusion_core.tasks import Modality

from .charts import attribution_png, attribution_scale, image_png, profile_figure, scene_png, spectrogram_png, token_highlights


def show_signal(modality: Modality, signal: torch.Tensor) -> None:
    """The canonical signal as the model receives it (after preprocessing and corruption)."""
    if modality.kind == "image":
        st.image(image_png(signal), caption=f"{modality.name}: the {signal.shape[-2]}x{signal.shape[-1]} input")
    elif modality.kind == "audio":
        features = modality.featurize(signal.unsqueeze(0))[0]
        st.image(spectrogram_png(features), caption=f"{modality.name}: log-mel input ({features.shape[0]} mel bands, low at the bottom; 1 s)")
        st.audio(wav_bytes(signal), format="audio/wav")
    elif modality.kind == "scene":
        st.image(scene_png(signal), caption=f"{modality.name}: the {signal.shape[-1]}x{signal.shape[-1]} input")
    elif modality.kind == "text" and modality.to_text is not None:
        words = modality.to_text(signal)
        st.markdown(f"**{modality.name}, as the model reads it:** {words or '(no words)'}")
    else:
        st.write(signal)


def wav_bytes(wave: torch.Tensor, sample_rate: int = 8000) -> bytes:
    import soundfile as sf

    buffer = io.BytesIO()
    sf.write(buffer, np.clip(wave.numpy(), -1, 1), sample_rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def show_profile(task_name: str, key: str) -> None:
    """The task's information profile: a small chart of its PID terms and one line on what it means."""
    profile = read_profile(task_name)
    if profile is None:
        st.caption(f"No information profile yet: run `python -m fusion_core profile --task {task_name}`.")
        return
    bits = profile["bits"]
    terms = {"redundancy": bits["redundancy"], **{f"unique: {m}": v for m, v in bits["unique"].items()}, "synergy": bits["synergy"]}
    st.plotly_chart(profile_figure(terms, bits["label_entropy"]), key=key, config={"displayModeBar": False})
    st.caption(
        f"**{meaning(profile)}** Partial information decomposition of the label ({bits['label_entropy']:.2f} bits) on "
        f"{profile['pairs']} test pairs, each input reduced to the class a pretrained baseline reads from it."
    )


def show_attribution(modality: Modality, signal: torch.Tensor, model_input: torch.Tensor, attribution: torch.Tensor, title: str) -> None:
    """One modality's attribution over what the model read: a heatmap on the picture or spectrogram, colours on the words."""
    if modality.kind == "text" and modality.to_text is not None:
        words = modality.to_text(signal).split()
        scores = attribution.sum(dim=-1)[: len(words)].tolist()  # one score per word: its row of the one-hot input
        st.markdown(f"**{title}**")
        st.html(f'<div style="line-height:2">{token_highlights(words, scores)}</div>')
        return
    if modality.kind == "image":
        base, image_like = signal, True
    elif modality.kind == "scene":
        base, image_like = signal.mean(dim=0), True
    else:
        base, image_like = model_input, False
    values = heatmap(attribution)
    caption = f"{title} · full colour at ±{attribution_scale(values):.3g}" + ("" if image_like else " · low mel bands at the bottom")
    st.image(attribution_png(heatmap(base), values, image_like), caption=caption)
