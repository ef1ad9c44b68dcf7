"""The load harness itself: a short real run against a served app gives settled, checked views and server figures."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
pytest.importorskip("playwright.async_api")
REPO = Path(__file__).resolve().parent.parent


def test_a_short_run_settles_every_view_and_checks_its_answers(tmp_path, data_dir):
    out = tmp_path / "run.json"
    command = [sys.executable, str(REPO / "scripts" / "load_test.py"), "--sessions", "1", "--seconds", "8",
               "--flows", "playground-change,explain-click", "--think", "0.1,0.3", "--json", str(out)]
    subprocess.run(command, cwd=REPO, check=True, timeout=600, capture_output=True)
    summary = json.loads(out.read_text())
    flows = summary["flows"]
    assert flows["playground-change"]["views"] >= 3  # a Random click, the image off, on again
    for flow in flows.values():
        assert flow["errors"] == 0 and flow["mismatches"] == 0 and flow["p50_s"] > 0
    assert summary["server_cpu_s_per_view"] > 0 and summary["rss_mb"]["max"] > summary["rss_mb"]["start"]
    # the whole machine's busy time holds the server's and the browsers'
    assert summary["machine_cpu_s"] > summary["server_cpu_s"] and summary["other_cpu_s_per_view"] > 0
    assert summary["settings"]["think_s"] == [0.1, 0.3]
