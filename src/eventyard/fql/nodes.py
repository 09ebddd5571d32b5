"""The FQL syntax tree, shared by the parser, the compiler and the wire IR, plus `to_text`.

`to_text` writes canonical FQL back, so that a filter loaded from tsub IR still has
readable source text (`Filter.text`) and re-parses to the same tree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from eventyard.fql.tokenizer import KEYWORDS

__all__ = ["Bool", "Call", "Cmp", "Lit", "Node", "Not", "Path", "to_text"]


@dataclass(frozen=True, slots=True)
class Lit:
    """A literal: str, int, float, bool, None, or a list of those."""

    value: Any


@dataclass(frozen=True, slots=True)
class Path:
    """A field path as its keys; a bare-digit key also indexes into a list."""

    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node


@dataclass(frozen=True, slots=True)
class Bool:
    """`op` is "and" or "or"; chains are flattened into one n-ary node, as in tsub's IR."""

    op: str
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Cmp:
    """`op` is one of = != < <= > >= in."""

    op: str
    left: Node
    right: Node


Node = Lit | Path | Call | Not | Bool | Cmp

_IDENT = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-$")


def _precedence(node: Node) -> int:
    if isinstance(node, Bool):
        return 1 if node.op == "or" else 2
    if isinstance(node, Not):
        return 3
    if isinstance(node, Cmp):
        return 4
    return 5


def _wrap(node: Node, minimum: int) -> str:
    text = to_text(node)
    return text if _precedence(node) >= minimum else f"({text})"


def _segment(key: str, first: bool) -> str:
    if not key:
        return '""'
    out = "".join(ch if ch in _IDENT else "\\" + ch for ch in key)
    starts_like_number = key[0].isdigit() or (key[:1] == "-" and key[1:2].isdigit())
    if first and (key in KEYWORDS or starts_like_number):
        out = "\\" + out
    return out


def _literal(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def to_text(node: Node) -> str:
    """Canonical FQL for `node` (double-quoted strings, minimal parentheses)."""
    if isinstance(node, Lit):
        return _literal(node.value)
    if isinstance(node, Path):
        return ".".join(_segment(k, i == 0) for i, k in enumerate(node.keys))
    if isinstance(node, Call):
        return f"{node.name}(" + ", ".join(to_text(a) for a in node.args) + ")"
    if isinstance(node, Not):
        return "!" + _wrap(node.operand, 5)
    if isinstance(node, Bool):
        level = _precedence(node) + 1
        return f" {node.op} ".join(_wrap(item, level) for item in node.items)
    return f"{_wrap(node.left, 5)} {node.op} {_wrap(node.right, 5)}"
