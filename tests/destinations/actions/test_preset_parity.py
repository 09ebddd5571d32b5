"""Every preset of every destination maps Segment's test events as Segment's own code does.

eventyard maps events with its implementation of Segment's mapping language and hands the
payload to the runner, where actions-core cleans and validates it before `perform`. Here
each automatic preset's mapping is applied to events made by actions-core's
`createTestEvent`, once by eventyard and once by actions-core's `transform`; after
actions-core's `removeEmptyValues` and its validator's coercion (which the runner applies
to both) the payloads must be equal, so `perform` gets the same input and sends the same request.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from eventyard.destinations.actions.catalog import ActionsCatalog
from eventyard.destinations.registry import get_definition
from eventyard.ops.node_parts import node_parts
from eventyard.pipeline.actions import compile_action

EVENTS = """
const { createTestEvent } = require('@segment/actions-core')
const base = { messageId: 'm-1', timestamp: '2026-01-01T12:00:00.000Z', userId: 'user1234' }
const products = [{ product_id: 'p1', name: 'Shirt', price: 20, quantity: 2 }]
process.stdout.write(JSON.stringify([
  createTestEvent({ ...base, type: 'track', event: 'Order Completed',
    properties: { order_id: 'o1', revenue: 42.5, currency: 'USD', products, email: 'a@b.co' } }),
  createTestEvent({ ...base, type: 'track', event: 'Signed Up', properties: { plan: 'pro' } }),
  createTestEvent({ ...base, type: 'identify',
    traits: { email: 'ada@example.com', name: 'Ada', phone: '+14155550100' } }),
  createTestEvent({ ...base, type: 'page', name: 'Docs', properties: { title: 'Docs' } }),
  createTestEvent({ ...base, type: 'screen', name: 'Home' }),
  createTestEvent({ ...base, type: 'group', groupId: 'g1', traits: { name: 'Acme' } })
]))
"""

COMPARE = """
const path = require('path')
const { transform, fieldsToJsonSchema } = require('@segment/actions-core')
const core = path.join(process.env.NODE_PATH, '@segment/actions-core/dist/cjs')
const { removeEmptyValues } = require(path.join(core, 'remove-empty-values.js'))
const { validateSchema } = require(path.join(core, 'schema-validation.js'))
const root = path.join(process.env.NODE_PATH, '@segment/action-destinations/dist/destinations')
const sorted = (v) => Array.isArray(v) ? v.map(sorted) : v && typeof v === 'object'
  ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])])) : v
const differ = []
for (const c of JSON.parse(require('fs').readFileSync(0, 'utf8'))) {
  const action = require(path.join(root, c.slug)).default.actions[c.action]
  const schema = fieldsToJsonSchema(action.fields)
  // as `perform` gets it: empties removed, then coerced by actions-core's validator
  const clean = (payload) => {
    const kept = removeEmptyValues(payload, schema, true)
    validateSchema(kept, schema, { throwIfInvalid: false })
    return JSON.stringify(sorted(kept))
  }
  const [theirs, ours] = [clean(transform(c.mapping, c.event)), clean(c.ours)]
  if (theirs !== ours) differ.push({ slug: c.slug, preset: c.preset, theirs, ours })
}
process.stdout.write(JSON.stringify(differ))
"""


def node(parts_dir: Path, script: str, given: Any = None) -> Any:
    parts = node_parts(parts_dir)
    done = subprocess.run(
        [str(parts.node), "-e", script],
        env={"NODE_PATH": str(parts.modules.resolve())},
        input=None if given is None else json.dumps(given).encode(),
        capture_output=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout)


def test_every_preset_maps_segments_test_events_as_actions_core_does(
    node_parts_dir: Path, actions_catalog: ActionsCatalog
) -> None:
    events = node(node_parts_dir, EVENTS)
    cases = []
    for slug, entry in actions_catalog.entries.items():
        definition = get_definition(slug)
        by_title = {
            f"{entry['actions'][p['partnerAction']]['title']} ({p['name']})": p
            for p in entry["presets"]
            if p["partnerAction"] in entry["actions"]
        }
        for key in sorted(definition.presets or ()):
            action = definition.actions[key]
            preset = by_title[action.title]
            compiled = compile_action(key, action, 'type = "track"')
            for event in events:
                payload = compiled.build(event).payload
                if payload is None:  # a required field is missing: never sent
                    continue
                cases.append(
                    {
                        "slug": entry["slug"],
                        "action": preset["partnerAction"],
                        "preset": key,
                        "mapping": preset["mapping"],
                        "event": event,
                        "ours": payload,
                    }
                )
    assert len(cases) > 1000
    assert node(node_parts_dir, COMPARE, cases) == []
