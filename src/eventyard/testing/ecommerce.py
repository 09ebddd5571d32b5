"""A realistic tracking plan for Segment's Ecommerce Spec v2 (product and order schemas, the
funnel's events, identify traits): the plan a shop would write.

Shared by eventyard's own Protocols tests and `bench/protocols.py`, and by plugin authors who
want to test against the same plan.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["PRODUCT", "ecommerce_plan"]

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
