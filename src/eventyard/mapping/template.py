"""`@template`: `{{path}}` / `{{{path}}}` placeholders, precompiled to literal and path parts."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from eventyard.mapping._core import UNDEFINED, Resolver
from eventyard.mapping.js import js_string
from eventyard.mapping.paths import compile_path

__all__ = ["compile_template", "render_template"]

# Triple braces first, then double, as mapping-kit's two replace passes match them.
_PLACEHOLDER = re.compile(r"\{\{\{([^}]+)\}\}\}|\{\{([^}]+)\}\}")


def _text(value: Any) -> str:
    """Missing and null become '', everything else JS String() (objects: `[object Object]`)."""
    if value is None or value is UNDEFINED:
        return ""
    if type(value) is str:
        return value
    return js_string(value)


@lru_cache(maxsize=1024)
def compile_template(template: str) -> Resolver:
    """Split once at config time; rendering is then a join over the parts."""
    parts: list[str | Resolver] = []
    last = 0
    for match in _PLACEHOLDER.finditer(template):
        if match.start() > last:
            parts.append(template[last : match.start()])
        path = (match.group(1) or match.group(2)).strip()
        parts.append(compile_path(path))
        last = match.end()
    if last < len(template):
        parts.append(template[last:])
    if not parts:
        return lambda _event: ""
    if len(parts) == 1 and isinstance(parts[0], str):
        text = parts[0]
        return lambda _event: text
    frozen = tuple(parts)

    def render(event: Any) -> str:
        return "".join(p if type(p) is str else _text(p(event)) for p in frozen)  # type: ignore[operator]

    return render


def render_template(template: str, event: Any) -> str:
    """Render a template string against an event (for one-off use and tests)."""
    result: str = compile_template(template)(event)
    return result
