"""FQL, Segment's Filter Query Language: compiled once, evaluated per event, never raising.

    >>> f = compile_fql('type = "track" and properties.revenue > 100')
    >>> f({"type": "track", "properties": {"revenue": 120}})
    True

Semantics follow Segment's FQL reference (https://segment.com/docs/api/public-api/fql/)
and tsub-js's evaluator; where action-destination subscriptions differ, FQL wins.
Choices made where the sources are silent or disagree:

- `=` / `!=` are type-strict (1 = 1.0, "1" != 1, true != 1); lists and objects compare
  element-wise, object key order included (Segment compares serialised JSON).
  A missing path is null, so `x = null` is "does not exist or is null", `x != null` "exists".
- `< <= > >=` are true only when both sides are numbers (booleans are not numbers).
- `x in [..]` compares with the same strict equality; the right side may be a path to a
  list (`'dark-mode' in properties.features`); anything but a list gives false.
- A bare operand used as a condition (`properties.enabled`, `true`) holds only when it is
  the boolean true. `!x` is "x is not true", so `!contains(null, "a")` is true.
- Precedence, loosest first: `or`, `and`, `!`/`not`, comparisons, operands; so
  `!type = "track"` is `!(type = "track")`. Comparisons do not chain. Subscription
  strings that mix `and`/`or` without parentheses therefore follow this precedence, not
  fql-ts's "last operator wins per group".
- `and`, `or`, `not`, `in`, `true`, `false`, `null` are lowercase keywords; escape a field
  with that name (`\\in`) or quote it after a dot (`properties."in"`).
- Paths: dot separated; a segment is `[A-Za-z0-9_$-]` or `\\x` escapes, or a quoted string
  after a dot (`properties."order id"`). A digit-only segment also indexes a list
  (`properties.products.0.sku`), as tsub's dot-path lookup does.
- Strings take `\\"`, `\\'`, `\\\\`, `\\n`, `\\t`, `\\r`, `\\b`, `\\f`, `\\/`, `\\uXXXX`; any other
  escape keeps its backslash, so `match(s, 'ab\\*d')` reaches the glob as `ab\\*d`.
- `match` is a full-string glob (Go's path.Match rules without the `/` special case);
  malformed patterns match nothing. `match(field, "x*")` covers the subscription form.
- `length`: list items, UTF-8 bytes of a string, 0 for null, null for anything else.
- `typeof`: "string", "number", "bool", "null", "list", and "object" for objects.
- `snakecase` / `kebabcase` replace each whitespace character with `_` / `-`, and
  `titlecase` upper-cases the first letter of each word, exactly as the reference
  describes (no other case changes) [UNCONFIRMED against Segment's server].
- `bool`: bools as is, null false, numbers != 0, lists non-empty, strings
  "1/t/true/..." and "0/f/false/..." (Go's ParseBool); other values null.
  `string`: strings as is, other values as compact JSON (1.0 -> "1").
  `number`: numbers as is, numeric strings parsed, anything else null.
- The text `all` (the Public API's unconditional `if`) matches every event.
- Evaluation never raises for JSON-shaped events; invalid text raises FQLSyntaxError at
  compile time (callers fail closed: an event is not sent through an invalid filter).
"""

from __future__ import annotations

from eventyard.fql.errors import FQLIRError, FQLSyntaxError
from eventyard.fql.filter import Filter, compile_fql, evaluate
from eventyard.fql.ir import from_ir, to_ir

__all__ = ["FQLIRError", "FQLSyntaxError", "Filter", "compile_fql", "evaluate", "from_ir", "to_ir"]
