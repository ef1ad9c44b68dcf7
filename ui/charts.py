"""Plotly figures: probabilities, inputs, attribution overlays, Shapley bars, robustness curves."""

from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import plotly.graph_objects as go
import torch

GREYS = [[0, "#000000"], [1, "#ffffff"]]
SMALL = dict(margin=dict(l=8, r=8, t=32, b=8))


def probability_bars(top: Sequence[Tuple[str, float]], truth: Optional[str] = None, height: int = 150) -> go.Figure:
    """Top classes of one prediction as horizontal bars (the true class in green)."""
    labels = [label for label, _ in top][::-1]
    values = [p for _, p in top][::-1]
    colours = ["#2e9e5b" if label == truth else "#4c78a8" for label in labels]
    figure = go.Figure(go.Bar(x=values, y=labels, orientation="h", marker_color=colours,
                              text=[f"{v:.1%}" for v in values], textposition="auto"))
    figure.update_layout(height=height, xaxis=dict(range=[0, 1], tickformat=".0%"), yaxis=dict(type="category"), **SMALL)
    return figure


def image_figure(image: torch.Tensor, title: str = "", height: int = 240) -> go.Figure:
    figure = go.Figure(go.Heatmap(z=image.numpy(), colorscale=GREYS, showscale=False, zmin=0, zmax=1))
    figure.update_layout(title=title, height=height, yaxis=dict(autorange="reversed", scaleanchor="x", visible=False),
                         xaxis=dict(visible=False), **SMALL)
    return figure


def spectrogram_figure(features: torch.Tensor, title: str = "", height: int = 240) -> go.Figure:
    """A log-mel spectrogram (mels, frames), low frequencies at the bottom, time in seconds."""
    frames = features.shape[-1]
    figure = go.Figure(go.Heatmap(z=features.numpy(), x=[i / 100 for i in range(frames)], colorscale="Viridis", showscale=False))
    figure.update_layout(title=title, height=height, xaxis_title="seconds", yaxis_title="mel band", **SMALL)
    return figure


def attribution_overlay(base: torch.Tensor, attribution: torch.Tensor, title: str, image_like: bool, height: int = 260) -> go.Figure:
    """The input in grey with the attribution on top (red: raises the probability, blue: lowers it)."""
    limit = float(attribution.abs().max()) or 1.0
    base = (base - base.min()) / ((base.max() - base.min()) or 1.0)
    figure = go.Figure()
    figure.add_trace(go.Heatmap(z=base.numpy(), colorscale=GREYS, showscale=False, hoverinfo="skip"))
    figure.add_trace(go.Heatmap(
        z=attribution.numpy(), colorscale="RdBu_r", zmid=0, zmin=-limit, zmax=limit, opacity=0.65,
        colorbar=dict(orientation="h", thickness=8, len=0.9, y=-0.02, yanchor="top", tickfont=dict(size=9)),
        hovertemplate="attribution %{z:.3g}<extra></extra>",
    ))
    layout = dict(title=title, height=height, xaxis=dict(visible=False), margin=dict(l=8, r=8, t=32, b=36))
    layout["yaxis"] = dict(autorange="reversed", scaleanchor="x", visible=False) if image_like else dict(title="mel band", title_standoff=2)
    figure.update_layout(**layout)
    return figure


def shapley_bars(values: Mapping[str, float], interactions: Mapping[Tuple[str, str], float], height: int = 200) -> go.Figure:
    """Each modality's Shapley value and each pair's interaction, in probability points."""
    names = list(values) + [" x ".join(pair) for pair in interactions]
    numbers = list(values.values()) + list(interactions.values())
    colours = ["#4c78a8"] * len(values) + ["#f58518"] * len(interactions)
    figure = go.Figure(go.Bar(x=names, y=numbers, marker_color=colours, text=[f"{v:+.3f}" for v in numbers], textposition="auto"))
    figure.update_layout(height=height, yaxis_title="probability points", **SMALL)
    return figure


def robustness_figure(curves: Mapping[str, Sequence[float]], levels: Sequence[float], title: str, height: int = 320) -> go.Figure:
    figure = go.Figure()
    for name, curve in curves.items():
        dash = "dot" if name.startswith("unimodal") else "solid"
        figure.add_trace(go.Scatter(x=list(levels), y=list(curve), mode="lines+markers", name=name, line=dict(dash=dash)))
    figure.update_layout(title=title, height=height, xaxis_title="corruption level", yaxis=dict(title="accuracy", tickformat=".0%"),
                         legend=dict(font=dict(size=10)), margin=dict(l=8, r=8, t=40, b=8))
    return figure


def grouped_bars(
    rows: Dict[str, Dict[str, float]], title: str, percent: bool = True, height: int = 320, zoom: bool = False
) -> go.Figure:
    """models on x, one bar per series (e.g. modality), values in [0, 1]; ``zoom``: y from just below the lowest bar."""
    figure = go.Figure()
    series: List[str] = sorted({k for row in rows.values() for k in row})
    for key in series:
        figure.add_trace(go.Bar(name=key, x=list(rows), y=[row.get(key) for row in rows.values()]))
    figure.update_layout(title=title, height=height, barmode="group", margin=dict(l=8, r=8, t=40, b=8),
                         yaxis=dict(tickformat=".1%" if percent and zoom else ".0%" if percent else None))
    values = [v for row in rows.values() for v in row.values() if v is not None]
    if zoom and values:
        low, high = min(values), max(values)
        pad = max(0.002, (high - low) * 0.2)
        figure.update_yaxes(range=[low - pad, high + pad / 2])
    return figure
