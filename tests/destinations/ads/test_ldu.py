"""Meta/Snap Limited Data Use options from the consent object."""

from __future__ import annotations

from typing import Any

import pytest

from eventyard.destinations.ads.ldu import LDU_STATES, ldu_options


@pytest.mark.parametrize(
    ("consent", "codes"),
    [
        ({"country": "US", "state": "CA"}, (1, 1000)),
        ({"country": "United States", "state": "New Jersey"}, (1, 1010)),
        ({"country": "US", "state": "US-CO"}, (1, 1001)),
        ({"country": "US", "state": "WA"}, (0, 0)),
        ({"country": "CA", "state": "CA"}, (0, 0)),
        ({"country": None, "state": 5}, (0, 0)),
        (None, (0, 0)),
        ("US-CA", (0, 0)),
    ],
)
def test_ldu_codes(consent: Any, codes: tuple[int, int]) -> None:
    options = ldu_options(consent)
    assert options["data_processing_options"] == ["LDU"]
    assert (
        options["data_processing_options_country"],
        options["data_processing_options_state"],
    ) == codes


def test_the_state_table_is_metas() -> None:
    assert len(LDU_STATES) == 11 and sorted(LDU_STATES.values()) == list(range(1000, 1011))
