"""tsub's wire IR: FQL as JSON prefix arrays, as analytics.js reads `routingRules`.

`["and", ["=", "type", {"value": "track"}], ["contains", "email", {"value": ".com"}]]`:
a bare string is a path, `{"value": v}` a literal (list items wrapped one by one), an array
an operator or function call. `and`/`or` are n-ary. A path key that contains `.` or `\\`
is written with a backslash escape; tsub-js itself splits on every dot and cannot read it.
"""

from __future__ import annotations

import math
from typing import Any

from eventyard.fql.errors import FQLIRError
from eventyard.fql.filter import Filter
from eventyard.fql.functions import ARITY
from eventyard.fql.nodes import Bool, Call, Cmp, Lit, Node, Not, Path, to_text

__all__ = ["from_ir", "node_from_ir", "to_ir"]

_BINARY = frozenset({"=", "!=", "<", "<=", ">", ">=", "in"})
_MAX_DEPTH = 64


def _literal_ir(value: Any) -> Any:
    if isinstance(value, list):
        return {"value": [_literal_ir(v) for v in value]}
    return {"value": value}


def _path_ir(keys: tuple[str, ...]) -> str:
    return ".".join(k.replace("\\", "\\\\").replace(".", "\\.") for k in keys)


def to_ir(target: Filter | Node) -> Any:
    """The IR of a filter: a list for any operator, a str for a bare path, a dict for a literal."""
    node = target.node if isinstance(target, Filter) else target
    if isinstance(node, Lit):
        return _literal_ir(node.value)
    if isinstance(node, Path):
        return _path_ir(node.keys)
    if isinstance(node, Call):
        return [node.name, *(to_ir(a) for a in node.args)]
    if isinstance(node, Not):
        return ["!", to_ir(node.operand)]
    if isinstance(node, Bool):
        return [node.op, *(to_ir(item) for item in node.items)]
    return [node.op, to_ir(node.left), to_ir(node.right)]


def from_ir(ir: Any) -> Filter:
    """A Filter from decoded IR JSON; its `text` is canonical FQL. Raises FQLIRError."""
    node = node_from_ir(ir)
    return Filter(to_text(node), node)


def node_from_ir(ir: Any, depth: int = 0) -> Node:
    if depth > _MAX_DEPTH:
        raise FQLIRError(f"IR nested more than {_MAX_DEPTH} levels deep")
    if isinstance(ir, str):
        return _path(ir)
    if isinstance(ir, dict):
        if set(ir) != {"value"}:
            raise FQLIRError(f'a literal must be {{"value": ...}}, got keys {sorted(ir)}')
        return Lit(_literal(ir["value"], depth))
    if not isinstance(ir, list) or not ir or not isinstance(ir[0], str):
        raise FQLIRError(f"expected a path, a literal or an operator array, got {ir!r:.80}")
    op, args = ir[0], [node_from_ir(a, depth + 1) for a in ir[1:]]
    if op in ("and", "or"):
        if not args:
            return Lit(op == "and")
        return args[0] if len(args) == 1 else Bool(op, tuple(args))
    expected = 1 if op == "!" else 2 if op in _BINARY else ARITY.get(op)
    if expected is None:
        raise FQLIRError(f"unknown IR operator {op!r}")
    if len(args) != expected:
        raise FQLIRError(f"{op!r} takes {expected} operand(s), got {len(args)}")
    if op == "!":
        return Not(args[0])
    if op in _BINARY:
        return Cmp(op, args[0], args[1])
    return Call(op, tuple(args))


def _literal(value: Any, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        raise FQLIRError(f"IR nested more than {_MAX_DEPTH} levels deep")
    if isinstance(value, list):
        items = []
        for item in value:
            if not isinstance(item, dict) or set(item) != {"value"}:
                raise FQLIRError(f'list items must be {{"value": ...}}, got {item!r:.80}')
            items.append(_literal(item["value"], depth + 1))
        return items
    if isinstance(value, float) and not math.isfinite(value):
        raise FQLIRError(f"literal {value!r} is not a JSON number")
    if value is None or isinstance(value, str | bool | int | float):
        return value
    raise FQLIRError(f"unsupported literal {value!r:.80}")


def _path(text: str) -> Path:
    keys: list[str] = []
    current: list[str] = []
    chars = iter(text)
    for ch in chars:
        if ch == "\\":
            current.append(next(chars, "\\"))
        elif ch == ".":
            keys.append("".join(current))
            current = []
        else:
            current.append(ch)
    keys.append("".join(current))
    if not keys[0]:
        raise FQLIRError(f"invalid path {text!r}")
    return Path(tuple(keys))
