"""Store errors placed beside the form field they are about.

The control store names the key path of every problem, e.g.
`destinations.meta.settings.pixel_id: Expected `str`, got `int``. A page strips the object
prefix, finds the longest form field the rest starts with, and shows the message there;
anything it cannot place is shown above the form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from eventyard.errors import ConfigError

__all__ = ["field_for", "locate", "place"]


def locate(error: ConfigError, section: str, name: str) -> tuple[str, str]:
    """(the key path inside the object, "" when none; the message without the path)."""
    text = str(error)
    path, sep, message = text.partition(": ")
    if not sep or " " in path:
        return "", text
    for prefix in (f"{section}.{name}.", f"{section}.{name}", f"{section}."):
        if path.startswith(prefix):
            return path[len(prefix) :], message
    return "", text


def field_for(path: str, fields: Iterable[str]) -> str | None:
    """The longest of `fields` that `path` is, or is inside (`sources[1]` is in `sources`)."""
    best: str | None = None
    for field in fields:
        inside = path == field or path.startswith((f"{field}.", f"{field}["))
        if inside and (best is None or len(field) > len(best)):
            best = field
    return best


def place(
    error: ConfigError, section: str, name: str, fields: Iterable[str]
) -> tuple[str | None, str]:
    """(the form field the error belongs to, or None; the message to show).

    A settings Struct's own check (`__post_init__`) is reported on `settings` as a whole;
    it goes beside the setting its message names first ("url '...' must be ..."). A problem
    with one entry of a map (`settings.headers.X-Key`) goes beside the map, naming the key.
    """
    path, message = locate(error, section, name)
    names = list(fields)
    if path == "settings":
        named = [
            (found.start(), key)
            for key in names
            if key.startswith("settings.")
            and (found := re.search(rf"\b{re.escape(key.removeprefix('settings.'))}\b", message))
        ]
        if named:
            return min(named)[1], message
    field = field_for(path, names) if path else None
    if field is None and path:
        return None, f"{path}: {message}"
    if field is not None and path.startswith(f"{field}."):  # an entry of a map field
        return field, f"{path.removeprefix(field + '.')}: {message}"
    return field, message
