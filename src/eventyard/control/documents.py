"""Configuration objects as documents: the canonical JSON stored, compared and exported, and
where secrets sit in them.

A document is one eventyard.yaml entry (a source, a destination) as plain JSON data. The
canonical form leaves out every key equal to its default and writes durations the way people
do (`4h`), so that an export reads like a hand-written file and two documents are equal
exactly when they configure the same thing.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from typing import Any

import msgspec
import orjson

from eventyard.control.duration import Duration
from eventyard.control.secrets import SECRET_MASK

__all__ = [
    "KeyPath",
    "format_duration",
    "get_at",
    "mask_secrets",
    "redact",
    "secret_leaves",
    "set_at",
    "strings_in",
    "to_doc",
]

KeyPath = tuple[str | int, ...]
"""Keys and list indices from the top of a document to one value."""

_UNITS = (("d", 86400.0), ("h", 3600.0), ("m", 60.0), ("s", 1.0))


def format_duration(seconds: float) -> str | float:
    """`14400.0` -> `"4h"`; the form `parse_duration` reads back to exactly the same float."""
    if seconds == 0:
        return "0s"
    for unit, size in _UNITS:
        count = round(seconds / size)
        if count >= 1 and count * size == seconds:
            return f"{count}{unit}"
    millis = round(seconds * 1000)
    return f"{millis}ms" if millis * 0.001 == seconds else seconds


def _default(info: msgspec.structs.FieldInfo) -> Any:
    return info.default_factory() if info.default is msgspec.NODEFAULT else info.default


def _plain(value: Any) -> Any:
    if isinstance(value, msgspec.Struct):
        return {
            info.encode_name: _plain(getattr(value, info.name))
            for info in msgspec.structs.fields(value)
            if info.required or getattr(value, info.name) != _default(info)
        }
    if isinstance(value, Duration):
        return format_duration(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def to_doc(value: msgspec.Struct) -> dict[str, Any]:
    """The canonical document of a decoded config struct, in JSON types only.

    Raises TypeError when a value has no JSON form (nesting deeper than 255, huge integers).
    """
    doc: dict[str, Any] = orjson.loads(orjson.dumps(_plain(value), option=orjson.OPT_NON_STR_KEYS))
    return doc


def get_at(doc: Any, path: KeyPath) -> Any:
    """The value at `path`, or None where the path does not lead anywhere."""
    for step in path:
        if isinstance(doc, dict) and isinstance(step, str):
            doc = doc.get(step)
        elif isinstance(doc, list) and isinstance(step, int) and step < len(doc):
            doc = doc[step]
        else:
            return None
    return doc


def set_at(doc: dict[str, Any], path: KeyPath, value: Any) -> dict[str, Any]:
    """A copy of `doc` with the value at `path` (which exists) replaced."""
    result = copy.deepcopy(doc)
    holder: Any = result
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = value
    return result


def _leaves(value: Any, path: KeyPath) -> Iterator[KeyPath]:
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))


def secret_leaves(doc: dict[str, Any], roots: Iterable[KeyPath]) -> list[KeyPath]:
    """Paths of every string under the secret roots (a secret may be a map, e.g. headers)."""
    return [leaf for root in roots for leaf in _leaves(get_at(doc, root), root)]


def mask_secrets(doc: dict[str, Any], roots: Iterable[KeyPath]) -> dict[str, Any]:
    """A copy of `doc` with every secret string replaced by the mask."""
    for path in secret_leaves(doc, roots):
        doc = set_at(doc, path, SECRET_MASK)
    return doc


def strings_in(value: Any) -> Iterator[str]:
    """Every string value inside `value` (keys excluded)."""
    for path in _leaves(value, ()):
        yield get_at(value, path)


def redact(text: str, secrets: Iterable[Any]) -> str:
    """`text` with every secret string in it replaced by the mask (for errors and logs).

    Strings shorter than 4 characters are left alone: replacing them would garble the
    message while hiding next to nothing. A secret with spaces ("Bearer sk_...") is also
    hidden word by word (words of 8 characters or more), since a platform that echoes a
    refused credential usually echoes only the token.
    """
    found = {s for secret in secrets for s in strings_in(secret) if len(s) >= 4}
    found |= {word for s in found if " " in s for word in s.split() if len(word) >= 8}
    for secret in sorted(found, key=len, reverse=True):
        text = text.replace(secret, SECRET_MASK)
    return text
