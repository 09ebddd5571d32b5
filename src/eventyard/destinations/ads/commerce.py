"""The order part of a conversion (value, currency, order id, products) in a platform's shape.

Meta named these fields and TikTok, Snap and Pinterest took the names over, each with its own
types: Snap and Pinterest want money (and Snap quantities) as strings. The products come from
`conversion.contents` (valid items only, each with an `id`); a platform renames their keys.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from eventyard.destinations.ads.conversion import currency, present, text, value

__all__ = ["item_count", "order_details", "product_lines", "renamed"]


def order_details(
    conversion: Mapping[str, Any], money: Callable[[float], float | str] = float
) -> dict[str, Any]:
    """`value` (as `money` writes it), `currency` and `order_id`: those that are valid."""
    amount = value(conversion)
    return present(
        value=money(amount) if amount is not None else None,
        currency=currency(conversion),
        order_id=text(conversion.get("order_id")),
    )


def item_count(items: Sequence[Mapping[str, Any]]) -> int:
    """How many items were bought: the quantities, 1 where an item has none."""
    return sum(item.get("quantity", 1) for item in items)


def product_lines(
    items: Sequence[Mapping[str, Any]],
    quantity: Callable[[int], int | str] = int,
    price: Callable[[float], float | str] = float,
) -> list[dict[str, Any]]:
    """Meta's `contents`: each item's `id`, `quantity` (1 where none) and `item_price` if known."""
    return [
        {"id": item["id"], "quantity": quantity(item.get("quantity", 1))}
        | ({"item_price": price(item["price"])} if "price" in item else {})
        for item in items
    ]


def renamed(item: Mapping[str, Any], keys: Mapping[str, str]) -> dict[str, Any]:
    """The item's values under the platform's keys (`{platform key: item key}`), where known."""
    return {key: item[field] for key, field in keys.items() if field in item}
