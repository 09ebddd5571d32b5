"""The few JavaScript semantics mapping-kit's output depends on: String(), JSON, truthiness."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

from eventyard.mapping._core import UNDEFINED

__all__ = ["js_json", "js_loose_blank", "js_number", "js_string", "js_truthy"]


def js_number(value: int | float) -> str:
    """Number -> string as JS prints it: `1.0` is `1`, `1e-7` keeps JS's exponent form."""
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" not in text:
        return text
    mantissa, exp_text = text.split("e")
    exponent = int(exp_text)
    if -7 < exponent < 21:
        return format(Decimal(text), "f")
    return f"{mantissa}e{'+' if exponent > 0 else '-'}{abs(exponent)}"


def js_string(value: Any) -> str:
    """JS `String(value)`: arrays join with commas, objects are `[object Object]`."""
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, int | float):
        return js_number(value)
    if isinstance(value, list):
        return ",".join("" if v is None or v is UNDEFINED else js_string(v) for v in value)
    return "[object Object]"


def js_truthy(value: Any) -> bool:
    """JS truthiness: objects and arrays are truthy even when empty."""
    if value is None or value is UNDEFINED or value is False:
        return False
    if isinstance(value, dict | list):
        return True
    if isinstance(value, float) and math.isnan(value):
        return False
    return bool(value)


def js_loose_blank(value: Any) -> bool:
    """JS `value == ''`: true for '', 0, false and arrays whose String() is empty."""
    if isinstance(value, str):
        return value == ""
    if isinstance(value, bool | int | float):
        return value == 0
    if isinstance(value, list):
        return js_string(value) == ""
    return False


def _plain(value: Any) -> Any:
    """Floats that JS would print as integers become ints, so that json.dumps agrees."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if v is not UNDEFINED}
    if isinstance(value, list):
        return [None if v is UNDEFINED else _plain(v) for v in value]
    return value


def js_json(value: Any) -> Any:
    """JS `JSON.stringify`: compact, unescaped non-ASCII; undefined stays undefined."""
    if value is UNDEFINED:
        return UNDEFINED
    try:
        return json.dumps(_plain(value), separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError):
        return UNDEFINED
