"""A local Amplitude per test, and a harness whose settings point at it."""

from __future__ import annotations

import pytest

from destinations.harness import Harness, settings_harness
from eventyard.destinations.amplitude import definition
from fakes.amplitude import AmplitudeFake
from fakes.common import fake_fixture

fake = fake_fixture("fake", AmplitudeFake)


@pytest.fixture
def harness(fake: AmplitudeFake) -> Harness:
    """`harness(**settings)`: the fake's keys and host, overridable."""
    return settings_harness(
        definition, {"api_key": fake.api_key, "secret_key": fake.secret_key, "api_host": fake.url}
    )
