"""Every destination of the pinned @segment/action-destinations is a type `actions/<slug>`,
with Segment's settings, actions, fields and presets, checked against the package itself
(read here by a separate Node script, not by the runner that wrote the catalog). A field
required only under conditions is not required here: Segment's own validation in the runner
checks those."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from eventyard.control.config import parse_config
from eventyard.destinations.actions.catalog import ActionsCatalog
from eventyard.destinations.catalog import describe
from eventyard.destinations.registry import get_definition
from eventyard.errors import ConfigError
from eventyard.ops.node_parts import FOLDER, node_parts
from eventyard.pipeline.plan import compile_plan
from ops.command import eventyard

READ_PACKAGE = """
const fs = require('fs'), path = require('path')
const root = path.join(process.env.NODE_PATH, '@segment/action-destinations/dist/destinations')
const out = {}
for (const slug of fs.readdirSync(root)) {
  if (!fs.existsSync(path.join(root, slug, 'index.js'))) continue
  const d = require(path.join(root, slug)).default
  const fields = (f) => Object.fromEntries(Object.entries(f || {}).map(([k, v]) =>
    [k, { type: v.type, required: v.required === true, defaulted: v.default !== undefined }]))
  out[slug] = {
    name: d.name,
    oauth: ['oauth2', 'oauth-managed'].includes(d.authentication && d.authentication.scheme),
    settings: fields(d.authentication && d.authentication.fields),
    actions: Object.fromEntries(Object.entries(d.actions).map(([k, a]) => [k, fields(a.fields)])),
    presets: (d.presets || []).filter((p) => (p.type || 'automatic') === 'automatic')
      .filter((p) => p.partnerAction in d.actions)
      .map((p) => `${d.actions[p.partnerAction].title || p.partnerAction} (${p.name})`)
  }
}
process.stdout.write(JSON.stringify(out))
"""
SOURCE = {"name": "web", "write_key": "wk_actions_1"}
SOURCE_YAML = "sources:\n  - name: web\n    write_key: wk_actions_1\n"


@pytest.fixture(scope="module")
def package(node_parts_dir: Path) -> dict[str, Any]:
    """Each destination folder of the installed package, as its own code declares it."""
    parts = node_parts(node_parts_dir)
    done = subprocess.run(
        [str(parts.node), "-e", READ_PACKAGE],
        env={"NODE_PATH": str(parts.modules.resolve())},
        capture_output=True,
        timeout=120,
        check=True,
    )
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def test_destinations_json_lists_every_destination_of_the_package(
    node_parts_dir: Path, package: dict[str, Any]
) -> None:
    result = eventyard("destinations", "--json", "--data-dir", str(node_parts_dir))
    assert result.returncode == 0, result.stderr
    listed = {row["type"]: row for row in json.loads(result.stdout)}
    missing = sorted(f"actions/{slug}" for slug in package if f"actions/{slug}" not in listed)
    assert missing == []
    assert len(package) >= 215
    webhook = listed["actions/webhook"]
    assert webhook == {"type": "actions/webhook", "name": "Webhook", "actions": ["send"]}
    assert "webhook" in listed  # the native type stays beside Segment's


def test_each_catalog_entry_has_the_packages_settings_actions_fields_and_presets(
    actions_catalog: ActionsCatalog, package: dict[str, Any]
) -> None:
    assert actions_catalog.unloadable == {}
    for slug, declared in package.items():
        entry = describe(f"actions/{slug}")
        where = f"actions/{slug}"
        assert entry["name"] == declared["name"], where
        assert entry["catalog_names"] == [declared["name"]], where
        settings = {row["name"]: row for row in entry["settings"]}
        tokens = {"access_token", "refresh_token", "client_id", "client_secret"}
        extra = tokens if declared["oauth"] else set()  # OAuth 2's tokens are settings here
        assert settings.keys() == declared["settings"].keys() | extra, where
        for name, spec in declared["settings"].items():
            required = spec["required"] and not spec["defaulted"]  # else its default fills it
            assert settings[name]["required"] == required, (where, name)
            if spec["type"] == "password":
                assert settings[name]["type"] == "secret", (where, name)
        assert entry["actions"].keys() >= declared["actions"].keys(), where
        for key, fields in declared["actions"].items():
            shown = entry["actions"][key]["fields"]
            assert shown.keys() == fields.keys(), (where, key)
            for name, spec in fields.items():
                assert shown[name]["required"] == spec["required"], (where, key, name)
        # every automatic preset is an action that runs by default, titled by its name
        titles = sorted(entry["actions"][key]["title"] for key in entry["presets"])
        assert titles == sorted(declared["presets"]), where


def test_every_actions_default_mapping_and_subscription_compiles(
    actions_catalog: ActionsCatalog,
) -> None:
    """Each action named in a config with its defaults is accepted, as the router compiles it
    (the package's defaults use Segment's mapping language: @path, @if, @arrayPath, ...)."""
    for slug in actions_catalog.entries:
        definition = describe(slug)
        actions = {
            key: {"subscription": action["default_subscription"] or 'type = "track"'}
            for key, action in definition["actions"].items()
        }
        settings = {row["name"]: "x" for row in definition["settings"] if row["required"]}
        dest = {"name": "d", "type": slug, "sources": ["web"], "settings": settings}
        text = json.dumps({"sources": [SOURCE], "destinations": [{**dest, "actions": actions}]})
        try:
            parse_config(text)
        except ConfigError as error:
            if "settings" not in str(error):  # typed settings other than strings
                raise


def test_config_errors_name_the_key_and_line_for_actions_types(
    actions_catalog: ActionsCatalog,
) -> None:
    text = """\
destinations:
  - name: hook
    type: actions/webhook
    sources: [web]
    settings:
      sharedSecret: s3cr3t-value
    actions:
      send:
        mapping:
          url: "https://example.com/hook"
"""
    with pytest.raises(ConfigError) as caught:
        parse_config(SOURCE_YAML + text)
    message = str(caught.value)
    assert message.startswith("eventyard.yaml:11: destinations[0].actions.send.subscription")
    assert "no default subscription" in message
    assert "s3cr3t-value" not in message
    with pytest.raises(ConfigError, match=r":9: destinations\[0\]\.settings\.sharedSecrt: unknown"):
        parse_config(SOURCE_YAML + text.replace("sharedSecret", "sharedSecrt"))
    with pytest.raises(ConfigError, match="has no folder 'webhok'"):
        parse_config(SOURCE_YAML + text.replace("actions/webhook", "actions/webhok"))


def test_without_the_node_parts_an_actions_type_says_to_run_setup(tmp_path: Path) -> None:
    (tmp_path / "eventyard.yaml").write_text(
        SOURCE_YAML
        + "destinations:\n  - name: hook\n    type: actions/webhook\n    sources: [web]\n"
    )
    assert not (tmp_path / FOLDER).exists()
    result = eventyard(
        "serve", "--config", str(tmp_path / "eventyard.yaml"), "--data-dir", str(tmp_path)
    )
    assert result.returncode == 2
    assert "actions/webhook" in result.stderr
    assert f"eventyard setup --data-dir {tmp_path}" in result.stderr


def test_presets_run_when_no_action_is_named_and_naming_one_runs_only_it(
    actions_catalog: ActionsCatalog,
) -> None:
    def enabled(actions: str) -> list[str]:
        config = parse_config(
            f"{SOURCE_YAML}destinations:\n  - name: mp\n    type: actions/mixpanel\n"
            "    sources: [web]\n    settings: {projectToken: t, apiSecret: s}\n" + actions
        )
        (dest,) = config.destinations
        plan = compile_plan(dest, get_definition(dest.type))
        return sorted(action.key for action in plan.actions)

    presets = [
        "groupIdentifyUser", "identifyUser", "page_calls", "screen_calls", "trackEvent",
        "trackPurchase",
    ]  # fmt: skip
    assert enabled("") == presets
    assert enabled("    actions:\n      alias: {subscription: 'type = \"alias\"'}\n") == ["alias"]
    page = describe("actions/mixpanel")["actions"]["page_calls"]
    assert page["default_subscription"] == 'type = "page"'
    assert page["fields"]["event"]["default"] == {"@template": "Viewed {{name}}"}  # its preset


def test_presets_subscribed_with_an_upper_case_and_keep_their_subscription(
    actions_catalog: ActionsCatalog,
) -> None:
    """Pinterest's presets say `AND`, which Segment's subscription parser reads as `and`;
    without them the type failed at load ("has no default subscription")."""
    actions = describe("actions/pinterest-conversions")["actions"]
    assert actions["reportConversionEvent"]["default_subscription"] == (
        'type = "track" and event = "Product Added"'
    )
    assert actions["sign_up"]["default_subscription"] == 'type = "track" and event = "Signed Up"'
