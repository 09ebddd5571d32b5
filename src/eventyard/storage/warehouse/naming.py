"""Segment's names: collections and properties go from CamelCase / "Title Case" to
snake_case (Segment uses go-snakecase), nested objects join with `_`.

Names are cut to 63 bytes because PostgreSQL silently truncates longer identifiers, which
would make a column that was just added look missing on the next load.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["MAX_NAME", "RESERVED_TABLES", "event_table", "snake_case"]

MAX_NAME = 63
RESERVED_TABLES = frozenset(
    {"tracks", "identifies", "users", "pages", "screens", "groups", "accounts", "aliases"}
)
_ACRONYM = re.compile(r"([A-Z]+)([A-Z][a-z])")
_WORD = re.compile(r"([a-z0-9])([A-Z])")
_OTHER = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=65536)
def snake_case(name: str) -> str:
    """`productId` -> `product_id`, `Order Completed` -> `order_completed`,
    `userIDValue` -> `user_id_value`; never empty, never starting with a digit."""
    text = _WORD.sub(r"\1_\2", _ACRONYM.sub(r"\1_\2", name))
    text = _OTHER.sub("_", text.lower()).strip("_")
    if not text:
        text = "_"
    elif text[0].isdigit():
        text = f"_{text}"
    return text.encode()[:MAX_NAME].decode("ascii", "ignore")


@lru_cache(maxsize=8192)
def event_table(event: str) -> str:
    """The table of a track event; an event named like a standard table (`Tracks`, `Users`)
    gets a `_event` suffix so that it cannot overwrite that table."""
    table = snake_case(event)
    if table in RESERVED_TABLES or table.startswith("_eventyard"):
        table = f"{table}_event"
    return table
