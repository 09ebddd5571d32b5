"""Shared types of the compiler: the undefined sentinel, resolvers and the compile callback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Protocol

from eventyard.mapping.errors import Loc

__all__ = ["UNDEFINED", "Compile", "Resolver", "const", "directive_key", "is_undefined"]


class _Undefined:
    """JS `undefined`: a value that is not there. Objects drop keys that resolve to it."""

    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Final = _Undefined()

Resolver = Callable[[Any], Any]


class Compile(Protocol):
    """The compiler's entry point, handed to directive builders so that they can nest."""

    def __call__(self, node: Any, loc: Loc) -> Resolver: ...


def is_undefined(value: object) -> bool:
    """True for the sentinel only (null is a value)."""
    return value is UNDEFINED


def const(value: Any) -> Resolver:
    """A resolver for a scalar that needs no event."""
    return lambda _event: value


def directive_key(node: object) -> str | None:
    """The first @-key of a dict (mapping-kit treats any such dict as a directive)."""
    if type(node) is dict:
        for key in node:
            if isinstance(key, str) and key.startswith("@"):
                return key
    return None
