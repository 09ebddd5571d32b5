"""`filter`, `filters` and `actions:` in eventyard.yaml: compiled at load, errors with lines."""

from __future__ import annotations

import pytest

from eventyard.control.config import parse_config
from eventyard.errors import ConfigError

ISSUE_EXAMPLE = """\
sources:
  - name: web
    write_key: wk
destinations:
  - name: orders
    type: webhook
    sources: [web]
    settings: {url: "http://127.0.0.1:9000/in", shared_secret: s3cret}
    filter: 'type = "track" and properties.revenue > 0'
    actions:
      send:
        subscription: 'event = "Order Completed"'
        mapping:
          data:
            order: {"@path": "$.properties.order_id"}
            who: {"@template": "{{userId}} <{{context.traits.email}}>"}
"""


def fails(text: str, *fragments: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_the_issue_example_loads() -> None:
    (dest,) = parse_config(ISSUE_EXAMPLE).destinations
    assert dest.filter == 'type = "track" and properties.revenue > 0'
    send = dest.actions["send"]
    assert send.enabled and send.subscription == 'event = "Order Completed"'
    assert send.mapping is not None and set(send.mapping["data"]) == {"order", "who"}


def test_bad_fql_in_filter_names_key_and_line() -> None:
    text = ISSUE_EXAMPLE.replace("properties.revenue > 0", "properties.revenue >")
    fails(text, "eventyard.yaml:9: destinations[0].filter:", "column")


def test_bad_fql_in_subscription_names_key_and_line() -> None:
    text = ISSUE_EXAMPLE.replace("'event = \"Order Completed\"'", "'event = = 1'")
    fails(text, "eventyard.yaml:12: destinations[0].actions.send.subscription:")


def test_bad_mapping_names_the_field_and_its_line() -> None:
    text = ISSUE_EXAMPLE.replace('{"@path": "$.properties.order_id"}', '{"@pathh": "$.x"}')
    fails(text, "eventyard.yaml:15: destinations[0].actions.send.mapping.data.order", "@pathh")


def test_mapping_of_an_unknown_field_lists_the_fields() -> None:
    text = ISSUE_EXAMPLE.replace("          data:\n", "          body:\n")
    fails(text, "eventyard.yaml:14: destinations[0].actions.send.mapping.body", "valid fields")


def test_mapping_with_a_literal_of_the_wrong_type() -> None:
    text = ISSUE_EXAMPLE.replace("          data:\n", "          method: DELETE\n          data:\n")
    fails(text, "eventyard.yaml:14: destinations[0].actions.send.mapping.method", "one of")


def test_unknown_action_lists_the_types_actions() -> None:
    text = ISSUE_EXAMPLE.replace("      send:\n", "      track:\n")
    fails(text, "eventyard.yaml:11: destinations[0].actions.track:", "its actions: send")


def test_action_can_be_switched_off() -> None:
    text = ISSUE_EXAMPLE.replace(
        "        subscription:", "        enabled: false\n        subscription:"
    )
    assert parse_config(text).destinations[0].actions["send"].enabled is False


FILTERS = """\
sources: [{name: web, write_key: wk}]
destinations:
  - name: d
    type: webhook
    sources: [web]
    settings: {url: "http://127.0.0.1:9000/in"}
    filters:
      - if: 'event = "Secret"'
        drop: true
      - sample: 0.5
        sample_path: userId
      - drop_properties: {"": [anonymousId], properties: [email]}
"""


def test_filters_load() -> None:
    rules = parse_config(FILTERS).destinations[0].filters
    assert [r.if_ for r in rules] == ['event = "Secret"', "all", "all"]
    assert rules[1].sample == 0.5 and rules[2].drop_properties == {
        "": ["anonymousId"],
        "properties": ["email"],
    }


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (("drop: true", "drop: true\n        sample: 0.1"), ("filters[0]:", "exactly one")),
        (("        drop: true\n", ""), ("eventyard.yaml:8: destinations[0].filters[0]:",)),
        (("'event = \"Secret\"'", "'event = '"), ("eventyard.yaml:8:", "filters[0].if:")),
        (("sample: 0.5", "sample: 1.5"), ("eventyard.yaml:10:", "filters[1].sample")),
        (("      - sample: 0.5\n", "      - drop: true\n"), ("filters[1].sample_path",)),
    ],
)
def test_filter_rule_errors(change: tuple[str, str], fragments: tuple[str, ...]) -> None:
    fails(FILTERS.replace(*change), *fragments)
