"""Order values and products in a platform's shape."""

from __future__ import annotations

from eventyard.destinations.ads.commerce import (
    item_count,
    order_details,
    product_lines,
    renamed,
)

ITEMS = [{"id": "A", "quantity": 2, "price": 5.0, "name": "a"}, {"id": "B"}]


def test_order_details_leave_out_what_is_not_valid() -> None:
    conversion = {"value": 12.5, "currency": "usd", "order_id": 42}
    assert order_details(conversion) == {"value": 12.5, "currency": "USD", "order_id": "42"}
    assert order_details(conversion, money=str)["value"] == "12.5"
    assert order_details({"value": float("inf"), "currency": "dollars"}) == {}


def test_products() -> None:
    assert item_count(ITEMS) == 3
    assert product_lines(ITEMS) == [
        {"id": "A", "quantity": 2, "item_price": 5.0},
        {"id": "B", "quantity": 1},
    ]
    assert product_lines(ITEMS, quantity=str, price=str)[0] == {
        "id": "A",
        "quantity": "2",
        "item_price": "5.0",
    }
    assert renamed(ITEMS[0], {"content_id": "id", "content_name": "name", "brand": "brand"}) == {
        "content_id": "A",
        "content_name": "a",
    }
