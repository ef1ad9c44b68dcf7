"""Tasks, registered by name: what the modalities are, where the data comes from, the labels."""

import importlib
import pkgutil
from typing import List

from ..registry import Registry
from .base import Modality, PairedData, Task

TASKS: Registry[Task] = Registry("task")


def register_task(task: Task) -> Task:
    TASKS.register(task.name)(task)
    return task


def list_tasks() -> List[str]:
    """Every registered task, in the order the tasks ask for (then by name)."""
    return sorted(TASKS.names(), key=lambda name: (TASKS.get(name).order, name))


def get_task(name: str) -> Task:
    return TASKS.get(name)


for _info in pkgutil.iter_modules(__path__):
    if _info.name != "base":
        importlib.import_module(f".{_info.name}", __name__)

__all__ = ["Modality", "PairedData", "Task", "get_task", "list_tasks", "register_task"]
