"""`eventyard typegen --lang python`: a module that passes `mypy --strict`.

    import segment.analytics as analytics
    from tracking import order_completed
    order_completed(analytics, user_id="u1", order_id="o-1", revenue=42.0)

Record types are `TypedDict`s (functional syntax: any property name works), enums are
`Literal`s; every argument is keyword-only. Names made from event and property names are
snake_case identifiers, renamed with a trailing `_` where they would clash with a keyword
or with the functions' own arguments; what is sent keeps the plan's exact names.
"""

from __future__ import annotations

import json
import keyword
from typing import Any

from eventyard.protocols.typegen import Call, plan_calls, summary
from eventyard.protocols.typegen_model import (
    AnyType,
    ListType,
    LiteralType,
    MapType,
    Named,
    Prim,
    RecordType,
    Type,
    TypeBuilder,
    UnionType,
    words,
)

__all__ = ["render_python"]

_PRIMS = {"string": "str", "number": "float", "integer": "int", "boolean": "bool", "null": "None"}
_FIXED = ("analytics", "user_id", "anonymous_id", "group_id", "context", "message_id")
_RESERVED_TYPES = {"Analytics", "Any", "Literal", "NotRequired", "Protocol", "TypedDict"}
_INDENT = "    "


def _pascal(parts: list[str]) -> str:
    name = "".join(part[:1].upper() + part[1:] for part in parts)
    return f"T{name}" if name[:1].isdigit() or name in _RESERVED_TYPES else name


def _str(text: str) -> str:
    """A double-quoted Python string literal (JSON's escapes are Python's too)."""
    return json.dumps(text, ensure_ascii=False)


def _snake(text: str, taken: set[str], prefix: str) -> str:
    """A new identifier for `text`, not in `taken` (which it is added to)."""
    base = "_".join(part.lower() for part in words(text)) or prefix
    if base[0].isdigit():
        base = f"{prefix}_{base}"
    if keyword.iskeyword(base) or keyword.issoftkeyword(base) or base in _FIXED:
        base += "_"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def annotation(kind: Type) -> str:
    if isinstance(kind, Prim):
        return _PRIMS[kind.name]
    if isinstance(kind, ListType):
        return f"list[{annotation(kind.item)}]"
    if isinstance(kind, Named):
        return kind.name
    if isinstance(kind, MapType):
        return "dict[str, Any]"
    if isinstance(kind, LiteralType):
        if any(isinstance(v, float) for v in kind.values):  # Literal takes no floats
            return "float"
        shown = (_str(v) if isinstance(v, str) else repr(v) for v in kind.values)
        return f"Literal[{', '.join(shown)}]"
    if isinstance(kind, UnionType):
        return " | ".join(dict.fromkeys(annotation(option) for option in kind.options))
    assert isinstance(kind, AnyType)
    return "Any"


def _record(record: RecordType) -> list[str]:
    items = []
    for field in record.fields:
        shown = annotation(field.type)
        items.append(f"{_str(field.key)}: {shown if field.required else f'NotRequired[{shown}]'}")
    lines = [f"{record.name} = TypedDict("]
    lines.append(f"{_INDENT}{_str(record.name)},")
    lines.append(f"{_INDENT}{{")
    lines += [f"{_INDENT * 2}{item}," for item in items]
    lines.append(f"{_INDENT}}},")
    lines.append(")")
    if record.description.strip():
        lines.append(f"# {summary(record.description)}")
    return [*lines, "", ""]


def _with_none(text: str) -> str:
    return text if text == "Any" or "None" in text.split(" | ") else f"{text} | None"


def _parameters(call: Call, names: dict[str, str]) -> list[str]:
    params = ["analytics: Analytics", "*"]
    if call.kind == "group":
        params.append("group_id: str")
    params += ["user_id: str | None = None", "anonymous_id: str | None = None"]
    required = [f for f in call.fields or () if f.required]
    optional = [f for f in call.fields or () if not f.required]
    params += [f"{names[f.key]}: {annotation(f.type)}" for f in required]
    params += [f"{names[f.key]}: {_with_none(annotation(f.type))} = None" for f in optional]
    if call.fields is None:
        params.append(f"{_payload(call)}: dict[str, Any] | None = None")
    params += ["context: dict[str, Any] | None = None", "message_id: str | None = None"]
    return params


def _payload(call: Call) -> str:
    return "properties" if call.kind == "track" else "traits"


def _body(call: Call, names: dict[str, str]) -> list[str]:
    payload = _payload(call)
    lines = []
    if call.fields is not None:  # else the caller passes the free-form map itself
        required = [f"{_INDENT}{_str(f.key)}: {names[f.key]}," for f in call.fields if f.required]
        if required:
            lines += [f"{payload}: dict[str, Any] = {{", *required, "}"]
        else:
            lines.append(f"{payload}: dict[str, Any] = {{}}")
        for f in (f for f in call.fields if not f.required):
            lines.append(f"if {names[f.key]} is not None:")
            lines.append(f"{_INDENT}{payload}[{_str(f.key)}] = {names[f.key]}")
    if call.kind == "track":
        method, args = "track", [f"event={_str(call.name)}", "properties=properties"]
    elif call.kind == "identify":
        method, args = "identify", ["traits=traits"]
    else:
        method, args = "group", ["group_id=group_id", "traits=traits"]
    args += [f"{key}={key}" for key in ("user_id", "anonymous_id", "context", "message_id")]
    return [*lines, f"analytics.{method}(", *(f"{_INDENT}{arg}," for arg in args), ")"]


def _function(call: Call, taken: set[str]) -> tuple[str, list[str]]:
    name = call.name if call.kind != "track" else _snake(call.name, taken, "track")
    names: dict[str, str] = {}
    own: set[str] = set()
    for field in call.fields or ():
        names[field.key] = _snake(field.key, own, "p")
    what = f'Send the track event "{call.name}".' if call.kind == "track" else f"Send {call.kind}."
    doc = _str(" ".join(part for part in (what, summary(call.description)) if part))
    lines = [f"def {name}("]
    lines += [f"{_INDENT}{param}," for param in _parameters(call, names)]
    lines.append(") -> None:")
    lines.append(f"{_INDENT}{doc}")
    lines += [f"{_INDENT}{line}" for line in _body(call, names)]
    return name, [*lines, "", ""]


_HEADER = '''"""Typed tracking calls for the eventyard tracking plan {plan!r}.

Generated by `eventyard typegen --plan {plan} --lang python`; do not edit: generate it
again when the plan changes. Pass `segment.analytics` (or a `segment.analytics.Client`)
as the first argument of each function.
"""

from __future__ import annotations

from typing import {imports}

__all__ = [
{names}]


class Analytics(Protocol):
    """What the functions call: `segment.analytics`, or a `segment.analytics.Client`."""

    def track(self, *args: Any, **kwargs: Any) -> Any: ...

    def identify(self, *args: Any, **kwargs: Any) -> Any: ...

    def group(self, *args: Any, **kwargs: Any) -> Any: ...


'''


def render_python(plan: dict[str, Any]) -> str:
    """The module for a `tracking_plans` document."""
    builder = TypeBuilder(_pascal)
    calls = plan_calls(plan, builder)
    taken = {"identify", "group"}
    functions = [_function(call, taken) for call in calls]
    records = "".join("\n".join(_record(record)) + "\n" for record in builder.records)
    body = "\n".join(line for _, lines in functions for line in lines)
    used = ["Any", "Protocol"]
    used += [
        name
        for name in ("Literal", "NotRequired", "TypedDict")
        if f"{name}[" in records + body or f"{name}(" in records
    ]
    exported = sorted(["Analytics", *(r.name for r in builder.records), *(n for n, _ in functions)])
    text = _HEADER.format(
        plan=str(plan.get("name", "")),
        imports=", ".join(sorted(used)),
        names="".join(f"{_INDENT}{_str(name)},\n" for name in exported),
    )
    return (text + records + body).rstrip() + "\n"
