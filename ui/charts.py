"""Plotly figures: probabilities, inputs, attribution overlays, Shapley bars, robustness curves."""

import html
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import plotly.graph_objects as go
import torch

GREYS = [[0, "#000000"], [1, "#ffffff"]]
SMALL = dict(margin=dict(l=8, r=8, t=32, b=8))


def probability_bars(top: Sequence[Tuple[str, float]], truth: Optional[str] = None) -> str:
    """Top classes of one prediction as HTML bars (the true class in green).

    Plain HTML, not a Plotly figure: the Playground shows one per method, and fifteen Plotly charts
    redrawn on every change were most of a person's wait (README "Under load").
    """
    rows = []
    for label, p in top:
        colour = "#2e9e5b" if label == truth else "#4c78a8"
        rows.append(
            '<div style="display:flex;align-items:center;gap:6px;margin:2px 0;font-size:0.85rem">'
            f'<span style="width:3.5em;text-align:right;overflow:hidden">{html.escape(label)}</span>'
            '<span style="flex:1;background:#eef1f5;border-radius:3px;height:14px">'
            f'<span style="display:block;width:{100 * max(0.0, min(1.0, p)):.1f}%;height:100%;background:{colour};border-radius:3px"></span>'
            f'</span><span style="width:3.2em;text-align:right">{p:.1%}</span></div>'
        )
    return f'<div class="fusionlab-bars">{"".join(rows)}</div>'


def image_figure(image: torch.Tensor, title: str = "", height: int = 240) -> go.Figure:
    figure = go.Figure(go.Heatmap(z=image.numpy(), colorscale=GREYS, showscale=False, zmin=0, zmax=1))
    figure.update_layout(title=title, height=height, yaxis=dict(autorange="reversed", scaleanchor="x", visible=False),
                         xaxis=dict(visible=False), **SMALL)
    return figure


def scene_figure(scene: torch.Tensor, title: str = "", height: int = 240) -> go.Figure:
    """An RGB scene (3, H, W) in [0, 1], pixels square."""
    pixels = (scene.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()
    figure = go.Figure(go.Image(z=pixels))
    figure.update_layout(title=title, height=height, xaxis=dict(visible=False), yaxis=dict(visible=False, scaleanchor="x"), **SMALL)
    return figure


def token_highlights(words: Sequence[str], scores: Sequence[float]) -> str:
    """HTML of the words on backgrounds coloured by their attribution (red: raises, blue: lowers)."""
    limit = max((abs(v) for v in scores), default=0.0) or 1.0
    spans = []
    for word, score in zip(words, scores):
        alpha = min(1.0, abs(score) / limit)
        colour = f"rgba(214, 39, 40, {alpha:.2f})" if score >= 0 else f"rgba(31, 119, 180, {alpha:.2f})"
        safe = word.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        spans.append(f'<span title="{score:+.3g}" style="background:{colour}; padding:1px 4px; border-radius:4px; margin:1px">{safe}</span>')
    return " ".join(spans)


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


PROFILE_COLOURS = {"redundancy": "#4c78a8", "synergy": "#e45756"}


def profile_figure(shares_bits: Mapping[str, float], label_bits: float, height: int = 190) -> go.Figure:
    """A task's PID terms (bits) as horizontal bars, against the label's entropy."""
    names = list(shares_bits)[::-1]
    values = [shares_bits[n] for n in names]
    colours = [PROFILE_COLOURS.get(n, "#72b7b2") for n in names]
    figure = go.Figure(go.Bar(x=values, y=names, orientation="h", marker_color=colours,
                              text=[f"{v:.2f} bits" for v in values], textposition="auto"))
    figure.update_layout(height=height, xaxis=dict(range=[0, max(label_bits, max(values, default=0)) * 1.02], title="bits"),
                         **SMALL)
    return figure


def task_grid(values: Mapping[str, Mapping[str, Optional[float]]], height: int = 480) -> go.Figure:
    """Models (rows) x task conditions (columns) as an accuracy heatmap with the numbers written in."""
    rows = list(values)
    columns: List[str] = []
    for row in values.values():
        columns += [c for c in row if c not in columns]
    z = [[values[r].get(c) for c in columns] for r in rows]
    text = [["" if v is None else f"{100 * v:.1f}" for v in line] for line in z]
    figure = go.Figure(go.Heatmap(z=z, x=columns, y=rows, text=text, texttemplate="%{text}", colorscale="RdYlGn",
                                  zmin=0.0, zmax=1.0, colorbar=dict(title="acc", tickformat=".0%"),
                                  hovertemplate="%{y}<br>%{x}<br>accuracy %{z:.2%}<extra></extra>"))
    # Column names ("digits-unique · audio only") are long: slanted, with room above for them.
    figure.update_layout(height=height + 90, yaxis=dict(autorange="reversed"), xaxis=dict(side="top", tickangle=-55),
                         margin=dict(l=8, r=8, t=150, b=8))
    return figure
