"""Every command that takes `--data-dir` takes the same option: one help text, one default, so
the data dir means one thing wherever it is asked for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer.main

from eventyard.cli import app
from eventyard.cli_common import DEFAULT_DATA_DIR


def commands(group: Any, prefix: str = "") -> dict[str, Any]:
    """Every (sub)command by its full name (Typer's command objects, read duck-typed)."""
    found: dict[str, Any] = {}
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found |= commands(command, f"{prefix}{name} ")
        else:
            found[f"{prefix}{name}"] = command
    return found


def test_every_data_dir_option_is_the_same_one() -> None:
    options = {
        name: param
        for name, command in commands(typer.main.get_command(app)).items()
        for param in command.params
        if "--data-dir" in param.opts
    }
    assert {"serve", "status", "apply", "export", "query", "compare", "users add"} <= set(options)
    assert len({option.help for option in options.values()}) == 1
    assert {Path(option.default) for option in options.values()} == {DEFAULT_DATA_DIR}
