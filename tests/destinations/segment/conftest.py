"""A Segment fake per test and a harness pointed at it."""

from __future__ import annotations

import pytest

from eventyard.destinations.segment import definition
from eventyard.testing import DestinationHarness
from fakes.common import fake_fixture
from fakes.segment_api import SegmentFake

KEY = "wk_test"


segment = fake_fixture("segment", lambda: SegmentFake(write_keys=(KEY,)))


@pytest.fixture
def harness(segment: SegmentFake) -> DestinationHarness:
    settings = {"write_key": KEY, "endpoint": segment.url, "cdn_host": segment.url}
    return DestinationHarness(definition, settings)
