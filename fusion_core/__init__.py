"""FusionLab's PyTorch package: tasks, a zoo of fusion methods, training, evaluation and Captum explanations.

``import fusion_core as fc`` gives the documented entry points: ``fc.list_tasks``, ``fc.list_fusions``,
``fc.create_fusion``, ``fc.load_zoo``, ``fc.predict`` and ``fc.explain`` (see ``fusion_core.api``), with
``fc.get_task`` and ``fc.data_dir`` to reach a task's data.
The package never imports Streamlit; the app in ``app.py`` and ``pages/`` is built on it.
"""

from .api import explain, predict
from .data.paths import resolve_data_dir as data_dir
from .fusions import create_fusion, list_fusions
from .pretrained import load_zoo
from .tasks import get_task, list_tasks

__all__ = ["create_fusion", "data_dir", "explain", "get_task", "list_fusions", "list_tasks", "load_zoo", "predict"]
