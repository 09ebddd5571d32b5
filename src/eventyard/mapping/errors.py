"""MappingError: a mapping is wrong at config time, and the message says exactly where."""

from __future__ import annotations

from eventyard.errors import ConfigError

__all__ = ["Loc", "MappingError", "format_loc"]

Loc = tuple[str | int, ...]


def format_loc(loc: Loc) -> str:
    """`("data", "items", 0, "id")` -> `data.items[0].id`, the way a user reads a mapping."""
    out = ""
    for key in loc:
        if isinstance(key, int):
            out += f"[{key}]"
        else:
            out += f".{key}" if out else key
    return out or "<root>"


class MappingError(ConfigError):
    """A mapping (or a value for an action field) is invalid; `path` is where inside it."""

    def __init__(self, loc: Loc, message: str, where: str = "") -> None:
        self.path = loc
        self.where = where
        self.reason = message
        location = format_loc(loc)
        if where:
            location = where if not loc else f"{where}.{location}"
        super().__init__(f"{location}: {message}")
