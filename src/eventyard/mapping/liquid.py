"""`@liquid` through python-liquid, restricted the way Segment restricts LiquidJS.

python-liquid is optional: without it `@liquid` fails at config time with a clear message.
Templates are parsed at config time (syntax errors, disabled tags and filters are config
errors); a render error at run time makes the value undefined instead of raising.
"""

from __future__ import annotations

import importlib
import re
from functools import cache
from typing import Any

from eventyard.mapping._core import UNDEFINED, Compile, Resolver
from eventyard.mapping.args import kind
from eventyard.mapping.errors import Loc, MappingError

__all__ = ["DISABLED_FILTERS", "DISABLED_TAGS", "MAX_LIQUID_LENGTH", "build_liquid"]

MAX_LIQUID_LENGTH = 1000
DISABLED_TAGS = ("case", "for", "include", "layout", "render", "tablerow")
DISABLED_FILTERS = (
    "array_to_sentence_string", "concat", "find", "find_exp", "find_index", "find_index_exp",
    "group_by", "group_by_exp", "has", "has_exp", "map", "newline_to_br", "reject",
    "reject_exp", "reverse", "sort", "sort_natural", "uniq", "where_exp", "type",
)  # fmt: skip
_FILTER_USE = re.compile(r"\|\s*(" + "|".join(DISABLED_FILTERS) + r")\b")


@cache
def _environment() -> Any:
    """One restricted environment, built on first use (None without python-liquid)."""
    try:
        liquid = importlib.import_module("liquid")
    except ImportError:
        return None

    class Restricted(liquid.Environment):  # type: ignore[misc,name-defined]
        loop_iteration_limit = 1000
        output_stream_limit = 100_000
        context_depth_limit = 30

        def setup_tags_and_filters(self, *, extra: bool = False) -> None:
            super().setup_tags_and_filters(extra=extra)
            for tag in DISABLED_TAGS:
                self.tags.pop(tag, None)
            for name in DISABLED_FILTERS:
                self.filters.pop(name, None)

    return Restricted()


def build_liquid(arg: Any, loc: Loc, compile_: Compile) -> Resolver:
    """Parse once; render against the event, whose top-level keys become variables."""
    del compile_
    if not isinstance(arg, str):
        raise MappingError(loc, f"@liquid must be a string, got {kind(arg)}")
    if len(arg) > MAX_LIQUID_LENGTH:
        raise MappingError(loc, f"@liquid templates are limited to {MAX_LIQUID_LENGTH} characters")
    env = _environment()
    if env is None:
        raise MappingError(loc, "@liquid is not supported here: install python-liquid")
    used = _FILTER_USE.search(arg)
    if used:
        raise MappingError(loc, f'@liquid: filter "{used.group(1)}" is disabled')
    try:
        template = env.from_string(arg)
    except Exception as error:  # python-liquid raises LiquidError subclasses
        first_line = str(error).splitlines()[0]
        raise MappingError(loc, f"@liquid: {first_line}") from None

    def resolve(event: Any) -> Any:
        if type(event) is not dict:
            event = {}
        try:
            return template.render(**{str(k): v for k, v in event.items()})
        except Exception:  # a bad value must not fail the whole event
            return UNDEFINED

    return resolve
