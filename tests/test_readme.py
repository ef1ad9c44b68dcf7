"""The README opens with the two commands a stranger needs, and CI runs the second one."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def readme_commands():
    lines = (REPO / "README.md").read_text().splitlines()[:20]
    return [line.strip() for line in lines if line.strip().startswith("scripts/setup.sh")]


def test_readme_opens_with_a_start_and_a_test_command():
    commands = readme_commands()
    assert len(commands) == 2, commands
    assert "streamlit run app.py" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert readme_commands()[1] in [line.strip() for line in ci]
