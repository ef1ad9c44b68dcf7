"""A fresh server's first sessions import the app in several threads at once: none may see a half-made module."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPTS = [REPO / "app.py", *sorted((REPO / "pages").glob("*.py"))]
# Each thread starts where one of the scripts starts: a different module of the package.
RACE = """
import importlib, sys, threading
names = sys.argv[1:]
barrier = threading.Barrier(len(names))
errors = []
def go(name):
    barrier.wait()
    try:
        if {boot}:
            importlib.import_module("ui.boot")
        importlib.import_module(name)
    except Exception as error:
        errors.append(f"{{name}}: {{type(error).__name__}}: {{error}}")
threads = [threading.Thread(target=go, args=(n,)) for n in names]
[t.start() for t in threads]
[t.join() for t in threads]
print("\\n".join(errors) or "ok")
"""
MODULES = ["fusion_core.tasks", "fusion_core", "fusion_core.explain", "fusion_core.inference", "fusion_core.pretrained",
           "fusion_core.device", "ui.resources", "fusion_core.corruptions"]


def race(boot: bool) -> str:
    result = subprocess.run([sys.executable, "-c", RACE.format(boot=boot), *MODULES], cwd=REPO, capture_output=True,
                            text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})
    return result.stdout.strip()


@pytest.mark.parametrize("attempt", range(3))
def test_threads_that_import_ui_boot_first_all_get_whole_modules(attempt):
    assert race(boot=True) == "ok"


def test_without_it_the_race_is_real():
    """The check above can fail: the same threads without ui.boot do meet half-made modules (3 tries)."""
    assert any(race(boot=False) != "ok" for _ in range(3))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_script_imports_ui_boot_before_anything_else(script):
    imports = [node for node in ast.parse(script.read_text()).body if isinstance(node, (ast.Import, ast.ImportFrom))]
    first = imports[0]
    assert isinstance(first, ast.Import) and first.names[0].name == "ui.boot", script.name
