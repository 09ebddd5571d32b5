"""Full-string glob matching with Segment's rules (`*`, `?`, `[abc]`, `[a-z]`, `[^a]`, `\\x`).

Follows Go's path.Match minus the `/` special case, as tsub-js does: a malformed pattern
(`[`, `[]a]`, `[x-]`, a trailing `\\`) matches nothing. The pattern is split at `*` into
fixed-width chunks, each a small regex; chunks are found left to right, the last one is
anchored at the end. That is linear in the subject, so no pattern can backtrack forever.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["compile_glob", "glob_matches"]


class _Glob:
    """`head` anchors at the start; `middles` are found left to right; `tail` at the end."""

    __slots__ = ("head", "middles", "star", "tail", "tail_width")

    def __init__(self, chunks: list[tuple[str, int]], star: bool) -> None:
        self.star = star
        self.head = re.compile(chunks[0][0], re.DOTALL)
        self.middles = [re.compile(c, re.DOTALL) for c, _ in chunks[1:-1]]
        self.tail = re.compile(chunks[-1][0], re.DOTALL)
        self.tail_width = chunks[-1][1]

    def matches(self, s: str) -> bool:
        if not self.star:
            return self.head.fullmatch(s) is not None
        found = self.head.match(s)
        if found is None:
            return False
        pos = found.end()
        for middle in self.middles:
            found = middle.search(s, pos)
            if found is None:
                return False
            pos = found.end()
        start = len(s) - self.tail_width
        return start >= pos and self.tail.fullmatch(s, start) is not None


def _escaped(pattern: str, i: int) -> tuple[str, int] | None:
    """One possibly-escaped class character; None where Go reports ErrBadPattern."""
    if i >= len(pattern) or pattern[i] in "-]":
        return None
    if pattern[i] == "\\":
        i += 1
        if i >= len(pattern):
            return None
    return pattern[i], i + 1


def _char_class(pattern: str, i: int) -> tuple[str, int] | None:
    negate = i < len(pattern) and pattern[i] == "^"
    i += negate
    items: list[str] = []
    count = 0
    while not (i < len(pattern) and pattern[i] == "]" and count > 0):
        lo = _escaped(pattern, i)
        if lo is None:
            return None
        hi, i = lo
        low = hi
        if i < len(pattern) and pattern[i] == "-":
            upper = _escaped(pattern, i + 1)
            if upper is None:
                return None
            hi, i = upper
        if low <= hi:
            items.append(f"{re.escape(low)}-{re.escape(hi)}")
        count += 1
    body = "".join(items)
    if negate:
        return (f"[^{body}]" if body else "."), i + 1
    return (f"[{body}]" if body else "(?!)"), i + 1


@lru_cache(maxsize=4096)
def compile_glob(pattern: str) -> _Glob | None:
    """Compile once; None for a malformed pattern (which then never matches)."""
    chunks: list[tuple[str, int]] = []
    parts: list[str] = []
    i, width, star = 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            chunks.append(("".join(parts), width))
            parts, width, star = [], 0, True
            while i < len(pattern) and pattern[i] == "*":
                i += 1
            continue
        if ch == "[":
            found = _char_class(pattern, i + 1)
            if found is None:
                return None
            atom, i = found
        elif ch == "\\":
            if i + 1 >= len(pattern):
                return None
            atom, i = re.escape(pattern[i + 1]), i + 2
        else:
            atom, i = ("." if ch == "?" else re.escape(ch)), i + 1
        parts.append(atom)
        width += 1
    chunks.append(("".join(parts), width))
    return _Glob(chunks, star)


def glob_matches(pattern: str, s: str) -> bool:
    compiled = compile_glob(pattern)
    return compiled is not None and compiled.matches(s)
