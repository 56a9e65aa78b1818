"""The README documents every command and every setting; every command has help text."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import typer

from clustr_etl.cli.app import app
from clustr_etl.config.settings import Settings, env_name

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def command_names() -> list[str]:
    group = typer.main.get_command(app)
    return sorted(group.commands)  # type: ignore[attr-defined]


def test_every_command_is_in_the_readme_with_help() -> None:
    group = typer.main.get_command(app)
    names = command_names()
    assert {"generate", "init-db", "load", "mine-rules", "run-all"} <= set(names)
    for name in names:
        assert f"`{name}" in README, f"README lacks the command {name}"
        help_text = group.commands[name].help  # type: ignore[attr-defined]
        assert help_text, f"command {name} has no help text"


def setting_names() -> list[str]:
    """Every leaf field of the nested settings model (database, generation, mining)."""
    groups = [info.annotation for info in Settings.model_fields.values()]
    return [field.name for group in groups for field in dataclasses.fields(group)]  # type: ignore[arg-type]


def test_every_setting_is_in_the_readme() -> None:
    for field in setting_names():
        assert env_name(field) in README, f"README lacks {env_name(field)}"


def test_no_merge_conflict_markers_in_the_docs() -> None:
    root = Path(__file__).resolve().parents[1]
    for path in [root / "README.md", root / "CHANGELOG.md"]:
        lines = path.read_text(encoding="utf-8").splitlines()
        markers = [
            n for n, line in enumerate(lines, 1) if line.startswith(("<<<<<<< ", ">>>>>>> "))
        ]
        markers += [n for n, line in enumerate(lines, 1) if line == "======="]
        assert not markers, f"{path.name}: merge conflict markers on lines {markers}"
