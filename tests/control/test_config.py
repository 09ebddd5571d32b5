"""Loading eventyard.yaml: good files load, hostile or mistaken ones fail fast and clearly."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from eventyard.control.config import Config, load_config, parse_config
from eventyard.errors import ConfigError

SOURCES = """\
sources:
  - name: web
    write_key: wk_web
  - name: ios
    write_key: wk_ios
"""


def fails(text: str, *fragments: str) -> str:
    """Assert that parsing fails with a message containing every fragment; return it."""
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_full_config_loads(tmp_path: Path) -> None:
    path = tmp_path / "eventyard.yaml"
    path.write_text(
        SOURCES
        + """\
server:
  port: 9000
  trusted_proxies: [10.0.0.0/8, "::1"]
log:
  partitions: 8
  retention: 3d
pipeline:
  dedup_window: 12h
destinations:
  - name: hook
    type: webhook
    sources: [web]
    settings:
      url: https://example.com/hook
    delivery:
      timeout: 500ms
"""
    )
    config = load_config(path)
    assert config.server.port == 9000
    assert config.log.retention == 3 * 86400
    assert config.pipeline.dedup_window == 12 * 3600
    assert config.destinations[0].delivery.timeout == 0.5
    assert config.source_by_key()["wk_ios"].name == "ios"


@pytest.mark.parametrize("text", ["", "# only a comment\n", "null\n", "---\n"])
def test_empty_file_gives_defaults(text: str) -> None:
    assert parse_config(text) == Config()
    assert Config().server.cors_origins == ["*"]


def test_no_file_gives_defaults() -> None:
    assert load_config(None) == Config()


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read config file .*nope\.yaml"):
        load_config(tmp_path / "nope.yaml")


def test_bad_yaml_syntax() -> None:
    fails("server:\n  port: [1,\n", "eventyard.yaml", "not valid YAML", "line 3")


@pytest.mark.parametrize("text", ["- sources\n- destinations\n", "just text\n", "42\n"])
def test_top_level_must_be_a_mapping(text: str) -> None:
    fails(text, "top level must be a mapping")


def test_unknown_top_level_key_named_with_its_line() -> None:
    fails(SOURCES + "sourcez: []\n", "eventyard.yaml:6:", "sourcez", "unknown key")


def test_unknown_nested_key_named_with_its_line() -> None:
    fails("server:\n  port: 8000\n  hots: x\n", "eventyard.yaml:3:", "server.hots", "unknown key")


def test_unknown_destination_setting_named_with_its_line() -> None:
    text = SOURCES + (
        "destinations:\n  - name: d\n    type: webhook\n    sources: [web]\n"
        "    settings:\n      url: https://example.com\n      urll: x\n"
    )
    fails(text, "eventyard.yaml:12:", "destinations[0].settings.urll", "unknown key")


def test_wrong_type_names_key_and_line() -> None:
    fails("server:\n  host: a\n  port: abc\n", "eventyard.yaml:3:", "server.port", "Expected `int`")


def test_duplicate_yaml_key_is_refused() -> None:
    fails("server:\n  port: 1\nserver:\n  port: 2\n", "eventyard.yaml:3:", "'server' appears twice")


def test_duplicate_source_name() -> None:
    text = SOURCES + "  - name: web\n    write_key: other\n"
    fails(text, "eventyard.yaml:6:", "sources[2].name", "duplicate source 'web'")


def test_duplicate_write_key() -> None:
    text = SOURCES + "  - name: android\n    write_key: wk_web\n"
    fails(text, "eventyard.yaml:7:", "sources[2].write_key", "write_key already used")


def test_destination_naming_a_missing_source() -> None:
    text = SOURCES + (
        "destinations:\n  - name: d\n    type: webhook\n    sources: [web, android]\n"
        "    settings: {url: 'https://example.com'}\n"
    )
    fails(text, "eventyard.yaml:9:", "no source named 'android'", "known sources: web, ios")


def test_unknown_destination_type_lists_installed_types() -> None:
    text = SOURCES + "destinations:\n  - name: d\n    type: mixpanel_typo\n    sources: [web]\n"
    fails(text, "eventyard.yaml:8:", "unknown destination type 'mixpanel_typo'", "webhook")


def test_invalid_destination_settings() -> None:
    text = SOURCES + (
        "destinations:\n  - name: d\n    type: webhook\n    sources: [web]\n"
        "    settings:\n      url: ftp://example.com\n"
    )
    fails(text, "destinations[0].settings", "http:// or https://")


@pytest.mark.parametrize("cidr", ["10.0.0.300/8", "not-an-ip", "10.0.0.0/33"])
def test_bad_trusted_proxy_cidr(cidr: str) -> None:
    fails(
        f"server:\n  trusted_proxies: [10.0.0.0/8, '{cidr}']\n",
        "eventyard.yaml:2:",
        "server.trusted_proxies[1]",
        "not an IP or CIDR",
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("cdp.example.com", "must start with https://"),
        ("https://cdp.example.com/cdp", "only a scheme and a host"),
        ("https://user@cdp.example.com", "only a scheme and a host"),
        ("https://cdp.example.com?x=1", "only a scheme and a host"),
        ('https://a"b', "no valid host"),
    ],
)
def test_bad_public_url(url: str, message: str) -> None:
    fails(f"server:\n  public_url: '{url}'\n", "server.public_url", message)


@pytest.mark.parametrize("value", ["0", "500ms", "2h"])
def test_request_timeout_out_of_range(value: str) -> None:
    fails(f"server:\n  request_timeout: {value}\n", "server.request_timeout", "between 1s and 1h")


def test_server_defaults() -> None:
    server = parse_config("").server
    assert (server.public_url, server.request_timeout) == (None, 30.0)
    server = parse_config("server:\n  public_url: https://cdp.example.com/\n").server
    assert server.public_url == "https://cdp.example.com/"


@pytest.mark.parametrize("value", ["24x", "h", "1.2.3s", "true", "[1]"])
def test_bad_duration(value: str) -> None:
    fails(f"log:\n  retention: {value}\n", "eventyard.yaml:2:", "log.retention")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("pipeline:\n  dedup_window: -5\n", "pipeline.dedup_window"),
        ("server:\n  port: -1\n", "server.port"),
        ("server:\n  port: 70000\n", "server.port"),
        ("log:\n  partitions: 0\n", "log.partitions"),
        ("server:\n  max_pending_events: -10\n", "server.max_pending_events"),
    ],
)
def test_negative_or_out_of_range_numbers(text: str, key: str) -> None:
    fails(text, "eventyard.yaml:2:", key)


def test_billion_laughs_is_refused_quickly() -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    started = time.monotonic()
    fails("\n".join(lines) + "\n", "eventyard.yaml:2:", "aliases")
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("opening", ["[", "{a: "])
def test_deep_nesting_is_a_clear_error(opening: str) -> None:
    closing = "]" if opening == "[" else "}"
    text = "x: " + opening * 10_000 + "1" + closing * 10_000 + "\n"
    started = time.monotonic()
    fails(text, "nested more than")
    assert time.monotonic() - started < 2


def test_python_tags_are_refused() -> None:
    fails("server: !!python/object/apply:os.system [echo hi]\n", "not valid YAML")


def test_invalid_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "eventyard.yaml"
    path.write_bytes(b"server:\n  host: caf\xe9\n")
    with pytest.raises(ConfigError, match=r"not valid UTF-8 at byte 19"):
        load_config(path)


def test_file_over_one_megabyte(tmp_path: Path) -> None:
    path = tmp_path / "eventyard.yaml"
    path.write_text("# padding\n" * 110_000)
    with pytest.raises(ConfigError, match="larger than 1000000 bytes"):
        load_config(path)
    with pytest.raises(ConfigError, match="larger than 1000000 bytes"):
        parse_config(path.read_text())


def test_json_style_surrogate_pairs_are_joined_and_a_lone_half_is_refused() -> None:
    text = 'sources:\n  - name: web\n    write_key: "k \\ud83c\\uddfa\\ud83c\\uddf8"\n'
    assert parse_config(text).sources[0].write_key == "k \U0001f1fa\U0001f1f8"
    lone = 'sources:\n  - name: "web \\ud83c"\n    write_key: k\n'
    with pytest.raises(ConfigError, match="half of a UTF-16 surrogate pair"):
        parse_config(lone)
