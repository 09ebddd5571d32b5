"""A Segment fake per test and a harness pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from eventyard.destinations.segment import definition
from eventyard.testing import DestinationHarness
from fakes.segment_api import SegmentFake

KEY = "wk_test"


@pytest.fixture
async def segment() -> AsyncIterator[SegmentFake]:
    async with SegmentFake(write_keys=(KEY,)) as fake:
        yield fake


@pytest.fixture
def harness(segment: SegmentFake) -> DestinationHarness:
    settings = {"write_key": KEY, "endpoint": segment.url, "cdn_host": segment.url}
    return DestinationHarness(definition, settings)
