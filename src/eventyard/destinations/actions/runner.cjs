'use strict'
// eventyard's actions runner: runs Segment's Actions destinations (@segment/action-destinations
// with @segment/actions-core, pinned in ops/node/package-lock.json) for the server.
//
//   node runner.cjs serve     frames on stdin/stdout (4-byte big-endian length + UTF-8 JSON)
//   node runner.cjs catalog   prints the catalog (every destination's metadata) as JSON
//
// The runner only executes; the server keeps the queue, retries and dead letters. Every HTTP
// request a destination makes through fetch is sent back to the server as an `http` frame and
// performed there, under eventyard's outbound policy; the runner never opens a socket itself
// for fetch. NODE_PATH points at the installed node_modules.

const fs = require('node:fs')
const path = require('node:path')
const Module = require('node:module')
const { AsyncLocalStorage } = require('node:async_hooks')

const MAX_FRAME = 64 * 1024 * 1024
const calls = new AsyncLocalStorage()
const pending = new Map() // http request id -> {resolve, reject}
let nextHttpId = 1

function send(message) {
  const body = Buffer.from(JSON.stringify(message), 'utf8')
  const head = Buffer.alloc(4)
  head.writeUInt32BE(body.length, 0)
  process.stdout.write(Buffer.concat([head, body]))
}

// ---- fetch through the server -------------------------------------------------------------

function proxiedFetch(real) {
  const { Headers, Request, Response } = real
  async function fetchThroughServer(input, init) {
    const call = calls.getStore()
    if (call === undefined) {
      throw new Error('eventyard actions runner: a request outside of any call')
    }
    const request = input instanceof Request && init === undefined ? input : new Request(input, init)
    const headers = []
    request.headers.forEach((value, name) => headers.push([name, value]))
    const body = ['GET', 'HEAD'].includes(request.method) ? null : Buffer.from(await request.arrayBuffer())
    const text = body === null ? null : body.toString('utf8')
    const id = nextHttpId++
    const answer = await new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject })
      send({
        op: 'http',
        id,
        call,
        url: request.url,
        method: request.method,
        headers,
        // UTF-8 text (JSON, forms) as it is; other bytes in base64
        ...(body === null || body.length === 0
          ? {}
          : Buffer.byteLength(text) === body.length && !text.includes('\ufffd')
            ? { text }
            : { body: body.toString('base64') })
      })
    })
    if (answer.error !== undefined) {
      const error = new Error(answer.error)
      error.name = 'FetchError'
      error.eventyardTransport = true
      throw error
    }
    const content = answer.text !== undefined ? answer.text : Buffer.from(answer.body || '', 'base64')
    return new Response(content, {
      status: answer.status,
      statusText: answer.reason || '',
      headers: new Headers(answer.headers),
      url: request.url
    })
  }
  return fetchThroughServer
}

function installFetch() {
  const crossFetch = require('cross-fetch')
  const wrapped = proxiedFetch(crossFetch)
  Object.assign(wrapped, {
    fetch: wrapped,
    default: wrapped,
    Headers: crossFetch.Headers,
    Request: crossFetch.Request,
    Response: crossFetch.Response
  })
  const load = Module._load
  // Every copy of cross-fetch (actions-core's and the destinations') resolves to the proxy.
  Module._load = function (request, parent, isMain) {
    if (request === 'cross-fetch') return wrapped
    return load.call(this, request, parent, isMain)
  }
  globalThis.fetch = wrapped
}

// ---- destinations ---------------------------------------------------------------------------

function packageDir(name) {
  for (const base of require.resolve.paths(name) || []) {
    const dir = path.resolve(base, name)
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir
  }
  throw new Error(`${name} is not installed (NODE_PATH: ${process.env.NODE_PATH || 'unset'})`)
}

function packageVersion(name) {
  return JSON.parse(fs.readFileSync(path.join(packageDir(name), 'package.json'), 'utf8')).version
}

function destinationsDir() {
  return path.join(packageDir('@segment/action-destinations'), 'dist', 'destinations')
}

const loaded = new Map() // slug -> Destination
function destination(slug) {
  let found = loaded.get(slug)
  if (found === undefined) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(slug)) throw permanent(`not a destination folder name: ${slug}`)
    const file = path.join(destinationsDir(), slug, 'index.js')
    if (!fs.existsSync(file)) throw permanent(`@segment/action-destinations has no destination ${slug}`)
    const { Destination } = require('@segment/actions-core')
    found = new Destination(require(file).default)
    loaded.set(slug, found)
  }
  return found
}

function permanent(message) {
  const error = new Error(message)
  error.eventyardKind = 'permanent'
  return error
}

// How Segment's service treats an error: retry (network, timeouts, 429, 5xx, RetryableError),
// or permanent (PayloadValidationError, IntegrationError with a 4xx, other 4xx).
function classify(error) {
  const status = error?.response?.status ?? (typeof error?.status === 'number' ? error.status : undefined)
  const name = error?.name || 'Error'
  let kind = 'retry'
  if (error?.eventyardKind) kind = error.eventyardKind
  else if (name === 'PayloadValidationError' || name === 'AggregateAjvError' || name === 'ValidationError') kind = 'permanent'
  else if (name === 'RetryableError') kind = 'retry'
  else if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) kind = 'permanent'
  return {
    kind,
    name,
    status: status ?? null,
    message: String(error?.message ?? error),
    transport: error?.eventyardTransport === true
  }
}

// OAuth 2: the tokens are settings; an access token refreshed on a 401 is also kept here,
// by refresh token, for the calls that follow until the server has stored it.
const freshTokens = new Map()

function authOf(settings) {
  return {
    accessToken: freshTokens.get(settings.refresh_token) ?? settings.access_token,
    refreshToken: settings.refresh_token,
    clientId: settings.client_id,
    clientSecret: settings.client_secret
  }
}

// Runs `call(auth)`; on a 401 with a refresh token, refreshes through the definition's
// refreshAccessToken and runs it once more, as Segment's service does. The new tokens go
// into `answer.tokens`, for the server to store in the destination's settings.
async function withFreshToken(dest, settings, answer, call) {
  const auth = authOf(settings)
  try {
    return await call(auth)
  } catch (error) {
    const status = error?.response?.status ?? error?.status
    if (status !== 401 || !auth.refreshToken || !dest.authentication?.refreshAccessToken) throw error
    const fresh = await dest.refreshAccessToken(settings, auth)
    if (!fresh?.accessToken) throw error
    freshTokens.set(auth.refreshToken, fresh.accessToken)
    answer.tokens = { access_token: fresh.accessToken }
    if (fresh.refreshToken && fresh.refreshToken !== auth.refreshToken) {
      answer.tokens.refresh_token = fresh.refreshToken
      freshTokens.set(fresh.refreshToken, fresh.accessToken)
    }
    return await call({ ...auth, accessToken: fresh.accessToken })
  }
}

// The payloads were mapped by eventyard; each key is mapped to itself so that actions-core
// validates them against the action's schema and runs perform/performBatch unchanged.
function identityMapping(payloads) {
  const mapping = {}
  for (const payload of payloads) for (const key of Object.keys(payload)) mapping[key] = { '@path': `$.${key}` }
  return mapping
}

async function execute(request) {
  const dest = destination(request.slug)
  if (!dest.actions[request.action]) throw permanent(`${request.slug} has no action ${request.action}`)
  const settings = request.settings || {}
  const common = { mapping: identityMapping(request.payloads), settings, features: {} }
  const answer = {}
  if (!request.batch) {
    await withFreshToken(dest, settings, answer, (auth) =>
      dest.executeAction(request.action, { event: request.payloads[0], ...common, auth })
    )
    return { ...answer, results: [null] }
  }
  const statuses = await withFreshToken(dest, settings, answer, (auth) =>
    dest.executeBatch(request.action, { events: request.payloads, ...common, auth })
  )
  return {
    ...answer,
    results: request.payloads.map((_, i) => {
      const one = statuses[i]
      if (!one || (one.status >= 200 && one.status < 300)) return null
      const status = one.status
      const kind = status === 408 || status === 429 || status >= 500 ? 'retry' : 'permanent'
      return { kind, name: one.errortype || 'Error', status, message: String(one.errormessage || `status ${status}`) }
    })
  }
}

async function testAuthentication(request) {
  await destination(request.slug).testAuthentication(request.settings || {})
  return {}
}

const OPERATIONS = { execute, test: testAuthentication }

function handle(message) {
  if (message.op === 'response') {
    const waiter = pending.get(message.id)
    if (waiter !== undefined) {
      pending.delete(message.id)
      waiter.resolve(message)
    }
    return
  }
  const operation = OPERATIONS[message.op]
  const run = operation
    ? calls.run(message.id, () => operation(message))
    : Promise.reject(permanent(`unknown operation ${message.op}`))
  run.then(
    (result) => {
      triedSockets.delete(message.id)
      send({ op: 'result', id: message.id, ...result })
    },
    (error) => {
      const cause = triedSockets.delete(message.id) ? permanent(OWN_SOCKETS) : error
      send({ op: 'result', id: message.id, error: classify(cause) })
    }
  )
}

const OWN_SOCKETS =
  'this destination opens network connections of its own (not through fetch), which ' +
  "eventyard's outbound policy cannot check; it is not supported yet"

// Every socket a destination could open itself (AWS SDK, Kafka, SFTP clients) fails at once
// with a permanent error: the outbound policy only sees requests made through fetch.
// Libraries wrap that error in their own, so the call that tried is remembered too.
const triedSockets = new Set() // call ids
function forbidSockets() {
  const net = require('node:net')
  net.Socket.prototype.connect = function () {
    const call = calls.getStore()
    if (call !== undefined) triedSockets.add(call)
    throw permanent(OWN_SOCKETS)
  }
}

// stdout carries the frames: a destination's console output must never reach it. Its
// warnings and errors go to stderr (the server's log), a line of at most 300 characters;
// the rest is dropped (it may hold a customer's data).
function quietConsole() {
  const util = require('node:util')
  const toLog = (...args) => process.stderr.write(`actions runner: ${util.format(...args).slice(0, 300)}\n`)
  const drop = () => {}
  Object.assign(console, { log: drop, info: drop, debug: drop, trace: drop, dir: drop, table: drop })
  Object.assign(console, { warn: toLog, error: toLog })
}

function serve() {
  quietConsole()
  installFetch()
  forbidSockets()
  let buffered = Buffer.alloc(0)
  process.stdin.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk])
    while (buffered.length >= 4) {
      const size = buffered.readUInt32BE(0)
      if (size > MAX_FRAME) {
        process.stderr.write(`actions runner: frame of ${size} bytes is over the limit\n`)
        process.exit(2)
      }
      if (buffered.length < 4 + size) break
      const frame = buffered.subarray(4, 4 + size)
      buffered = buffered.subarray(4 + size)
      handle(JSON.parse(frame.toString('utf8')))
    }
  })
  process.stdin.on('end', () => process.exit(0))
  send({ op: 'ready' })
}

// ---- catalog --------------------------------------------------------------------------------

function fieldsOf(fields) {
  const out = {}
  for (const [key, field] of Object.entries(fields || {})) {
    out[key] = {
      label: field.label ?? key,
      type: field.type,
      description: field.description ?? '',
      required: field.required === true,
      multiple: field.multiple === true,
      allowNull: field.allowNull === true,
      default: field.default,
      choices: field.choices,
      format: field.format,
      properties: field.properties ? fieldsOf(field.properties) : undefined
    }
  }
  return out
}

function catalogEntry(slug, definition) {
  const actions = {}
  for (const [key, action] of Object.entries(definition.actions || {})) {
    actions[key] = {
      title: action.title ?? key,
      description: action.description ?? '',
      defaultSubscription: action.defaultSubscription ?? null,
      fields: fieldsOf(action.fields),
      batch: typeof action.performBatch === 'function'
    }
  }
  const auth = definition.authentication || {}
  return {
    slug,
    name: definition.name,
    description: definition.description ?? '',
    mode: definition.mode ?? 'cloud',
    scheme: auth.scheme ?? null,
    testAuthentication: typeof auth.testAuthentication === 'function',
    settings: fieldsOf(auth.fields),
    actions,
    presets: (definition.presets || []).map((preset) => ({
      name: preset.name,
      partnerAction: preset.partnerAction,
      subscribe: preset.subscribe ?? null,
      mapping: preset.mapping ?? {},
      type: preset.type ?? 'automatic'
    }))
  }
}

function catalog() {
  const dir = destinationsDir()
  const destinations = []
  const unloadable = {}
  for (const slug of fs.readdirSync(dir).sort()) {
    if (!fs.existsSync(path.join(dir, slug, 'index.js'))) continue
    try {
      const definition = require(path.join(dir, slug, 'index.js')).default
      if (!definition?.name || typeof definition.actions !== 'object') {
        unloadable[slug] = 'its index.js exports no destination definition'
        continue
      }
      destinations.push(catalogEntry(slug, definition))
    } catch (error) {
      unloadable[slug] = String(error?.message ?? error).split('\n')[0]
    }
  }
  const versions = { package: packageVersion('@segment/action-destinations'), core: packageVersion('@segment/actions-core') }
  process.stdout.write(JSON.stringify({ ...versions, destinations, unloadable }, null, 1) + '\n')
}

const COMMANDS = { serve, catalog }
const command = COMMANDS[process.argv[2]]
if (command === undefined) {
  process.stderr.write('usage: node runner.cjs serve|catalog\n')
  process.exit(2)
}
command()
