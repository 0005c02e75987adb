"""Every command has help with an example, and README documents every command."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from kb.cli import cli

COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_command_has_help_with_example(command):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output, f"kb {command} --help shows no example"


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_documents_command(root, command):
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"^### `kb {command}", readme, re.M), f"README has no section for kb {command}"


def test_readme_quick_start_has_exactly_two_commands(root):
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", section, re.S)
    commands = [line for block in blocks for line in block.splitlines() if line.strip() and not line.startswith("#")]
    assert len(commands) == 2, commands


def test_ci_runs_the_readme_test_command_verbatim(root):
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", section, re.S)
    commands = [line for block in blocks for line in block.splitlines() if line.strip() and not line.startswith("#")]
    test_command = next(c for c in commands if "pytest" in c)
    assert test_command in (root / ".ci" / "run").read_text(encoding="utf-8")
