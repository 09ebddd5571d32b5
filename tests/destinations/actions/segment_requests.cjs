'use strict'
// The requests Segment's own code makes for events: for each case (a destination's preset)
// and each event its subscription matches, actions-core's createTestIntegration runs the
// preset's mapping (testBatchAction when the mapped payload asks for batching and the
// action has performBatch, as eventyard's delivery does) with fetch answered locally.
//
// stdin: {"events": [...], "cases": [{slug, preset, action, mapping, subscribe, settings, auth}]}
// stdout: [{slug, preset, messageId, requests: [{method, url, headers, body}], error}]

const path = require('node:path')
const Module = require('node:module')

// stdout carries the answer: a destination's console output goes nowhere.
for (const name of ['log', 'info', 'debug', 'warn', 'error']) console[name] = () => {}

const crossFetch = require('cross-fetch')
let captured = []
async function fakeFetch(input, init) {
  const request = new crossFetch.Request(input, init)
  const headers = {}
  request.headers.forEach((value, name) => (headers[name] = value))
  const body = ['GET', 'HEAD'].includes(request.method) ? '' : await request.text()
  captured.push({ method: request.method, url: request.url, headers, body })
  const answer = { 'content-type': 'application/json' }
  return new crossFetch.Response('{}', { status: 200, headers: answer, url: request.url })
}
Object.assign(fakeFetch, crossFetch, { fetch: fakeFetch, default: fakeFetch })
const load = Module._load
Module._load = function (request, parent, isMain) {
  return request === 'cross-fetch' ? fakeFetch : load.call(this, request, parent, isMain)
}
globalThis.fetch = fakeFetch

const { createTestIntegration, transform } = require('@segment/actions-core')
const { parseFql, validate } = require('@segment/destination-subscriptions')
const root = path.join(
  path.dirname(require.resolve('@segment/action-destinations/package.json')),
  'dist',
  'destinations'
)

// createTestEvent fills keys an event lacks (an identify gets `event: 'Test Event'`): those
// are set to undefined so that the event is exactly the one eventyard delivered.
const FILLED = ['anonymousId', 'context', 'event', 'messageId', 'properties', 'receivedAt',
  'sentAt', 'timestamp', 'traits', 'userId']
const exact = (event) => ({ ...Object.fromEntries(FILLED.map((k) => [k, undefined])), ...event })

async function run(input) {
  const out = []
  for (const c of input.cases) {
    const definition = require(path.join(root, c.slug)).default
    const fql = parseFql(c.subscribe)
    for (const event of input.events) {
      if (!validate(fql, event)) continue
      captured = []
      let error = null
      try {
        const test = createTestIntegration(definition)
        // the runner passes no transaction context; testAction's default `{}` lacks the
        // setter HubSpot calls, so one that keeps nothing stands in
        const transactionContext = { transaction: {}, setTransaction() {} }
        const options = { mapping: c.mapping, settings: c.settings, auth: c.auth, transactionContext }
        const batch = transform(c.mapping, event).enable_batching === true &&
          typeof definition.actions[c.action].performBatch === 'function'
        if (batch) await test.testBatchAction(c.action, { ...options, events: [exact(event)] })
        else await test.testAction(c.action, { ...options, event: exact(event) })
      } catch (e) {
        error = `${e?.name}: ${e?.message}`
      }
      out.push({ slug: c.slug, preset: c.preset, messageId: event.messageId, requests: captured, error })
    }
  }
  return out
}

let text = ''
process.stdin.on('data', (chunk) => (text += chunk))
process.stdin.on('end', () =>
  run(JSON.parse(text)).then((out) => process.stdout.write(JSON.stringify(out)))
)
