"""Imported first by ``app.py`` and by every page: all of the app's modules, once per server process.

``fusion_core``'s modules import each other in cycles that Python resolves in one thread but not in
several: when a fresh server's first sessions start at once, each script thread begins importing a
different module of the package and Python's per-module import locks meet in a cycle, so some threads
get a half-initialised module ("cannot import name ... from partially initialized module"; found by
``scripts/load_test.py`` with ten sessions). A thread that imports this module first holds no other
import lock, so it simply waits until the first thread has imported everything below.
"""

import fusion_core  # noqa: F401
from fusion_core import (  # noqa: F401
    analysis, batch, corruptions, data, device, encoders, errors, evaluation, explain, fusions, inference,
    predictions, pretrained, profile, remote, samples, tasks, zoo,
)
from ui import canvas, charts, inputs, lessons, resources, state, views  # noqa: F401
