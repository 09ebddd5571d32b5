"""Syntax tree -> nested Python closures, so evaluating an event walks no tree.

The common shapes (`path = "literal"`, `path > 100`, `contains(path, "x")`, `path in [...]`)
get dedicated closures with the literal and the path keys bound in advance. No closure
raises on JSON-shaped input: every type check happens before the operation it guards.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from eventyard.fql.functions import FUNCTIONS, fql_type, in_list, strict_eq
from eventyard.fql.glob import compile_glob
from eventyard.fql.nodes import Bool, Call, Cmp, Lit, Node, Not, Path

__all__ = ["Test", "Value", "compile_test", "compile_value", "getter"]

Value = Callable[[Any], Any]
Test = Callable[[Any], bool]

_NUM = frozenset({int, float})
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _const(result: bool) -> Test:
    return (lambda _e: True) if result else (lambda _e: False)


def getter(keys: tuple[str, ...]) -> Value:
    """A closure reading `keys` from an event; None when any step is missing or not a dict."""
    if len(keys) == 1:
        (a,) = keys
        return lambda e: e.get(a) if isinstance(e, dict) else None
    if len(keys) == 2 and not any(k.isascii() and k.isdigit() for k in keys):
        a, b = keys

        def get2(e: Any) -> Any:
            if isinstance(e, dict):
                v = e.get(a)
                if isinstance(v, dict):
                    return v.get(b)
            return None

        return get2
    steps = [(k, int(k) if k.isascii() and k.isdigit() else None) for k in keys]

    def get(e: Any) -> Any:
        for key, index in steps:
            if isinstance(e, dict):
                e = e.get(key)
            elif index is not None and isinstance(e, list):
                e = e[index] if index < len(e) else None
            else:
                return None
        return e

    return get


def compile_value(node: Node) -> Value:
    """A closure returning the node's JSON value (None for null or missing)."""
    if isinstance(node, Lit):
        value = node.value
        return lambda _e: value
    if isinstance(node, Path):
        return getter(node.keys)
    if isinstance(node, Call):
        return _call(node)
    return compile_test(node)


def _call(node: Call) -> Value:
    fn = FUNCTIONS[node.name]
    args = [compile_value(a) for a in node.args]
    if node.name in ("contains", "match") and isinstance(node.args[1], Lit):
        return _string_predicate(node.name, args[0], node.args[1].value)
    if len(args) == 1:
        (a,) = args
        return lambda e: fn(a(e))
    a, b = args
    return lambda e: fn(a(e), b(e))


def _string_predicate(name: str, subject: Value, literal: Any) -> Test:
    if not isinstance(literal, str):
        return _const(False)
    if name == "contains":
        return lambda e: isinstance(s := subject(e), str) and literal in s
    glob = compile_glob(literal)
    if glob is None:
        return _const(False)
    return lambda e: isinstance(s := subject(e), str) and glob.matches(s)


def compile_test(node: Node) -> Test:
    """A closure returning True only where the node evaluates to the boolean true."""
    if isinstance(node, Lit):
        return _const(node.value is True)
    if isinstance(node, Not):
        inner = compile_test(node.operand)
        return lambda e: not inner(e)
    if isinstance(node, Bool):
        return _bool(node.op, [compile_test(item) for item in node.items])
    if isinstance(node, Cmp):
        return _compare(node)
    value = compile_value(node)
    if isinstance(node, Call) and node.name in ("contains", "match"):
        return value  # already a predicate returning a bool
    return lambda e: value(e) is True


def _bool(op: str, tests: list[Test]) -> Test:
    if op == "and":
        if len(tests) == 2:
            a, b = tests
            return lambda e: a(e) and b(e)
        if len(tests) == 3:
            a, b, c = tests
            return lambda e: a(e) and b(e) and c(e)
        return lambda e: all(t(e) for t in tests)
    if len(tests) == 2:
        a, b = tests
        return lambda e: a(e) or b(e)
    return lambda e: any(t(e) for t in tests)


def _compare(node: Cmp) -> Test:
    op, left, right = node.op, node.left, node.right
    if op in ("=", "!="):
        eq = _equals(left, right)
        return eq if op == "=" else (lambda e: not eq(e))
    if op == "in":
        return _in(left, right)
    if isinstance(left, Lit) and not isinstance(right, Lit):
        op, left, right = _MIRROR[op], right, left
    order = _ORDER[op]
    if isinstance(right, Lit):
        bound = right.value
        if type(bound) not in _NUM:
            return _const(False)
        get = compile_value(left)
        return lambda e: type(x := get(e)) in _NUM and order(x, bound)
    a, b = compile_value(left), compile_value(right)
    return lambda e: type(x := a(e)) in _NUM and type(y := b(e)) in _NUM and order(x, y)


def _equals(left: Node, right: Node) -> Test:
    if isinstance(left, Lit) and not isinstance(right, Lit):
        left, right = right, left
    if not isinstance(right, Lit) or isinstance(left, Lit):
        a, b = compile_value(left), compile_value(right)
        return lambda e: strict_eq(a(e), b(e))
    want = right.value
    kind = fql_type(want)
    if kind == "string" and isinstance(left, Path) and len(left.keys) == 1:
        (key,) = left.keys
        return lambda e: isinstance(e, dict) and e.get(key) == want
    get = compile_value(left)
    if kind == "string":
        return lambda e: get(e) == want
    if kind in ("bool", "null"):
        return lambda e: get(e) is want
    if kind == "number":
        return lambda e: (x := get(e)) == want and type(x) is not bool
    return lambda e: strict_eq(get(e), want)


def _in(left: Node, right: Node) -> Test:
    get = compile_value(left)
    if not isinstance(right, Lit):
        items = compile_value(right)
        return lambda e: in_list(get(e), items(e))
    values = right.value
    if not isinstance(values, list):
        return _const(False)
    if values and all(type(v) is str for v in values):
        strings = frozenset(values)
        return lambda e: isinstance(x := get(e), str) and x in strings
    if values and all(type(v) in _NUM for v in values):
        numbers = frozenset(values)
        return lambda e: type(x := get(e)) in _NUM and x in numbers
    return lambda e: in_list(get(e), values)
