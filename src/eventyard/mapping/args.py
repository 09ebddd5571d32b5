"""Checks on a directive's argument, so that a wrong shape fails at config time."""

from __future__ import annotations

from typing import Any

from eventyard.mapping._core import directive_key
from eventyard.mapping.errors import Loc, MappingError

__all__ = ["kind", "object_arg", "optional_bool", "optional_str"]


def kind(value: Any) -> str:
    """The JSON type name used in messages."""
    if directive_key(value) is not None:
        return "a directive"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def object_arg(
    name: str, arg: Any, loc: Loc, required: tuple[str, ...], optional: tuple[str, ...]
) -> dict[str, Any]:
    """The argument must be a plain object with the required keys and no unknown ones."""
    if type(arg) is not dict or directive_key(arg) is not None:
        raise MappingError(loc, f"{name} must be an object, got {kind(arg)}")
    for key in required:
        if key not in arg:
            raise MappingError(loc, f'{name} needs a "{key}" key')
    allowed = required + optional
    for key in arg:
        if key not in allowed:
            expected = ", ".join(allowed)
            raise MappingError(loc, f'{name} has an unknown key "{key}" (expected: {expected})')
    return arg


def optional_str(name: str, arg: dict[str, Any], key: str, loc: Loc, default: str) -> str:
    """A literal string option; null counts as missing, as in mapping-kit."""
    value = arg.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise MappingError((*loc, key), f"{name}.{key} must be a string, got {kind(value)}")
    return value


def optional_bool(name: str, arg: dict[str, Any], key: str, loc: Loc, default: bool) -> bool:
    """A literal boolean option; null counts as missing."""
    value = arg.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise MappingError((*loc, key), f"{name}.{key} must be a boolean, got {kind(value)}")
    return value
