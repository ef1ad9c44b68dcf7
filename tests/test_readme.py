"""The README opens with the two commands a stranger needs, and CI runs the second one."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def readme_commands():
    lines = (REPO / "README.md").read_text().splitlines()[:20]
    return [line.strip() for line in lines if line.strip().startswith("scripts/setup.sh")]


def test_readme_opens_with_a_start_and_a_test_command():
    commands = readme_commands()
    assert len(commands) == 2, commands
    assert "-m ui.serve" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert readme_commands()[1] in [line.strip() for line in ci]


def test_the_python_example_runs_as_written(data_dir, monkeypatch, capsys):
    """The README's Python section is executed verbatim against the pretrained zoo."""
    text = (REPO / "README.md").read_text()
    section = text[text.index("## Python\n") :]
    code = section[section.index("```python\n") + len("```python\n") : section.index("```\n", section.index("```python"))]
    monkeypatch.setenv("FUSIONLAB_DATA", str(data_dir))
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert "shapes-vqa" in printed[0] and "tensor" in printed[0]
    from fusion_core import get_task

    task = get_task("digits-av")
    truth = task.labels[int(task.load("test", data_dir).labels[0])]
    assert printed[1].count(f"'{truth}'") >= 12  # test pair 0 shows one digit twice: nearly every model says so
    assert printed[2] == "7"
