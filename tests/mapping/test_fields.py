"""Action fields: config-time checks of users' mappings and run-time checks of payloads."""

from __future__ import annotations

import pytest

from eventyard.mapping import (
    FieldSpec,
    MappingError,
    check_payload,
    coerce_arrays,
    compile_mapping,
    default_mapping,
    remove_empty,
    validate_against_fields,
)

FIELDS = {
    "order_id": FieldSpec(
        "Order ID", "string", required=True, default={"@path": "$.properties.order_id"}
    ),
    "value": FieldSpec("Value", "number", default={"@path": "$.properties.revenue"}),
    "quantity": FieldSpec("Quantity", "integer"),
    "sent_at": FieldSpec("Sent at", "datetime", default={"@path": "$.timestamp"}),
    "consent": FieldSpec("Consent", "boolean", allow_null=True),
    "currency": FieldSpec("Currency", "string", choices=("USD", {"label": "Euro", "value": "EUR"})),
    "email": FieldSpec("Email", "string", format="email"),
    "tags": FieldSpec("Tags", "string", multiple=True),
    "extra": FieldSpec("Extra", "object"),
}
WHERE = "destinations.ads.actions.purchase"


def test_unknown_field_is_named_with_the_valid_ones() -> None:
    with pytest.raises(MappingError) as info:
        validate_against_fields({"order": {"@path": "$.x"}}, FIELDS, WHERE)
    message = str(info.value)
    assert message.startswith(f"{WHERE}.order: unknown field 'order'")
    assert "order_id" in message and "quantity" in message
    assert info.value.path == ("order",)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("value", "12", "'value' must be a number"),
        ("quantity", 1.5, "'quantity' must be an integer"),
        ("quantity", True, "'quantity' must be an integer"),
        ("sent_at", "yesterday", "'sent_at' must be an ISO-8601"),
        ("consent", "yes", "'consent' must be a boolean"),
        ("currency", "GBP", "'currency' must be one of 'USD', 'EUR'"),
        ("email", "not-an-email", "valid email"),
        ("tags", "one", "must be an array of string"),
        ("tags", ["a", 2], "'tags' must be a string"),
        ("extra", [1], "'extra' must be an object"),
        ("order_id", None, "must not be null"),
    ],
)
def test_literal_of_the_wrong_type_is_a_config_error(
    key: str, value: object, expected: str
) -> None:
    with pytest.raises(MappingError, match=expected) as info:
        validate_against_fields({key: value}, FIELDS, WHERE)
    assert info.value.path == (key,)


def test_directives_and_good_literals_pass() -> None:
    mapping = {
        "order_id": {"@template": "{{properties.order_id}}"},
        "value": 10,
        "quantity": {"@path": "$.properties.quantity"},
        "sent_at": "2024-05-01T10:00:00Z",
        "consent": None,
        "currency": "EUR",
        "email": "a@example.com",
        "tags": ["a", {"@path": "$.properties.tag"}],
        "extra": {"source": {"@path": "$.context.page.url"}},
    }
    validate_against_fields(mapping, FIELDS, WHERE)


def test_structure_errors_inside_fields_carry_where() -> None:
    with pytest.raises(MappingError, match=rf"^{WHERE}\.order_id: @template must be a string"):
        validate_against_fields({"order_id": {"@template": 1}}, FIELDS, WHERE)


def test_default_mapping_maps_an_event() -> None:
    defaults = default_mapping(FIELDS)
    assert set(defaults) == {"order_id", "value", "sent_at"}
    event = {
        "properties": {"order_id": "o1", "revenue": 9.5},
        "timestamp": "2024-05-01T10:00:00.000Z",
    }
    payload = compile_mapping(defaults)(event)
    assert payload == {"order_id": "o1", "value": 9.5, "sent_at": "2024-05-01T10:00:00.000Z"}
    assert check_payload(payload, FIELDS) == []


def test_check_payload_reports_missing_and_wrong_types() -> None:
    problems = check_payload({"value": "12", "quantity": 2, "tags": ["a", None]}, FIELDS)
    assert problems == [
        "missing the required field 'order_id'",
        "the field 'value' must be a number",
        "the field 'tags' must not be null",
    ]
    assert check_payload({"order_id": "o", "consent": None, "quantity": 3}, FIELDS) == []


def test_remove_empty_follows_remove_empty_values() -> None:
    payload = {
        "order_id": "",
        "consent": None,
        "value": None,
        "tags": ["a", None, ""],
        "extra": {"x": ""},
    }
    assert remove_empty(payload, FIELDS) == {"consent": None, "tags": ["a", ""], "extra": {"x": ""}}
    assert remove_empty({"a": "", "b": None, "c": 0, "d": {}}) == {"c": 0, "d": {}}
    assert check_payload(remove_empty({"order_id": ""}, FIELDS), FIELDS) == [
        "missing the required field 'order_id'"
    ]


def test_payload_values_are_coerced_as_actions_core_validates_them() -> None:
    """A single value of a `multiple` field is a one-item array, and 25.0 is an integer
    (JSON has one number type), as for Segment's validator: TikTok's `email` from one trait
    and Optimizely's integer `revenue` from 25.0 were refused before."""
    payload = coerce_arrays({"order_id": "o", "tags": "one", "quantity": 25.0}, FIELDS)
    assert payload == {"order_id": "o", "tags": ["one"], "quantity": 25.0}
    assert check_payload(payload, FIELDS) == []
    assert check_payload({"order_id": "o", "quantity": 2.5}, FIELDS) == [
        "the field 'quantity' must be an integer"
    ]
