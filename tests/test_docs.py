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
    match = re.search(
        rf"^(#+ `{re.escape(path)}\b.*?$.*?)(?=^#+ )", README + "\n# end", re.MULTILINE | re.DOTALL
    )
    assert match, f"README has no heading for `{path}`"
    return match.group(1)


@pytest.mark.parametrize("path,command", COMMANDS, ids=[p for p, _ in COMMANDS])
def test_command_documented_with_every_option(path, command):
    section = _section(path)
    for param in command.params:
        if isinstance(param, click.Option):
            names = [n for n in param.opts if n.startswith("--")]
            assert any(n in section for n in names), (
                f"{path}: option {names} missing from its README section"
            )
        elif isinstance(param, click.Argument):
            assert param.name.upper() in section, (
                f"{path}: argument {param.name.upper()} not in README"
            )


def test_two_setup_commands_documented():
    assert "make demo" in README and "make test" in README


def test_every_profile_column_documented():
    from nvmeprobe.profile import SCHEMA

    for name in SCHEMA.names:
        assert f"`{name}`" in README, f"profile column {name} missing from the README schema"


REPO = Path(__file__).parent.parent
DOCS = {name: (REPO / "docs" / name).read_text() for name in ("design.md", "field-notes.md")}
# The design documents' names before they moved into docs/ (spelt in pieces so this file
# does not cite them itself).
_OLD_DOC = re.compile("DESI" + r"GN\.md|FIELD-" + "NOTES|" + r"\.\./" + "shared")
_SECTION_CITE = re.compile(
    r"docs/(design|field-notes)\.md[\s#*\"'(]*sections?\s+(\d+(?:\s*(?:,|and|-)\s*\d+)*)"
)
_HEADING_CITE = re.compile(r"docs/(design|field-notes)\.md \"([^\"\n]+)\"")


def _tracked_text_files() -> list[Path]:
    """Every file git tracks in this checkout that reads as text."""
    import subprocess

    listing = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z"], check=True, capture_output=True
    ).stdout.decode()
    files = []
    for name in filter(None, listing.split("\0")):
        path = REPO / name
        try:
            files.append((path, path.read_text()))
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue
    return files


def _section_numbers(doc: str) -> set[int]:
    return {int(n) for n in re.findall(r"^## (\d+)\. ", doc, re.MULTILINE)}


def _headings(doc: str) -> set[str]:
    return {
        re.sub(r"^\d+\. ", "", h).strip() for h in re.findall(r"^#{2,3} (.+)$", doc, re.MULTILINE)
    }


def test_design_references_point_inside_the_repository():
    offenders = [
        f"{path.relative_to(REPO)}:{text[: m.start()].count(chr(10)) + 1}: {m.group(0)}"
        for path, text in _tracked_text_files()
        for m in _OLD_DOC.finditer(text)
    ]
    assert not offenders, "cite docs/design.md or docs/field-notes.md instead:\n" + "\n".join(
        offenders
    )


def test_field_notes_keep_their_section_numbers():
    # Code cites these numbers; they must not move (docs/field-notes.md sections 1-9).
    assert _section_numbers(DOCS["field-notes.md"]) == set(range(1, 10))


def test_cited_sections_exist():
    bad = []
    for path, text in _tracked_text_files():
        for m in _SECTION_CITE.finditer(text):
            numbers = {int(n) for n in re.findall(r"\d+", m.group(2))}
            missing = numbers - _section_numbers(DOCS[m.group(1) + ".md"])
            bad += [f"{path.relative_to(REPO)}: {m.group(0)!r}: no section {n}" for n in missing]
        for m in _HEADING_CITE.finditer(text):
            if m.group(2) not in _headings(DOCS[m.group(1) + ".md"]):
                bad.append(f"{path.relative_to(REPO)}: {m.group(0)!r}: no such heading")
    assert not bad, "\n".join(bad)
