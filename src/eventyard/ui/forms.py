"""Forms generated from a destination type's settings Struct: the Struct is the single source of
truth, so a new setting appears in the UI with its type, limits, default and description.

Descriptions come from `msgspec.Meta(description=...)`, else from the attribute docstring
under the field (the convention of every settings Struct here). Secret fields (`Secret`)
never show their value: they say "saved", and an empty input keeps what is stored. A map of
secrets shows each value as the mask, which keeps that value when submitted unchanged.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import textwrap
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import msgspec
import msgspec.inspect as mi

from eventyard.destinations.base import secret_fields

__all__ = ["FormField", "Widget", "humanize", "settings_form", "struct_description"]

Widget = Literal["text", "password", "number", "checkbox", "select", "lines", "pairs", "json"]

_WORDS = {"url": "URL", "api": "API", "id": "ID", "ms": "(ms)", "http": "HTTP", "ip": "IP"}


def humanize(name: str) -> str:
    """`batch_wait_ms` -> "Batch wait (ms)", `api_key` -> "API key"."""
    words = [_WORDS.get(word, word) for word in name.split("_") if word]
    if not words:
        return name
    first = words[0]
    return " ".join([first[:1].upper() + first[1:], *words[1:]])


@dataclass(frozen=True, slots=True)
class FormField:
    """One setting as a form input."""

    name: str
    label: str
    widget: Widget
    required: bool
    secret: bool
    default: Any
    """The value used when the input is left empty (None: no value)."""
    description: str = ""
    choices: tuple[Any, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False

    @property
    def hidden(self) -> bool:
        """The input never shows the stored value: a secret, but not a map of secrets (the
        webhook's `headers`), which lists its names with each value as the mask so that
        one entry can change while the others are kept."""
        return self.secret and self.widget != "pairs"

    @property
    def default_text(self) -> str:
        """The default as the placeholder shows it."""
        if self.default is None or self.default in ([], {}):
            return ""
        if isinstance(self.default, bool):
            return "on" if self.default else "off"
        return str(self.default)


def _unwrap(kind: mi.Type) -> tuple[mi.Type, bool, str]:
    """(the type under Optional/Metadata, whether None is allowed, Meta's description)."""
    optional, description = False, ""
    while True:
        if isinstance(kind, mi.Metadata):
            description = description or (kind.extra_json_schema or {}).get("description", "")
            kind = kind.type
        elif isinstance(kind, mi.UnionType):
            rest = [t for t in kind.types if not isinstance(t, mi.NoneType)]
            optional = optional or len(rest) < len(kind.types)
            if len(rest) != 1:
                return kind, optional, description
            kind = rest[0]
        else:
            return kind, optional, description


def _title(kind: mi.Type) -> str:
    """Meta's title of a field (Segment's label of an `actions/` setting), or ""."""
    while isinstance(kind, mi.Metadata | mi.UnionType):
        if isinstance(kind, mi.Metadata):
            if title := (kind.extra_json_schema or {}).get("title"):
                return str(title)
            kind = kind.type
        else:
            kind = next((t for t in kind.types if not isinstance(t, mi.NoneType)), kind.types[0])
    return ""


def _widget(kind: mi.Type, secret: bool) -> Widget:
    if isinstance(kind, mi.StrType):
        return "password" if secret else "text"
    if isinstance(kind, mi.IntType | mi.FloatType):
        return "number"
    if isinstance(kind, mi.BoolType):
        return "checkbox"
    if isinstance(kind, mi.LiteralType):
        return "select"
    if isinstance(kind, mi.ListType) and isinstance(kind.item_type, mi.StrType):
        return "lines"
    if isinstance(kind, mi.DictType) and isinstance(_unwrap(kind.value_type)[0], mi.StrType):
        return "pairs"
    return "json"


def _limits(kind: mi.Type) -> tuple[float | None, float | None]:
    if not isinstance(kind, mi.IntType | mi.FloatType):
        return None, None
    low = kind.ge if kind.ge is not None else kind.gt
    high = kind.le if kind.le is not None else kind.lt
    return low, high


@cache
def field_docs(struct: type) -> dict[str, str]:
    """Attribute docstrings by field name, read from the class source (empty if unavailable)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(struct)))
    except (OSError, TypeError, SyntaxError):
        return {}
    docs: dict[str, str] = {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    for node, after in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[node.target.id] = inspect.cleandoc(after.value.value)
    return docs


def struct_description(struct: type) -> str:
    """The Struct's own docstring: what the destination does, shown above its form."""
    return inspect.cleandoc(struct.__doc__ or "")


def _default(info: mi.Field) -> Any:
    if info.required:
        return None
    if info.default_factory is not msgspec.NODEFAULT:
        return info.default_factory()
    return None if info.default is msgspec.NODEFAULT else info.default


@cache
def settings_form(struct: type[msgspec.Struct]) -> tuple[FormField, ...]:
    """The form for a settings Struct, in declaration order."""
    info = mi.type_info(struct)
    assert isinstance(info, mi.StructType)
    secrets, docs = secret_fields(struct), field_docs(struct)
    fields = []
    for field in info.fields:
        kind, _, meta_description = _unwrap(field.type)
        secret = field.encode_name in secrets
        low, high = _limits(kind)
        fields.append(
            FormField(
                name=field.encode_name,
                label=_title(field.type) or humanize(field.encode_name),
                widget=_widget(kind, secret),
                required=field.required,
                secret=secret,
                default=_default(field),
                description=meta_description or docs.get(field.name, ""),
                choices=kind.values if isinstance(kind, mi.LiteralType) else (),
                minimum=low,
                maximum=high,
                integer=isinstance(kind, mi.IntType),
            )
        )
    return tuple(fields)
