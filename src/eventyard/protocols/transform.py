"""Transformations: rename an event, move properties, set values with the mapping language.

One transformation, for an event its FQL `if` matches (evaluated on the event as it came
in), does in this order: `rename_event` (track events only), `rename_properties` (each
value moved from its path to the new one; a missing path is skipped), `set` (each mapping
evaluated against the event as it was BEFORE this transformation, as Segment's
`map_properties` reads its snapshot; a mapping that gives null or nothing leaves the
target alone). Paths are dotted, under `properties.`, `traits.` or `context.` (top-level
fields like `userId` are not transformable, as in Segment), `\\.` for a literal dot, at most
MAX_PATH_KEYS keys. Applying never raises and never changes the input event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from eventyard.fql import Filter
from eventyard.mapping import Mapping

__all__ = ["MAX_PATH_KEYS", "SECTIONS", "CompiledTransformation", "PathError", "parse_path"]

MAX_PATH_KEYS = 5
SECTIONS = frozenset({"properties", "traits", "context"})
Path = tuple[str, ...]


class PathError(ValueError):
    """A transformation path that cannot be used; the message says why."""


def parse_path(text: str) -> Path:
    """`properties.a\\.b.c` -> ("properties", "a.b", "c"); PathError when unusable."""
    keys: list[str] = []
    current = ""
    escaped = False
    for char in text:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ".":
            keys.append(current)
            current = ""
        else:
            current += char
    keys.append(current + ("\\" if escaped else ""))
    if any(not key for key in keys):
        raise PathError(f"{text!r} has an empty key; write keys separated by single dots")
    if keys[0] not in SECTIONS or len(keys) < 2:
        raise PathError(
            f"{text!r} must start with properties., traits. or context. (top-level fields "
            "such as userId cannot be transformed)"
        )
    if len(keys) > MAX_PATH_KEYS:
        raise PathError(f"{text!r} is more than {MAX_PATH_KEYS} keys deep")
    return tuple(keys)


def _pop(event: dict[str, Any], path: Path) -> tuple[bool, Any]:
    holder: Any = event
    for key in path[:-1]:
        holder = holder.get(key) if isinstance(holder, dict) else None
    if isinstance(holder, dict) and path[-1] in holder:
        return True, holder.pop(path[-1])
    return False, None


def _put(event: dict[str, Any], path: Path, value: Any) -> None:
    """Set the value, creating objects on the way; a non-object in the way: skipped."""
    holder: Any = event
    for key in path[:-1]:
        if key not in holder or holder[key] is None:
            holder[key] = {}
        holder = holder[key]
        if not isinstance(holder, dict):
            return
    holder[path[-1]] = value


@dataclass(frozen=True, slots=True)
class CompiledTransformation:
    name: str
    condition: Filter
    rename_event: str | None
    renames: tuple[tuple[Path, Path], ...]
    sets: tuple[tuple[Path, Mapping], ...]
    warehouse: bool

    def apply(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """The transformed copy, or None when `if` does not match."""
        if not self.condition(event):
            return None
        values = [(path, mapping(event)) for path, mapping in self.sets]
        changed: dict[str, Any] = orjson.loads(orjson.dumps(event))
        if self.rename_event is not None and changed.get("type") == "track":
            changed["event"] = self.rename_event
        for source, target in self.renames:
            found, value = _pop(changed, source)
            if found:
                _put(changed, target, value)
        for path, value in values:
            if value is not None:
                _put(changed, path, value)
        return changed
