'use strict'
// Acceptance 3: heartbeats keep a subscribed client alive past the idle timeout; a silent socket is
// closed after the idle timeout; heartbeat reply shape for vsn 2 and vsn 1.

const test = require('node:test')
const assert = require('node:assert/strict')
const h = require('../lib/harness')

const IDLE_MS = 3000
const ctx = h.useServer(test, { HERALD_WS_IDLE_TIMEOUT_MS: String(IDLE_MS) })

test('heartbeat reply shape on topic phoenix (raw vsn 2.0.0 array)', async () => {
  const c = await h.rawClient(ctx, { vsn: '2.0.0' })
  c.sendRaw(JSON.stringify([null, '7', 'phoenix', 'heartbeat', {}]))
  const reply = await c.reply('7')
  assert.deepEqual(reply.json, [null, '7', 'phoenix', 'phx_reply', { status: 'ok', response: {} }])
})

test('heartbeat reply shape on topic phoenix (raw vsn 1.0.0 object)', async () => {
  const c = await h.rawClient(ctx, { vsn: '1.0.0' })
  c.sendRaw(JSON.stringify({ topic: 'phoenix', event: 'heartbeat', payload: {}, ref: '8' }))
  const reply = await c.reply('8')
  assert.deepEqual(reply.json, { topic: 'phoenix', event: 'phx_reply', payload: { status: 'ok', response: {} }, ref: '8' })
  assert.ok(!('join_ref' in reply.json), 'v1 frames never carry join_ref')
})

test('no vsn parameter means 1.0.0 (object frames)', async () => {
  const c = await h.rawClient(ctx, { vsn: null })
  c.sendRaw(JSON.stringify({ topic: 'phoenix', event: 'heartbeat', payload: {}, ref: '9' }))
  const reply = await c.reply('9')
  assert.deepEqual(reply.json, { topic: 'phoenix', event: 'phx_reply', payload: { status: 'ok', response: {} }, ref: '9' })
})

test('a raw socket that sends nothing is closed by the server after the idle timeout', async () => {
  const c = await h.rawClient(ctx, { vsn: '2.0.0' })
  const openedAt = Date.now()
  const info = await h.withTimeout(c.closed.promise, IDLE_MS + 5000, 'server closing an idle socket')
  const after = info.at - openedAt
  assert.ok(after >= IDLE_MS - 500, `closed too early: after ${after} ms (idle timeout ${IDLE_MS} ms)`)
})

test('a socket that keeps sending heartbeats is not closed as idle', async () => {
  const c = await h.rawClient(ctx, { vsn: '2.0.0' })
  const until = Date.now() + 2 * IDLE_MS + 1000
  while (Date.now() < until) {
    await c.heartbeat()
    await h.sleep(1000)
  }
  assert.ok(c.isOpen, `socket closed: ${JSON.stringify(c.closeInfo)}`)
})

test('subscribed realtime-js client (heartbeatIntervalMs 1000) stays connected and joined for > 2x idle timeout', async () => {
  const { transport, stats } = h.countingTransport()
  const heartbeats = []
  const client = h.createClient(ctx, {
    vsn: '2.0.0',
    transport,
    heartbeatIntervalMs: 1000,
    heartbeatCallback: (status) => heartbeats.push(status),
  })
  const channel = client.channel('hb-room', { config: { broadcast: { self: true, ack: true } } })
  const got = h.collector(channel, 'broadcast', { event: 'ping' })
  await h.subscribe(channel)
  const start = Date.now()
  await h.sleep(8500)
  assert.ok(Date.now() - start > 2 * IDLE_MS)
  assert.equal(stats.attempts, 1, `expected exactly one connection attempt, got ${stats.attempts} (closes: ${stats.closes})`)
  assert.equal(stats.opens, 1)
  assert.deepEqual(stats.closes, [], 'socket must not have closed')
  assert.ok(client.isConnected(), 'client still connected')
  assert.equal(channel.state, 'joined', 'channel still joined')
  assert.deepEqual(channel.__statuses.map((s) => s.status), ['SUBSCRIBED'], 'no CHANNEL_ERROR / re-subscribe')
  assert.ok(heartbeats.filter((s) => s === 'ok').length >= 5, `heartbeat acks: ${heartbeats.join(',')}`)
  assert.ok(!heartbeats.includes('timeout') && !heartbeats.includes('error'), `heartbeat statuses: ${heartbeats.join(',')}`)
  // and the channel still works
  assert.equal(await channel.send({ type: 'broadcast', event: 'ping', payload: { t: 1 } }), 'ok')
  await got.waitFor(() => true, 3000)
})

// The transport under the standalone server has its own, shorter keep-alive timeout (30 s); it must not drop a quiet
// socket before the engine's idle timeout, and then without a close frame (the client saw 1006 after 30 s).
test('a quiet socket outlives the transport keep-alive (30 s) and is closed by the engine with 1000 at its idle timeout', async () => {
  const idleMs = 36000
  const server = await h.startServer({ HERALD_WS_IDLE_TIMEOUT_MS: String(idleMs) })
  try {
    const c = await h.rawClient({ server, track: () => {} }, { vsn: '2.0.0' }) // closed by the server, or by stop()
    const openedAt = Date.now()
    await c.join('realtime:quiet')
    const info = await h.withTimeout(c.closed.promise, idleMs + 8000, 'server closing a quiet socket')
    const after = info.at - openedAt
    assert.ok(after >= idleMs - 500, `closed after ${after} ms with ${info.code}, before the ${idleMs} ms idle timeout`)
    assert.equal(info.code, 1000, 'the engine closes with a close frame (1000), not a dropped connection (1006)')
  } finally {
    await server.stop()
  }
})
