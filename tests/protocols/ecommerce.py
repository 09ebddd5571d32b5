"""A realistic tracking plan for Segment's Ecommerce Spec v2, and events that follow it or not.

Shared by the Protocols tests (unit, pipeline, API, UI, end to end), so that every layer is
checked against the same plan a shop would write.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = [
    "PRODUCT",
    "checkout_started",
    "ecommerce_plan",
    "identify",
    "order_completed",
    "product_added",
    "track",
]

PRODUCT: dict[str, Any] = {
    "type": "object",
    "required": ["product_id", "price"],
    "properties": {
        "product_id": {"type": "string", "minLength": 1},
        "sku": {"type": "string"},
        "category": {"type": "string"},
        "name": {"type": "string"},
        "brand": {"type": "string"},
        "variant": {"type": "string"},
        "price": {"type": "number", "minimum": 0},
        "quantity": {"type": "integer", "minimum": 1},
        "coupon": {"type": "string"},
        "position": {"type": "integer"},
        "url": {"type": "string", "format": "uri"},
        "image_url": {"type": "string", "format": "uri"},
    },
}
_CURRENCY = {"type": "string", "pattern": "^[A-Z]{3}$"}
_MONEY = {"type": "number", "minimum": 0}


def _order(required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "description": "Ecommerce Spec v2 order",
        "required": required,
        "properties": {
            "checkout_id": {"type": "string"},
            "order_id": {"type": "string", "minLength": 1},
            "affiliation": {"type": "string"},
            "subtotal": _MONEY,
            "total": _MONEY,
            "revenue": _MONEY,
            "shipping": _MONEY,
            "tax": _MONEY,
            "discount": _MONEY,
            "coupon": {"type": "string"},
            "currency": _CURRENCY,
            "products": {"type": "array", "items": {"$ref": "#/definitions/product"}},
        },
        "definitions": {"product": PRODUCT},
    }


def ecommerce_plan(name: str = "shop", **extra: Any) -> dict[str, Any]:
    """The plan as a `tracking_plans` entry (a document); `extra` keys replace its own."""
    product_added = copy.deepcopy(PRODUCT)
    product_added["properties"]["cart_id"] = {"type": "string"}
    plan: dict[str, Any] = {
        "name": name,
        "events": {
            "Products Searched": {
                "type": "object",
                "required": ["query"],
                "properties": {"query": {"type": ["string", "object"]}},
            },
            "Product Viewed": {
                **copy.deepcopy(PRODUCT),
                "properties": {**PRODUCT["properties"], "currency": _CURRENCY, "value": _MONEY},
            },
            "Product Added": product_added,
            "Cart Viewed": {
                "type": "object",
                "properties": {
                    "cart_id": {"type": "string"},
                    "products": {"type": "array", "items": PRODUCT},
                },
            },
            "Checkout Started": _order(["order_id", "currency"]),
            "Order Completed": _order(["order_id", "revenue", "currency", "products"]),
            "Order Refunded": {
                "type": "object",
                "required": ["order_id"],
                "properties": {"order_id": {"type": "string"}, "total": _MONEY},
            },
        },
        "identify_traits": {
            "type": "object",
            "properties": {
                "email": {"type": "string", "format": "email"},
                "first_name": {"type": "string"},
                "plan": {"enum": ["free", "pro", "enterprise"]},
            },
        },
    }
    plan.update(extra)
    return plan


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
