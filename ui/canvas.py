"""A drawing canvas (Streamlit components v2): draw a digit with the mouse, a finger or a pen."""

import base64
from typing import Optional

import streamlit as st

HTML = """
<div class="fl-canvas">
  <canvas width="280" height="280" aria-label="drawing canvas"></canvas>
  <button type="button">Clear</button>
</div>
"""

CSS = """
.fl-canvas { display: flex; flex-direction: column; gap: 0.4rem; align-items: flex-start; }
.fl-canvas canvas { background: #000; border-radius: 0.5rem; touch-action: none; cursor: crosshair;
                    border: 1px solid var(--st-border-color, #555); }
.fl-canvas button { font: inherit; padding: 0.2rem 0.8rem; border-radius: 0.4rem; cursor: pointer;
                    border: 1px solid var(--st-border-color, #888); background: transparent; color: inherit; }
"""

JS = """
export default function(component) {
    const { setStateValue, parentElement } = component;
    const canvas = parentElement.querySelector('canvas');
    const clear = parentElement.querySelector('button');
    const pen = canvas.getContext('2d');
    pen.lineWidth = 20; pen.lineCap = 'round'; pen.lineJoin = 'round'; pen.strokeStyle = '#fff';
    let drawing = false;
    const at = (e) => {
        const box = canvas.getBoundingClientRect();
        return [(e.clientX - box.left) * canvas.width / box.width, (e.clientY - box.top) * canvas.height / box.height];
    };
    const down = (e) => { drawing = true; canvas.setPointerCapture(e.pointerId); const [x, y] = at(e);
                          pen.beginPath(); pen.moveTo(x, y); pen.lineTo(x + 0.1, y); pen.stroke(); };
    const move = (e) => { if (!drawing) return; const [x, y] = at(e); pen.lineTo(x, y); pen.stroke(); };
    const up = () => { if (!drawing) return; drawing = false; setStateValue('png', canvas.toDataURL('image/png')); };
    canvas.addEventListener('pointerdown', down);
    canvas.addEventListener('pointermove', move);
    canvas.addEventListener('pointerup', up);
    canvas.addEventListener('pointerleave', up);
    clear.addEventListener('click', () => { pen.clearRect(0, 0, canvas.width, canvas.height); setStateValue('png', null); });
    return () => {
        canvas.removeEventListener('pointerdown', down);
        canvas.removeEventListener('pointermove', move);
        canvas.removeEventListener('pointerup', up);
        canvas.removeEventListener('pointerleave', up);
    };
}
"""

_canvas = st.components.v2.component("fusionlab_canvas", html=HTML, css=CSS, js=JS)


def drawing_canvas(key: str) -> Optional[bytes]:
    """The PNG of what has been drawn so far, or None while the canvas is empty."""
    result = _canvas(key=key, on_png_change=lambda: None)
    data_url = getattr(result, "png", None)
    if not data_url or "," not in data_url:
        return None
    return base64.b64decode(data_url.split(",", 1)[1])
