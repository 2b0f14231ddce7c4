'use strict'
// Smoke test of the deployed WAR with the unmodified @supabase/realtime-js client (default vsn 2.0.0):
// heartbeat round trip, two clients join one channel, a broadcast from one reaches the other. Then a raw `ws`
// socket sends one 4.5 MB frame (above Tyrus' default 4 MB buffer; the WAR's web.xml raises it) and must still
// answer a heartbeat.
// Run by dist/war-tests (HeraldWarTest.java). Exit 0 on success, 1 with a message otherwise.
//
// Environment:
//   HERALD_URL      base URL ending in /realtime/v1, e.g. http://127.0.0.1:18480/herald/realtime/v1
//   HERALD_TOKEN    an HS256 JWT (role anon) signed with the server's secret
//   HERALD_E2E_DIR  the repo's e2e/ folder; modules are resolved from its node_modules (npm ci there first)
//   HERALD_TIMEOUT_MS  overall bound (default 30000)

const path = require('node:path')
const { createRequire } = require('node:module')

const TIMEOUT_MS = Number(process.env.HERALD_TIMEOUT_MS || 30000)
const started = Date.now()

function fail(message) {
  console.error(`FAIL after ${Date.now() - started} ms: ${message}`)
  process.exit(1)
}

for (const name of ['HERALD_URL', 'HERALD_TOKEN', 'HERALD_E2E_DIR']) {
  if (!process.env[name]) fail(`environment variable ${name} is not set`)
}
const url = process.env.HERALD_URL
const token = process.env.HERALD_TOKEN
const e2eRequire = createRequire(path.join(path.resolve(process.env.HERALD_E2E_DIR), 'package.json'))

let RealtimeClient, WebSocket
try {
  ;({ RealtimeClient } = e2eRequire('@supabase/realtime-js'))
  WebSocket = e2eRequire('ws')
} catch (e) {
  fail(`cannot load @supabase/realtime-js / ws from ${process.env.HERALD_E2E_DIR}/node_modules (run "npm ci" in e2e/): ${e.message}`)
}

const overall = setTimeout(() => fail(`timed out after ${TIMEOUT_MS} ms (last step: ${step})`), TIMEOUT_MS)
let step = 'start'
const clients = []

function within(promise, ms, what) {
  let timer
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms) }),
  ]).finally(() => clearTimeout(timer))
}

function makeClient(name, heartbeats) {
  const client = new RealtimeClient(url, {
    transport: WebSocket,
    params: { apikey: token },
    timeout: 5000,
    heartbeatIntervalMs: 1000,
    heartbeatCallback: (status, latency) => heartbeats.push({ name, status, latency }),
  })
  clients.push(client)
  return client
}

function subscribe(channel, name) {
  return within(new Promise((resolve, reject) => {
    channel.subscribe((status, err) => {
      if (status === 'SUBSCRIBED') resolve()
      else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT' || status === 'CLOSED') {
        reject(new Error(`${name}: subscribe status ${status}${err ? ` (${err.message || err})` : ''}`))
      }
    })
  }), 10000, `${name} subscribe`)
}

async function main() {
  const heartbeats = []
  const topic = `war-smoke-${process.pid}`
  const a = makeClient('A', heartbeats)
  const b = makeClient('B', heartbeats)

  step = 'join'
  const chA = a.channel(topic, { config: { broadcast: { self: false, ack: true } } })
  const chB = b.channel(topic, { config: { broadcast: { self: false } } })
  const received = new Promise((resolve) => chB.on('broadcast', { event: 'ping' }, (msg) => resolve(msg)))
  await Promise.all([subscribe(chA, 'A'), subscribe(chB, 'B')])
  console.log(`both clients SUBSCRIBED to ${topic} (${Date.now() - started} ms)`)

  step = 'broadcast'
  const payload = { n: 42, text: 'hello from A', nested: { ok: true } }
  const ack = await within(chA.send({ type: 'broadcast', event: 'ping', payload }), 5000, 'A send ack')
  if (ack !== 'ok') throw new Error(`A send returned ${JSON.stringify(ack)}, expected "ok"`)
  const msg = await within(received, 5000, 'B receives broadcast')
  if (msg.event !== 'ping' || JSON.stringify(msg.payload) !== JSON.stringify(payload)) {
    throw new Error(`B received ${JSON.stringify(msg)}`)
  }
  console.log(`broadcast A -> B delivered: ${JSON.stringify(msg.payload)}`)

  step = 'heartbeat'
  a.sendHeartbeat()
  const deadline = Date.now() + 5000
  while (!heartbeats.some((h) => h.name === 'A' && h.status === 'ok') && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50))
  }
  const okA = heartbeats.find((h) => h.name === 'A' && h.status === 'ok')
  if (!okA) throw new Error(`no heartbeat "ok" for A; statuses seen: ${JSON.stringify(heartbeats)}`)
  const bad = heartbeats.filter((h) => h.status === 'timeout' || h.status === 'error')
  if (bad.length) throw new Error(`heartbeat problems: ${JSON.stringify(bad)}`)
  console.log(`heartbeat round trip ok (latency ${okA.latency} ms)`)

  step = 'leave'
  await within(Promise.all([chA.unsubscribe(), chB.unsubscribe()]), 5000, 'unsubscribe')

  if (process.env.HERALD_BASE && process.env.HERALD_USER_TOKEN) {
    step = 'postgres_changes'
    await postgresChange()
  }

  step = 'big frame'
  await bigFrameThenHeartbeat()

  step = 'oversize frame'
  await oversizeFrameCloses1009()
}

/** One 6 MB frame, above HERALD_WS_MAX_FRAME_BYTES and the container's buffer: close 1009, counted as frame_too_large. */
async function oversizeFrameCloses1009() {
  const before = await frameTooLargeCount()
  const wsUrl = `${url.replace(/^http/, 'ws')}/websocket?apikey=${encodeURIComponent(token)}&vsn=1.0.0`
  const ws = new WebSocket(wsUrl, { maxPayload: 64 * 1024 * 1024 })
  try {
    await within(new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
      ws.once('unexpected-response', (_, res) => reject(new Error(`upgrade answered HTTP ${res.statusCode}`)))
    }), 5000, 'raw socket open')
    const closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })))
    ws.send('q'.repeat(6_000_000), { fin: true, compress: false })
    const c = await within(closed, 10000, 'close after a 6 MB frame')
    if (c.code !== 1009) throw new Error(`a 6 MB frame closed with ${c.code} ${c.reason}, expected 1009`)
    if (before !== null) {
      const deadline = Date.now() + 3000
      let after = await frameTooLargeCount()
      while (after !== before + 1 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100))
        after = await frameTooLargeCount()
      }
      if (after !== before + 1) throw new Error(`herald_drops_total{reason="frame_too_large"} went from ${before} to ${after}`)
    }
    console.log(`6 MB frame closed with 1009${before !== null ? ' and counted' : ''}`)
  } finally {
    ws.terminate()
  }
}

/** herald_drops_total{reason="frame_too_large"} from the WAR's /metrics, or null without HERALD_BASE. */
async function frameTooLargeCount() {
  if (!process.env.HERALD_BASE) return null
  const text = await (await fetch(`${process.env.HERALD_BASE}/metrics`)).text()
  const m = text.match(/^herald_drops_total\{[^}]*reason="frame_too_large"[^}]*\} ([0-9.eE+]+)/m)
  if (!m) throw new Error('no herald_drops_total{reason="frame_too_large"} in /metrics')
  return Number(m[1])
}

/**
 * A client of the example plugin's channel receives, as a postgres_change, the row the plugin's REST endpoint wrote
 * (the WAR's change capture reads the real PostgreSQL; the default filter and row policy apply).
 */
async function postgresChange() {
  const user = process.env.HERALD_USER_TOKEN
  const client = new RealtimeClient(url, { transport: WebSocket, params: { apikey: user }, timeout: 5000 })
  clients.push(client)
  const topic = `war${process.pid}`
  const ch = client.channel(`notes:${topic}`)
  const change = new Promise((resolve) => ch.on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'notes' }, resolve))
  const live = new Promise((resolve, reject) => ch.on('system', {}, (p) => {
    if (p.extension === 'postgres_changes') (p.status === 'ok' ? resolve : reject)(new Error(JSON.stringify(p)))
  }))
  await subscribe(ch, 'notes channel')
  await within(live, 20000, 'postgres_changes subscription live')
  const res = await fetch(`${process.env.HERALD_BASE}/plugins/notes/notes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user}`, 'content-type': 'application/json' },
    body: JSON.stringify({ topic, body: 'change from the WAR' }),
  })
  if (res.status !== 201) throw new Error(`POST note: ${res.status} ${await res.text()}`)
  const p = await within(change, 15000, 'postgres_change of the new note')
  if (p.new.body !== 'change from the WAR' || p.new.topic !== topic) throw new Error(`unexpected change ${JSON.stringify(p)}`)
  console.log(`postgres_change delivered (${p.table} ${p.eventType} id ${p.new.id}, ${Date.now() - started} ms)`)
  await within(ch.unsubscribe(), 5000, 'unsubscribe notes channel')
}

/** One unfragmented 4.5 MB text frame (vsn 1.0.0 JSON), then a heartbeat that must be answered on the same socket. */
async function bigFrameThenHeartbeat() {
  const wsUrl = `${url.replace(/^http/, 'ws')}/websocket?apikey=${encodeURIComponent(token)}&vsn=1.0.0`
  const ws = new WebSocket(wsUrl)
  try {
    await within(new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
      ws.once('unexpected-response', (_, res) => reject(new Error(`upgrade answered HTTP ${res.statusCode}`)))
    }), 5000, 'raw socket open')
    const closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve(`${code} ${reason}`)))
    const reply = new Promise((resolve) => ws.on('message', (data) => {
      const text = data.toString()
      if (text.includes('"ref":"hb"')) resolve(text)
    }))
    const big = JSON.stringify({ topic: 'realtime:war-big', event: 'noop', payload: { f: 'x'.repeat(4_500_000) }, ref: 'big' })
    ws.send(big, { fin: true, compress: false })
    ws.send(JSON.stringify({ topic: 'phoenix', event: 'heartbeat', payload: {}, ref: 'hb' }))
    const first = await within(Promise.race([reply.then((r) => ({ r })), closed.then((c) => ({ c }))]), 10000, 'heartbeat after big frame')
    if (first.c) throw new Error(`socket closed after a ${big.length}-byte frame: ${first.c}`)
    if (!first.r.includes('phx_reply') || !first.r.includes('"ok"')) throw new Error(`heartbeat reply: ${first.r}`)
    console.log(`${big.length}-byte frame admitted; heartbeat answered on the same socket`)
  } finally {
    ws.terminate()
  }
}

main().then(
  () => {
    clearTimeout(overall)
    for (const c of clients) c.disconnect()
    console.log(`OK in ${Date.now() - started} ms`)
    process.exit(0)
  },
  (e) => fail(`${step}: ${e && e.stack ? e.stack : e}`),
)
