"""`eventyard typegen`: a small typed module for a tracking plan, in Python or TypeScript.

One function per planned event (plus `identify` and `group` when the plan has their traits)
with a typed argument per property: required properties are required arguments, optional
ones may be left out, nested objects are record types, enums are literal types. The
functions call the Segment client the application already uses (`segment.analytics` in
Python, analytics.js / `@segment/analytics-next` in TypeScript), passed as the first
argument, so the module itself imports nothing beyond the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from eventyard.protocols.typegen_model import Field, TypeBuilder, words

__all__ = ["Call", "Language", "generate", "plan_calls", "summary"]

Language = Literal["python", "typescript"]


@dataclass(frozen=True, slots=True)
class Call:
    """One generated function: the Segment call it makes and what it sends."""

    kind: Literal["track", "identify", "group"]
    name: str
    """The event name sent (track), else the call type."""
    fields: tuple[Field, ...] | None
    """Declared properties (traits); None: the schema declares none (a free-form map)."""
    description: str


def plan_calls(plan: dict[str, Any], builder: TypeBuilder) -> list[Call]:
    """The calls of a `tracking_plans` document, records collected in `builder`."""
    calls = []
    for name, schema in plan.get("events", {}).items():
        fields = builder.fields(schema, words(name), schema)
        description = schema.get("description", "") if isinstance(schema, dict) else ""
        calls.append(Call("track", name, fields, str(description)))
    for kind, key in (("identify", "identify_traits"), ("group", "group_traits")):
        schema = plan.get(key)
        if schema is not None:
            fields = builder.fields(schema, [kind.title(), "Traits"], schema)
            description = str(schema.get("description", ""))
            calls.append(
                Call("identify" if kind == "identify" else "group", kind, fields, description)
            )
    return calls


def generate(plan: dict[str, Any], language: Language) -> str:
    """The module's source text for a `tracking_plans` document."""
    if language == "python":
        from eventyard.protocols.typegen_python import render_python

        return render_python(plan)
    from eventyard.protocols.typegen_typescript import render_typescript

    return render_typescript(plan)


def summary(text: str) -> str:
    """The first line of a description, for a comment or docstring."""
    stripped = text.strip()
    return stripped.splitlines()[0] if stripped else ""
