"""How results are drawn: inputs and attribution overlays as images, bars as HTML, comparisons as Plotly figures.

What a page shows many times over (an input per modality, a heatmap per modality and method, bars per
method) is a small PNG or plain HTML: a grid of fifteen methods' Plotly charts cost the server about
20 ms each to build and the browser seconds to draw (README "Under load"). Plotly stays for the
charts read once, closely: comparisons across models and tasks.
"""

import html
import io
from functools import lru_cache
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import plotly.graph_objects as go
import torch
from PIL import Image, ImageOps

SMALL = dict(margin=dict(l=8, r=8, t=32, b=8))


def _bar_row(label: str, label_width: str, bar: str, value: str, value_width: str) -> str:
    """One row of an HTML bar chart: the label, a track holding ``bar`` (HTML), the value as text."""
    return (
        '<div style="display:flex;align-items:center;gap:6px;margin:2px 0;font-size:0.85rem">'
        f'<span style="width:{label_width};text-align:right;overflow:hidden;white-space:nowrap">{html.escape(label)}</span>'
        f'<span style="flex:1;position:relative;background:#eef1f5;border-radius:3px;height:14px">{bar}</span>'
        f'<span style="width:{value_width};text-align:right">{value}</span></div>'
    )


def probability_bars(top: Sequence[Tuple[str, float]], truth: Optional[str] = None) -> str:
    """Top classes of one prediction as HTML bars (the true class in green).

    Plain HTML, not a Plotly figure: the Playground shows one per method, and fifteen Plotly charts
    redrawn on every change were most of a person's wait (README "Under load").
    """
    rows = []
    for label, p in top:
        colour = "#2e9e5b" if label == truth else "#4c78a8"
        bar = f'<span style="display:block;width:{100 * max(0.0, min(1.0, p)):.1f}%;height:100%;background:{colour};border-radius:3px"></span>'
        rows.append(_bar_row(label, "3.5em", bar, f"{p:.1%}", "3.2em"))
    return f'<div class="fusionlab-bars">{"".join(rows)}</div>'


@lru_cache(maxsize=None)
def _colour_table(name: str) -> np.ndarray:
    """A Matplotlib colour map as a (256, 3) float table (only its data: no pyplot, no figure)."""
    from matplotlib import colormaps

    return colormaps[name](np.linspace(0.0, 1.0, 256))[:, :3]


def _colour(values: np.ndarray, name: str) -> np.ndarray:
    """Values in [0, 1] -> RGB floats through the named colour map."""
    index = np.clip(np.rint(values * 255), 0, 255).astype(np.intp)
    return _colour_table(name)[index]


FRAME = (190, 190, 190)  # a light grey line around pictures whose background is white, like the page


def png(rgb: np.ndarray, width: int, frame: bool = False) -> bytes:
    """RGB floats (H, W, 3) in [0, 1] -> PNG bytes, enlarged by whole pixels to about ``width`` (crisp cells).

    ``frame`` adds a one-pixel border outside the picture.
    """
    pixels = (np.clip(rgb, 0.0, 1.0) * 255).round().astype(np.uint8)
    scale = max(1, round(width / pixels.shape[1]))
    image = Image.fromarray(pixels).resize((pixels.shape[1] * scale, pixels.shape[0] * scale), Image.NEAREST)
    if frame:
        image = ImageOps.expand(image, border=1, fill=FRAME)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _unit(values: torch.Tensor) -> np.ndarray:
    array = values.detach().float().cpu().numpy()
    low, high = float(array.min()), float(array.max())
    return (array - low) / ((high - low) or 1.0)


def image_png(image: torch.Tensor, width: int = 224) -> bytes:
    """A greyscale image (H, W) in [0, 1]."""
    grey = image.detach().float().clamp(0, 1).cpu().numpy()
    return png(np.repeat(grey[..., None], 3, axis=-1), width)


def scene_png(scene: torch.Tensor, width: int = 225) -> bytes:
    """An RGB scene (3, H, W) in [0, 1], framed: its white background would otherwise melt into the page."""
    return png(scene.detach().float().clamp(0, 1).permute(1, 2, 0).cpu().numpy(), width, frame=True)


def spectrogram_png(features: torch.Tensor, width: int = 303) -> bytes:
    """A log-mel spectrogram (mels, frames) in Viridis, low frequencies at the bottom."""
    return png(_colour(_unit(features)[::-1], "viridis"), width)


def attribution_png(base: torch.Tensor, attribution: torch.Tensor, image_like: bool, width: int = 224) -> bytes:
    """The input in grey under the attribution: red raises the probability, blue lowers it, clear where ~0.

    The colour scale is symmetric around 0 and set by the largest magnitude (``attribution_scale``).
    Spectrograms are drawn with low frequencies at the bottom.
    """
    grey = np.repeat(_unit(base)[..., None], 3, axis=-1)
    values = attribution.detach().float().cpu().numpy()
    signed = values / attribution_scale(attribution)
    alpha = 0.85 * np.abs(signed)[..., None]
    rgb = (1 - alpha) * grey + alpha * _colour((signed + 1) / 2, "RdBu_r")
    return png(rgb if image_like else rgb[::-1], width)


def attribution_scale(attribution: torch.Tensor) -> float:
    """The magnitude that gets full colour in an overlay."""
    return float(attribution.detach().abs().max()) or 1.0


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


def shapley_bars(values: Mapping[str, float], interactions: Mapping[Tuple[str, str], float]) -> str:
    """Each modality's Shapley value (blue) and each pair's interaction (orange), in probability points, as
    HTML bars from a zero line: right raises the explained probability, left lowers it."""
    rows = [(name, v, "#4c78a8") for name, v in values.items()]
    rows += [(" x ".join(pair), v, "#f58518") for pair, v in interactions.items()]
    out = []
    for name, v, colour in rows:
        half = 50 * max(0.0, min(1.0, abs(v)))
        left = 50 - half if v < 0 else 50
        bar = (
            '<span style="position:absolute;left:50%;top:0;bottom:0;border-left:1px solid #888"></span>'
            f'<span style="position:absolute;left:{left:.1f}%;width:{half:.1f}%;top:0;bottom:0;background:{colour};border-radius:3px"></span>'
        )
        out.append(_bar_row(name, "7em", bar, f"{v:+.3f}", "4em"))
    return f'<div class="fusionlab-shapley">{"".join(out)}</div>'


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
