"""Builders for the value-reshaping directives: `@replace`, `@flatten`, `@json`."""

from __future__ import annotations

import json
import re
from typing import Any

from eventyard.mapping._core import UNDEFINED, Compile, Resolver
from eventyard.mapping.args import kind, object_arg, optional_bool, optional_str
from eventyard.mapping.errors import Loc, MappingError
from eventyard.mapping.js import js_json, js_number, js_truthy

__all__ = ["build_flatten", "build_json", "build_replace"]

_JS_REPLACEMENT = re.compile(r"\$[$&`']")


def _replacer(pattern: str, replacement: str, ignorecase: bool, count: int) -> Any:
    """A literal-pattern replace with JS's `$$`, `$&`, `` $` `` and `$'` in the replacement."""
    regex = re.compile(re.escape(pattern), re.IGNORECASE if ignorecase else 0)
    if "$" not in replacement:
        plain = replacement.replace("\\", "\\\\")
        return lambda text: regex.sub(plain, text, count=count)

    def expand(match: re.Match[str]) -> str:
        text = match.string
        table = {
            "$$": "$",
            "$&": match.group(0),
            "$`": text[: match.start()],
            "$'": text[match.end() :],
        }
        return _JS_REPLACEMENT.sub(lambda m: table[m.group(0)], replacement)

    return lambda text: regex.sub(expand, text, count=count)


def build_replace(arg: Any, loc: Loc, compile_: Compile) -> Resolver:
    """Replace a literal string (regex characters are not special), optionally twice."""
    name = "@replace"
    at = (*loc, name)
    opts = object_arg(
        name,
        arg,
        loc,
        ("pattern", "value"),
        ("replacement", "global", "ignorecase", "pattern2", "replacement2"),
    )
    pattern = optional_str(name, opts, "pattern", at, "")
    if not pattern:
        raise MappingError((*at, "pattern"), "@replace.pattern must be a non-empty string")
    replacement = optional_str(name, opts, "replacement", at, "")
    count = 0 if optional_bool(name, opts, "global", at, True) else 1
    ignorecase = optional_bool(name, opts, "ignorecase", at, False)
    steps = [_replacer(pattern, replacement, ignorecase, count)]
    pattern2 = optional_str(name, opts, "pattern2", at, "")
    if pattern2:
        replacement2 = optional_str(name, opts, "replacement2", at, "")
        steps.append(_replacer(pattern2, replacement2, ignorecase, count))
    if not js_truthy(opts["value"]):
        return lambda _event: UNDEFINED
    inner = compile_(opts["value"], (*at, "value"))

    def resolve(event: Any) -> Any:
        value = inner(event)
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, int | float):
            value = js_number(value)
        elif not isinstance(value, str):
            return ""  # mapping-kit returns '' for null, missing and objects
        for step in steps:
            value = step(value)
        return value

    return resolve


def _flatten(value: Any, prefix: str, sep: str, omit_arrays: bool, out: dict[str, Any]) -> None:
    items = value.items() if type(value) is dict else enumerate(value)
    for key, item in items:
        name = f"{prefix}{key}"
        if type(item) is dict or (type(item) is list and not omit_arrays):
            _flatten(item, f"{name}{sep}", sep, omit_arrays, out)
        else:
            out[name] = item


def build_flatten(arg: Any, loc: Loc, compile_: Compile) -> Resolver:
    """Nested objects (and arrays, unless omitArrays) become one level of joined keys."""
    name = "@flatten"
    at = (*loc, name)
    opts = object_arg(name, arg, loc, ("value", "separator"), ("omitArrays",))
    separator = opts["separator"]
    if not isinstance(separator, str) or not separator:
        raise MappingError((*at, "separator"), f"{name}.separator must be a non-empty string")
    omit_arrays = optional_bool(name, opts, "omitArrays", at, False)
    inner = compile_(opts["value"], (*at, "value"))

    def resolve(event: Any) -> Any:
        value = inner(event)
        out: dict[str, Any] = {}
        if type(value) is dict or type(value) is list:
            _flatten(value, "", separator, omit_arrays, out)
        return out

    return resolve


def _no_constants(text: str) -> Any:
    raise ValueError(text)  # JSON.parse rejects NaN and Infinity


def build_json(arg: Any, loc: Loc, compile_: Compile) -> Resolver:
    """Encode to a JSON string, or decode one; text that is not JSON decodes to itself."""
    opts = object_arg("@json", arg, loc, ("mode", "value"), ())
    mode = opts["mode"]
    if mode not in ("encode", "decode"):
        raise MappingError(
            (*loc, "@json", "mode"), f'@json.mode must be "encode" or "decode", got {kind(mode)}'
        )
    inner = compile_(opts["value"], (*loc, "@json", "value"))
    if mode == "encode":
        return lambda event: js_json(inner(event))

    def decode(event: Any) -> Any:
        value = inner(event)
        if isinstance(value, str):
            try:
                return json.loads(value, parse_constant=_no_constants)
            except (ValueError, RecursionError):
                return value
        return value

    return decode
