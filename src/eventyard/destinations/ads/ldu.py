"""Limited Data Use as Meta and Snap define it: a flag plus the user's country and state.

Country 1 is the United States and 0 asks the platform to geolocate the event; the state codes
are Meta's (Segment's facebook-conversions-api fields.ts carries the same table). When the
state is not one of these, both are sent as 0 so that the platform decides from the IP.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eventyard.conversions.identity import country, state

__all__ = ["LDU_STATES", "ldu_options"]

LDU_STATES = {
    "ca": 1000,
    "co": 1001,
    "ct": 1002,
    "fl": 1003,
    "or": 1004,
    "tx": 1005,
    "mt": 1006,
    "de": 1007,
    "ne": 1008,
    "nh": 1009,
    "nj": 1010,
}
"""US states with a Meta LDU code (California 1000 ... New Jersey 1010)."""


def ldu_options(consent: Any) -> dict[str, Any]:
    """The three `data_processing_options*` keys for an event in limited mode."""
    where: Mapping[str, Any] = consent if isinstance(consent, Mapping) else {}
    code = None
    raw_country, raw_state = where.get("country"), where.get("state")
    if isinstance(raw_country, str) and isinstance(raw_state, str) and country(raw_country) == "us":
        code = LDU_STATES.get(state(raw_state) or "")
    return {
        "data_processing_options": ["LDU"],
        "data_processing_options_country": 1 if code is not None else 0,
        "data_processing_options_state": code if code is not None else 0,
    }
