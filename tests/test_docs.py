"""Every command and option of the CLI is documented in the README."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from nvmeprobe.cli import main

README = (Path(__file__).parent.parent / "README.md").read_text()


def _walk(group: click.Group, prefix: str = "nvmeprobe"):
    ctx = click.Context(group)
    for name in sorted(group.list_commands(ctx)):
        command = group.get_command(ctx, name)
        path = f"{prefix} {name}"
        yield path, command
        if isinstance(command, click.Group):
            yield from _walk(command, path)


COMMANDS = list(_walk(main))


def _section(path: str) -> str:
    """The README text from the heading that names the command to the next heading."""
    match = re.search(rf"^(#+ `{re.escape(path)}\b.*?$.*?)(?=^#+ )", README + "\n# end",
                      re.MULTILINE | re.DOTALL)
    assert match, f"README has no heading for `{path}`"
    return match.group(1)


@pytest.mark.parametrize("path,command", COMMANDS, ids=[p for p, _ in COMMANDS])
def test_command_documented_with_every_option(path, command):
    section = _section(path)
    for param in command.params:
        if isinstance(param, click.Option):
            names = [n for n in param.opts if n.startswith("--")]
            assert any(n in section for n in names), f"{path}: option {names} missing from its README section"
        elif isinstance(param, click.Argument):
            assert param.name.upper() in section, f"{path}: argument {param.name.upper()} not in README"


def test_two_setup_commands_documented():
    assert "make demo" in README and "make test" in README


def test_every_profile_column_documented():
    from nvmeprobe.profile import SCHEMA

    for name in SCHEMA.names:
        assert f"`{name}`" in README, f"profile column {name} missing from the README schema"
