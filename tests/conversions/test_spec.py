"""ConversionSpec: what ad destinations declare, checked when the destination is imported."""

from __future__ import annotations

import pytest

from eventyard.conversions.spec import CLICK_ID_KEYS, IDENTIFIER_KEYS, USER_KEYS, ConversionSpec
from eventyard.destinations.base import DestinationDefinition
from eventyard.destinations.registry import get_definition


def test_a_spec_names_events_weights_and_minimums() -> None:
    spec = ConversionSpec(
        platform="snap",
        default_events=frozenset({"purchase", "sign_up"}),
        match_weights={"email": 3, "phone": 2, "ip": 0.5, "user_agent": 0.5, "sc_click_id": 2},
        minimum=(frozenset({"email"}), frozenset({"phone"}), frozenset({"ip", "user_agent"})),
        limited_mode=True,
        max_age=37 * 86400,
    )
    assert spec.limited_mode and spec.max_age == 37 * 86400


def test_identifier_keys_cover_the_pipeline_contract() -> None:
    assert {"email", "phone", "external_id", "zip", "date_of_birth"} <= set(USER_KEYS)
    assert {"fbc", "gclid", "ttclid", "sc_click_id", "epik", "rdt_cid", "ga_client_id"} <= set(
        CLICK_ID_KEYS
    )
    assert {*USER_KEYS, *CLICK_ID_KEYS, "ip", "user_agent"} == IDENTIFIER_KEYS


@pytest.mark.parametrize(
    ("events", "weights", "minimum", "message"),
    [
        ({"Purchase"}, {}, (), "unknown canonical events ['Purchase']"),
        ({"purchase"}, {"mail": 1.0}, (), "unknown identifier keys ['mail']"),
        ({"purchase"}, {}, (frozenset({"ip", "ua"}),), "unknown identifier keys ['ua']"),
    ],
)
def test_typos_fail_at_declaration(
    events: set[str], weights: dict[str, float], minimum: tuple[frozenset[str], ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        ConversionSpec(
            platform="meta",
            default_events=frozenset(events),
            match_weights=weights,
            minimum=minimum,
        )


def test_destinations_without_conversions_declare_none() -> None:
    webhook = get_definition("webhook")
    assert isinstance(webhook, DestinationDefinition)
    assert webhook.conversion is None
