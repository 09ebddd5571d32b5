"""Turn FQL text into tokens, each with its 0-based offset for error carets.

A whole field path (`properties."order id".price`, `properties.product\\ 1.price`) is one
token whose value is the tuple of keys, so the parser and compiler never re-split paths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from eventyard.fql.errors import FQLSyntaxError

__all__ = ["KEYWORDS", "Token", "tokenize"]

KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})

_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
_IDENT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-$")
_PUNCT = {"(": "(", ")": ")", "[": "[", "]": "]", ",": ","}
_OPERATORS = ("!=", "<=", ">=", "=", "<", ">", "!")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "/": "/", "\\": "\\"}


@dataclass(frozen=True, slots=True)
class Token:
    """`kind` is one of: str, num, path, kw, op, punctuation, eof."""

    kind: str
    value: Any
    pos: int
    raw: str


def tokenize(text: str) -> list[Token]:
    """Split `text` into tokens; raises FQLSyntaxError on a character that cannot start one."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "\"'":
            value, end = _string(text, i)
            tokens.append(Token("str", value, i, text[i:end]))
            i = end
        elif ch.isdigit() or (ch == "-" and i + 1 < n and text[i + 1].isdigit()):
            i = _number(text, i, tokens)
        elif ch in _PUNCT:
            tokens.append(Token(ch, ch, i, ch))
            i += 1
        elif ch in "!=<>":
            op = next(o for o in _OPERATORS if text.startswith(o, i))
            tokens.append(Token("op", op, i, op))
            i += len(op)
        elif ch in _IDENT_CHARS or ch == "\\":
            i = _path(text, i, tokens)
        else:
            raise FQLSyntaxError(f"unexpected character {ch!r}", text, i + 1)
    tokens.append(Token("eof", None, n, ""))
    return tokens


def _number(text: str, start: int, tokens: list[Token]) -> int:
    found = _NUMBER.match(text, start)
    assert found is not None  # the caller checked for a digit
    end = found.end()
    if end < len(text) and (text[end] in _IDENT_CHARS or text[end] in ".\\"):
        raise FQLSyntaxError("a path cannot start with a digit", text, start + 1)
    raw = found.group()
    value: int | float = float(raw) if found.group(1) or found.group(2) else int(raw)
    tokens.append(Token("num", value, start, raw))
    return end


def _string(text: str, start: int) -> tuple[str, int]:
    """Read a quoted string; unknown escapes such as `\\*` keep their backslash (for globs)."""
    quote, i, n = text[start], start + 1, len(text)
    out: list[str] = []
    while i < n:
        ch = text[i]
        if ch == quote:
            return "".join(out), i + 1
        if ch == "\\" and i + 1 < n:
            nxt = text[i + 1]
            if nxt == quote:
                out.append(nxt)
            elif nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[i + 2 : i + 6]):
                out.append(chr(int(text[i + 2 : i + 6], 16)))
                i += 4
            else:
                out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    raise FQLSyntaxError("unterminated string", text, start + 1)


def _path(text: str, start: int, tokens: list[Token]) -> int:
    """Read `seg(.seg)*`; a segment is identifier characters and `\\x` escapes, or quoted."""
    keys: list[str] = []
    i, n, plain = start, len(text), True
    while True:
        if keys and i < n and text[i] in "\"'":
            key, i = _string(text, i)
            keys.append(key)
            plain = False
        else:
            seg: list[str] = []
            while i < n and (text[i] in _IDENT_CHARS or text[i] == "\\"):
                if text[i] == "\\":
                    if i + 1 >= n:
                        raise FQLSyntaxError("a path cannot end with '\\'", text, i + 1)
                    seg.append(text[i + 1])
                    plain = False
                    i += 2
                else:
                    seg.append(text[i])
                    i += 1
            if not seg:
                raise FQLSyntaxError("expected a field name after '.'", text, i + 1)
            keys.append("".join(seg))
        if i < n and text[i] == ".":
            i += 1
            continue
        break
    raw = text[start:i]
    if plain and len(keys) == 1 and keys[0] in KEYWORDS:
        tokens.append(Token("kw", keys[0], start, raw))
    else:
        tokens.append(Token("path", tuple(keys), start, raw))
    return i
