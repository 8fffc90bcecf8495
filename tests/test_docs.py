"""The README stays true: every command and option is documented, and it opens with the two commands."""

from __future__ import annotations

import re

import pytest
import typer.main
from conftest import REPO

from ebookify.cli import app

README = (REPO / "README.md").read_text(encoding="utf-8")
COMMANDS = typer.main.get_command(app).commands


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_and_option_is_in_the_readme(command):
    assert f"ebookify {command}" in README
    for param in COMMANDS[command].params:
        for option in param.opts:
            if option.startswith("--") and option != "--help":
                assert option in README, f"{command} {option} is not documented in README.md"


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second():
    blocks = re.findall(r"```sh\n(.*?)\n```", README, re.DOTALL)
    assert blocks[0] == "pip install . && ebookify build --name Sam"
    assert blocks[1] == "pip install -e '.[test]' && python -m pytest"
    assert blocks[1] in (REPO / ".ci" / "run").read_text().splitlines()
