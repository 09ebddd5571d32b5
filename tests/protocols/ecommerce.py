"""Events that follow the Ecommerce tracking plan or not (the plan is
`eventyard.testing.ecommerce`'s, re-exported here).

Shared by the Protocols tests (unit, pipeline, API, UI, end to end), so that every layer is
checked against the same plan a shop would write.
"""

from __future__ import annotations

from typing import Any

from eventyard.testing.ecommerce import PRODUCT, ecommerce_plan

__all__ = [
    "PRODUCT",
    "checkout_started",
    "ecommerce_plan",
    "identify",
    "order_completed",
    "product_added",
    "track",
]


def track(event: str, properties: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A track event as ingest stores it."""
    return {
        "type": "track",
        "event": event,
        "userId": "u1",
        "messageId": fields.pop("messageId", f"m-{event}"),
        "receivedAt": "2024-05-01T12:00:00.000Z",
        "timestamp": "2024-05-01T12:00:00.000Z",
        "properties": properties,
        **fields,
    }


def order_completed(**changes: Any) -> dict[str, Any]:
    """Properties of an Order Completed that follows the plan, with `changes` applied
    (a value of None removes the key)."""
    properties: dict[str, Any] = {
        "checkout_id": "c-1",
        "order_id": "o-1001",
        "total": 64.5,
        "revenue": 55.0,
        "shipping": 4.5,
        "tax": 5.0,
        "currency": "USD",
        "products": [
            {"product_id": "p-1", "sku": "SKU-1", "name": "Mug", "price": 20.0, "quantity": 2},
            {"product_id": "p-2", "sku": "SKU-2", "name": "Tea", "price": 15.0, "quantity": 1},
        ],
    }
    properties.update(changes)
    return {key: value for key, value in properties.items() if value is not None}


def checkout_started() -> dict[str, Any]:
    return {"order_id": "o-1001", "currency": "EUR", "revenue": 30.0}


def product_added() -> dict[str, Any]:
    return {"cart_id": "cart-9", "product_id": "p-1", "price": 20.0, "quantity": 1}


def identify(traits: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "identify",
        "userId": "u1",
        "messageId": "m-identify",
        "receivedAt": "2024-05-01T12:00:00.000Z",
        "traits": traits,
    }
