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
    return TASKS.names()


def get_task(name: str) -> Task:
    return TASKS.get(name)


for _info in pkgutil.iter_modules(__path__):
    if _info.name != "base":
        importlib.import_module(f".{_info.name}", __name__)

__all__ = ["Modality", "PairedData", "Task", "get_task", "list_tasks", "register_task"]
