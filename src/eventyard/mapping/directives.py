"""Builders for the lookup and control directives: each checks its argument, returns a closure.

A builder gets the directive's argument, the location of the directive object and the
compiler, so that arguments can hold nested directives anywhere.
"""

from __future__ import annotations

from typing import Any

from eventyard.mapping._core import UNDEFINED, Compile, Resolver, directive_key
from eventyard.mapping.args import kind, object_arg
from eventyard.mapping.errors import Loc, MappingError
from eventyard.mapping.js import js_loose_blank, js_truthy
from eventyard.mapping.paths import compile_path, get_path, parse_path
from eventyard.mapping.template import compile_template

__all__ = [
    "build_array_path",
    "build_case",
    "build_exclude_when_null",
    "build_if",
    "build_literal",
    "build_merge",
    "build_path",
    "build_template",
    "build_transform",
]


def _string_or_directive(name: str, arg: Any, loc: Loc, compile_: Compile) -> Resolver | str:
    if isinstance(arg, str):
        return arg
    if directive_key(arg) is not None:
        return compile_(arg, (*loc, name))
    raise MappingError(loc, f"{name} must be a string or a directive, got {kind(arg)}")


def build_path(arg: Any, loc: Loc, compile_: Compile) -> Resolver:
    """`$.a.b[0]`; a nested directive may compute the path (rare, so parsed per event)."""
    spec = _string_or_directive("@path", arg, loc, compile_)
    if isinstance(spec, str):
        return compile_path(spec)
    dynamic = spec

    def resolve(event: Any) -> Any:
        path = dynamic(event)
        return get_path(event, parse_path(path)) if isinstance(path, str) else UNDEFINED

    return resolve


def build_template(arg: Any, loc: Loc, compile_: Compile) -> Resolver:
    """Placeholders become '' when missing; a computed template must resolve to a string."""
    spec = _string_or_directive("@template", arg, loc, compile_)
    if isinstance(spec, str):
        return compile_template(spec)
    dynamic = spec

    def resolve(event: Any) -> Any:
        text = dynamic(event)
        return compile_template(text)(event) if isinstance(text, str) else UNDEFINED

    return resolve


def build_literal(arg: Any, loc: Loc, compile_: Compile) -> Resolver:
    """mapping-kit resolves a literal's value too, so nested directives still run."""
    return compile_(arg, (*loc, "@literal"))


def build_exclude_when_null(arg: Any, loc: Loc, compile_: Compile) -> Resolver:
    """Null becomes undefined, so the key disappears instead of being sent as null."""
    inner = compile_(arg, (*loc, "@excludeWhenNull"))

    def resolve(event: Any) -> Any:
        value = inner(event)
        return UNDEFINED if value is None else value

    return resolve


def build_if(arg: Any, loc: Loc, compile_: Compile) -> Resolver:
    """`exists` (not null/undefined) or `blank` (also not JS-loosely equal to '').

    As in mapping-kit, `else` is taken only when its raw value is JS-truthy, so a literal
    `else: false`, `0`, `""` or `null` omits the key like a missing branch does.
    """
    opts = object_arg("@if", arg, loc, (), ("exists", "blank", "then", "else"))
    if "exists" not in opts and "blank" not in opts:
        raise MappingError(loc, '@if needs an "exists" or a "blank" key')
    if "then" not in opts and "else" not in opts:
        raise MappingError(loc, '@if needs a "then" or an "else" branch')
    blank = "exists" not in opts
    at = (*loc, "@if")
    key = "blank" if blank else "exists"
    test = compile_(opts[key], (*at, key))
    then = compile_(opts["then"], (*at, "then")) if "then" in opts else None
    other = compile_(opts["else"], (*at, "else")) if js_truthy(opts.get("else")) else None

    def resolve(event: Any) -> Any:
        value = test(event)
        ok = value is not None and value is not UNDEFINED
        if ok and blank:
            ok = not js_loose_blank(value)
        branch = then if ok else other
        return UNDEFINED if branch is None else branch(event)

    return resolve


def build_case(arg: Any, loc: Loc, compile_: Compile) -> Resolver:
    """Lower- or upper-case strings; other values pass through unchanged."""
    opts = object_arg("@case", arg, loc, ("operator",), ("value",))
    operator = opts["operator"]
    if operator not in ("lower", "upper"):
        raise MappingError((*loc, "@case", "operator"), '@case.operator must be "lower" or "upper"')
    if not js_truthy(opts.get("value")):
        return lambda _event: UNDEFINED
    inner = compile_(opts["value"], (*loc, "@case", "value"))
    upper = operator == "upper"

    def resolve(event: Any) -> Any:
        value = inner(event)
        if isinstance(value, str):
            return value.upper() if upper else value.lower()
        return value

    return resolve


def build_array_path(arg: Any, loc: Loc, compile_: Compile) -> Resolver:
    """`[path, itemShape?]`: map each item with the shape, paths relative to the item."""
    if not isinstance(arg, list) or not 1 <= len(arg) <= 2:
        raise MappingError(loc, f"@arrayPath must be [path] or [path, itemShape], got {kind(arg)}")
    at = (*loc, "@arrayPath")
    path = arg[0]
    if isinstance(path, str):
        root = compile_path(path)
    elif directive_key(path) is not None:
        root = compile_(path, (*at, 0))
    else:
        raise MappingError((*at, 0), "@arrayPath path must be a string or a directive")
    shape_arg = arg[1] if len(arg) == 2 else None
    if shape_arg is not None and not isinstance(shape_arg, dict):
        raise MappingError(
            (*at, 1), f"@arrayPath item shape must be an object, got {kind(shape_arg)}"
        )
    if not shape_arg:
        return root
    shape = compile_(shape_arg, (*at, 1))

    def resolve(event: Any) -> Any:
        value = root(event)
        if type(value) is dict:
            value = [value]
        elif type(value) is not list:
            return value
        out = [shape(item) for item in value]
        return [None if v is UNDEFINED else v for v in out]

    return resolve


def build_merge(arg: Any, loc: Loc, compile_: Compile) -> Resolver:
    """Shallow-merge objects; `right` lets later objects win, `left` earlier ones."""
    opts = object_arg("@merge", arg, loc, ("objects", "direction"), ())
    at = (*loc, "@merge")
    if opts["direction"] not in ("left", "right"):
        raise MappingError((*at, "direction"), '@merge.direction must be "left" or "right"')
    objects = opts["objects"]
    if not isinstance(objects, list):
        raise MappingError(
            (*at, "objects"), f"@merge.objects must be an array, got {kind(objects)}"
        )
    parts: list[Resolver] = []
    for i, item in enumerate(objects):
        if not isinstance(item, dict):
            raise MappingError(
                (*at, "objects", i), f"@merge objects must be objects, got {kind(item)}"
            )
        parts.append(compile_(item, (*at, "objects", i)))
    if opts["direction"] == "left":
        parts.reverse()
    frozen = tuple(parts)

    def resolve(event: Any) -> Any:
        out: dict[str, Any] = {}
        for part in frozen:
            value = part(event)
            if type(value) is dict:
                out.update(value)
        return out

    return resolve


def build_transform(arg: Any, loc: Loc, compile_: Compile) -> Resolver:
    """Map the event with `apply`, then map that result with `mapping`."""
    opts = object_arg("@transform", arg, loc, ("apply", "mapping"), ())
    at = (*loc, "@transform")
    if not isinstance(opts["apply"], dict):
        raise MappingError((*at, "apply"), "@transform.apply must be an object")
    first = compile_(opts["apply"], (*at, "apply"))
    second = compile_(opts["mapping"], (*at, "mapping"))

    def resolve(event: Any) -> Any:
        return second(first(event))

    return resolve
