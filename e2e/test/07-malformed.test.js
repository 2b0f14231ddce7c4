'use strict'
// Acceptance 7: malformed input never kills the server; the connection survives (and still answers a
// heartbeat) except for frames over 5,000,000 bytes, which close it.

const test = require('node:test')
const assert = require('node:assert/strict')
const h = require('../lib/harness')

const ctx = h.useServer(test)

const MAX_PAYLOAD_BYTES = 3000 * 1000 + 500 // default HERALD_MAX_PAYLOAD_KB=3000

async function stillAlive(c, label) {
  assert.ok(c.isOpen, `${label}: connection was closed ${JSON.stringify(c.closeInfo)}`)
  let hb
  try {
    hb = await c.heartbeat(3000)
  } catch (e) {
    throw new Error(`${label}: no heartbeat reply afterwards (${e.message}; socket ${c.isOpen ? 'open' : `closed ${JSON.stringify(c.closeInfo)}`})`)
  }
  assert.equal(hb.payload.status, 'ok', `${label}: heartbeat after malformed input`)
}

test('[vsn 2.0.0] invalid JSON, short arrays, non-arrays and objects are dropped without reply; connection kept', async () => {
  const c = await h.rawClient(ctx, { vsn: '2.0.0' })
  const inputs = [
    ['invalid JSON', '{"topic": "phoenix", '],
    ['empty text', ''],
    ['short array', JSON.stringify([null, 'r1', 'phoenix', 'heartbeat'])],
    ['empty array', '[]'],
    ['number', '42'],
    ['string', '"hello"'],
    ['null', 'null'],
    ['v1 object on v2', JSON.stringify({ topic: 'phoenix', event: 'heartbeat', payload: {}, ref: 'obj1' })],
    ['wrong types', JSON.stringify([1, 2, 3, 4, 5])],
    ['null topic', JSON.stringify([null, 'r2', null, 'heartbeat', {}])],
    ['non-object payload join', JSON.stringify(['r3', 'r3', 'realtime:x', 'phx_join', 'not-an-object'])],
  ]
  for (const [label, data] of inputs) {
    const from = c.messages.length
    c.sendRaw(data)
    await stillAlive(c, label)
    if (label === 'v1 object on v2' || label === 'short array') {
      const ref = label === 'short array' ? 'r1' : 'obj1'
      assert.ok(!c.messages.slice(from).some((m) => m.ref === ref), `${label}: must be dropped, not answered`)
    }
  }
  // extra elements after the 5th are ignored
  c.sendRaw(JSON.stringify([null, 'x6', 'phoenix', 'heartbeat', {}, 'extra', 1]))
  assert.equal((await c.reply('x6')).payload.status, 'ok', '≥5-element arrays are accepted')
})

test('[vsn 1.0.0] invalid JSON, arrays and objects missing required keys are dropped; connection kept', async () => {
  const c = await h.rawClient(ctx, { vsn: '1.0.0' })
  const inputs = [
    ['invalid JSON', '{{{'],
    ['array on v1', JSON.stringify([null, 'a1', 'phoenix', 'heartbeat', {}])],
    ['missing ref', JSON.stringify({ topic: 'phoenix', event: 'heartbeat', payload: {} })],
    ['missing payload', JSON.stringify({ topic: 'phoenix', event: 'heartbeat', ref: 'a2' })],
    ['missing topic', JSON.stringify({ event: 'phx_join', payload: {}, ref: 'a3' })],
  ]
  for (const [label, data] of inputs) {
    c.sendRaw(data)
    await stillAlive(c, label)
  }
})

test('[vsn 2.0.0] invalid UTF-8 in a text frame: connection may be closed (1007) but the server keeps serving', async () => {
  const c = await h.rawClient(ctx, { vsn: '2.0.0' })
  c.sendRaw(Buffer.from([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d]), { binary: false })
  await h.sleep(300)
  if (c.isOpen) await stillAlive(c, 'invalid UTF-8')
  const fresh = await h.rawClient(ctx, { vsn: '2.0.0' })
  await stillAlive(fresh, 'new client after invalid UTF-8')
})

test('unknown events on a joined channel get no reply; connection and channel kept', async () => {
  for (const vsn of ['2.0.0', '1.0.0']) {
    const c = await h.rawClient(ctx, { vsn })
    const topic = `realtime:unknown-events-${vsn[0]}`
    const { joinRef } = await c.join(topic, { broadcast: { ack: true, self: false } })
    const refs = [
      c.push(topic, 'no_such_event', { a: 1 }, c.nextRef(), joinRef),
      c.push(topic, 'postgres_changes', { type: 'postgres_changes', event: 'x' }, c.nextRef(), joinRef),
    ]
    await c.expectNone((m) => refs.includes(m.ref), 600, `[${vsn}] unknown event answered`)
    // topic "phoenix" is never a channel: anything but heartbeat is an unmatched topic (Phoenix socket rule)
    const pr = c.push('phoenix', 'no_such_phoenix_event', {}, c.nextRef(), null)
    assert.deepEqual((await c.reply(pr)).payload, { status: 'error', response: { reason: 'unmatched topic' } })
    await stillAlive(c, `[${vsn}] unknown events`)
    const b = c.push(topic, 'broadcast', { type: 'broadcast', event: 'still', payload: {} }, c.nextRef(), joinRef)
    assert.deepEqual((await c.reply(b)).payload, { status: 'ok', response: {} }, `[${vsn}] channel still joined`)
  }
})

test('[vsn 2.0.0] JSON-text broadcast pushes are accepted, acked and delivered', async () => {
  const c = await h.rawClient(ctx, { vsn: '2.0.0' })
  const sub = await h.rawClient(ctx, { vsn: '2.0.0' })
  const topic = 'realtime:json-text-broadcast'
  const { joinRef } = await c.join(topic, { broadcast: { ack: true, self: false } })
  await sub.join(topic)
  const ref = c.nextRef()
  c.sendRaw(JSON.stringify([joinRef, ref, topic, 'broadcast', { type: 'broadcast', event: 'txt', payload: { t: 'text' } }]))
  assert.deepEqual((await c.reply(ref)).payload, { status: 'ok', response: {} })
  const m = await sub.waitFor((x) => x.event === 'broadcast' && x.payload && x.payload.event === 'txt', 3000, 'delivery')
  assert.deepEqual(m.payload.payload, { t: 'text' })
})

test('[vsn 2.0.0] binary kinds 0/1/2, unknown kinds and truncated kind-3 frames are dropped; connection kept', async () => {
  const c = await h.rawClient(ctx, { vsn: '2.0.0' })
  const sub = await h.rawClient(ctx, { vsn: '2.0.0' })
  const topic = 'realtime:binary-garbage'
  const { joinRef } = await c.join(topic, { broadcast: { ack: true, self: true } })
  await sub.join(topic)
  const jr = Buffer.from(joinRef)
  const t = Buffer.from(topic)
  const ev = Buffer.from('evt')
  const frames = [
    ['kind 0 push', Buffer.concat([Buffer.from([0, jr.length, 2, t.length, 9]), jr, Buffer.from('k0'), t, Buffer.from('broadcast'), Buffer.from('{}')])],
    ['kind 1 reply', Buffer.concat([Buffer.from([1, jr.length, 2, t.length, 2]), jr, Buffer.from('k1'), t, Buffer.from('ok'), Buffer.from('{}')])],
    ['kind 2 broadcast', Buffer.concat([Buffer.from([2, t.length, ev.length]), t, ev, Buffer.from('{}')])],
    ['kind 5', Buffer.from([5, 1, 2, 3])],
    ['kind 255', Buffer.from([255])],
    ['empty binary', Buffer.alloc(0)],
    ['kind 3 header only', Buffer.from([3])],
    ['kind 3 truncated header', Buffer.from([3, 1, 1])],
    ['kind 3 lengths past end', Buffer.concat([Buffer.from([3, 1, 2, 200, 3, 0, 1]), Buffer.from('1k3realtime:')])],
    ['kind 3 bad encoding byte', h.kind3Frame({ joinRef, ref: 'k3e', topic, event: 'evt', payload: { a: 1 }, encoding: 7 })],
    ['kind 3 invalid JSON payload', Buffer.concat([h.kind3Frame({ joinRef, ref: 'k3j', topic, event: 'evt', payload: Buffer.alloc(0), encoding: 1 }), Buffer.from('{not json')])],
    ['kind 3 invalid metadata', h.kind3Frame({ joinRef, ref: 'k3m', topic, event: 'evt', meta: '{bad', payload: { a: 1 } })],
  ]
  for (const [label, frame] of frames) {
    c.sendRaw(frame, { binary: true })
    await stillAlive(c, label)
  }
  // whatever happened, the server never sends kinds other than 4 and the channel still works
  const ref = c.nextRef()
  c.sendRaw(h.kind3Frame({ joinRef, ref, topic, event: 'good', payload: { ok: true } }))
  assert.deepEqual((await c.reply(ref)).payload, { status: 'ok', response: {} })
  await sub.waitFor((m) => m.payload && m.payload.event === 'good', 3000, 'delivery after garbage')
  for (const x of [c, sub]) for (const m of x.messages) if (m.kind === 'binary') assert.equal(m.binKind, 4, 'server binary frame kind')
  assert.ok(sub.isOpen)
})

test('256-byte topic: join and binary fan-out impossible to frame do not break anything', async () => {
  const c = await h.rawClient(ctx, { vsn: '2.0.0' })
  const v1 = await h.rawClient(ctx, { vsn: '1.0.0' })
  const topic = 'realtime:' + 'x'.repeat(256 - 'realtime:'.length)
  assert.equal(Buffer.byteLength(topic), 256)
  const { joinRef, reply } = await c.join(topic, { broadcast: { ack: true, self: true } })
  await stillAlive(c, '256-byte topic join')
  await v1.join(topic)
  if (reply.payload.status === 'ok') {
    // JSON-text broadcast on the long topic: reply and (text) delivery, or at least no crash
    const ref = c.push(topic, 'broadcast', { type: 'broadcast', event: 'long', payload: { a: 1 } }, c.nextRef(), joinRef)
    await c.reply(ref)
    await v1.waitFor((m) => m.event === 'broadcast', 3000, 'v1 delivery on 256-byte topic')
  }
  // a kind-3 frame cannot carry a 256-byte topic; send one claiming 255 bytes of it
  const t255 = Buffer.from(topic).subarray(0, 255)
  c.sendRaw(Buffer.concat([Buffer.from([3, 0, 0, 255, 1, 0, 1]), t255, Buffer.from('e'), Buffer.from('{}')]))
  await stillAlive(c, '255-byte kind-3 topic')
  await stillAlive(v1, 'v1 subscriber of 256-byte topic')
  const other = await h.rawClient(ctx, { vsn: '2.0.0' })
  await stillAlive(other, 'new client')
})

test('oversize broadcast payload with ack → error "payload_size_exceeded", not delivered, connection kept', async () => {
  const c2 = await h.rawClient(ctx, { vsn: '2.0.0' })
  const c1 = await h.rawClient(ctx, { vsn: '1.0.0' })
  const sub = await h.rawClient(ctx, { vsn: '1.0.0' })
  const topic = 'realtime:oversize'
  const j2 = (await c2.join(topic, { broadcast: { ack: true, self: false } })).joinRef
  const j1 = (await c1.join(topic, { broadcast: { ack: true, self: false } })).joinRef
  await sub.join(topic)
  const big = { blob: 'y'.repeat(MAX_PAYLOAD_BYTES + 1000) }

  // v2 kind-3 (what realtime-js sends)
  const r1 = c2.nextRef()
  c2.sendRaw(h.kind3Frame({ joinRef: j2, ref: r1, topic, event: 'huge', payload: big }))
  const rep1 = await c2.reply(r1, 10000)
  assert.deepEqual(rep1.json, [j2, r1, topic, 'phx_reply', { status: 'error', response: 'payload_size_exceeded' }])
  await stillAlive(c2, 'after oversize kind-3')

  // v2 kind-3 binary payload
  const r2 = c2.nextRef()
  c2.sendRaw(h.kind3Frame({ joinRef: j2, ref: r2, topic, event: 'hugebin', payload: Buffer.alloc(MAX_PAYLOAD_BYTES + 1000, 7) }))
  assert.deepEqual((await c2.reply(r2, 10000)).payload, { status: 'error', response: 'payload_size_exceeded' })

  // v1 JSON
  const r3 = c1.push(topic, 'broadcast', { type: 'broadcast', event: 'huge1', payload: big }, c1.nextRef(), j1)
  const rep3 = await c1.reply(r3, 10000)
  assert.deepEqual(rep3.json, { topic, event: 'phx_reply', payload: { status: 'error', response: 'payload_size_exceeded' }, ref: r3 })
  await stillAlive(c1, 'after oversize v1 JSON')

  // a normal message still goes through, and the oversize ones were never delivered
  const r4 = c2.nextRef()
  c2.sendRaw(h.kind3Frame({ joinRef: j2, ref: r4, topic, event: 'small', payload: { ok: 1 } }))
  assert.deepEqual((await c2.reply(r4)).payload, { status: 'ok', response: {} })
  await sub.waitFor((m) => m.payload && m.payload.event === 'small', 3000, 'small delivery')
  assert.ok(!sub.messages.some((m) => m.payload && ['huge', 'hugebin', 'huge1'].includes(m.payload.event)), 'oversize message delivered')

  const metrics = await h.fetchMetrics(ctx.server)
  assert.ok((h.metricValue(metrics, 'herald_drops_total') || 0) >= 3, 'herald_drops_total counts the oversize drops')
})

test('realtime-js: oversize send with ack resolves "error"; the client keeps working', async () => {
  const client = h.createClient(ctx, { vsn: '2.0.0' })
  const ch = client.channel('oversize-js', { config: { broadcast: { ack: true, self: true } } })
  const got = h.collector(ch, 'broadcast', { event: '*' })
  await h.subscribe(ch)
  const status = await h.withTimeout(ch.send({ type: 'broadcast', event: 'huge', payload: { blob: 'z'.repeat(MAX_PAYLOAD_BYTES + 10) } }), 10000, 'oversize send')
  assert.equal(status, 'error')
  assert.equal(await ch.send({ type: 'broadcast', event: 'small', payload: { a: 1 } }), 'ok')
  await got.waitFor((p) => p.event === 'small', 3000)
  assert.ok(!got.items.some((p) => p.event === 'huge'))
  assert.ok(client.isConnected())
})

test('a frame over 5,000,000 bytes closes that connection; the server keeps serving others', async () => {
  const victim = await h.rawClient(ctx, { vsn: '2.0.0' })
  const bystander = await h.rawClient(ctx, { vsn: '2.0.0' })
  await victim.join('realtime:huge-frame')
  victim.sendRaw(JSON.stringify([null, 'big', 'realtime:huge-frame', 'broadcast', { type: 'broadcast', event: 'x', payload: { s: 'q'.repeat(5100000) } }]))
  const info = await h.withTimeout(victim.closed.promise, 10000, 'server closing the connection after a >5 MB frame')
  assert.equal(info.code, 1009, `close ${JSON.stringify(info)}`)
  assert.ok(!victim.messages.some((m) => m.ref === 'big'), 'the oversize frame must not be processed')
  await stillAlive(bystander, 'existing client')
  const fresh = await h.rawClient(ctx, { vsn: '1.0.0' })
  await stillAlive(fresh, 'new client')
  assert.ok(ctx.server.alive, 'server process alive')
})

// Frames and messages over HERALD_WS_MAX_FRAME_BYTES (default 5,000,000): close code 1009, counted as frame_too_large.
for (const [label, send] of [
  ['a 6 MB text frame', (c) => c.sendRaw('q'.repeat(6 * 1000 * 1000))],
  ['a 6 MB binary frame', (c) => c.sendRaw(Buffer.alloc(6 * 1000 * 1000, 7), { binary: true })],
  ['a 5,000,500-byte text frame (just over the limit)', (c) => c.sendRaw('q'.repeat(5000500))],
  ['a 6 MB text message in 1 MB continuation frames', (c) => {
    for (let i = 0; i < 6; i++) c.ws.send('q'.repeat(1000 * 1000), { fin: i === 5 })
  }],
  ['a 6 MB binary message in 1 MB continuation frames', (c) => {
    for (let i = 0; i < 6; i++) c.ws.send(Buffer.alloc(1000 * 1000, 1), { binary: true, fin: i === 5 })
  }],
]) {
  test(`${label} closes with 1009 and is counted`, async () => {
    const before = await h.readMetric(ctx.server, 'herald_drops_total', { reason: 'frame_too_large' })
    const c = await h.rawClient(ctx, { vsn: '2.0.0' })
    send(c)
    const info = await h.withTimeout(c.closed.promise, 10000, 'server closing the connection')
    assert.equal(info.code, 1009, `close ${JSON.stringify(info)}`)
    await h.waitFor(async () => (await h.readMetric(ctx.server, 'herald_drops_total', { reason: 'frame_too_large' })) === before + 1,
      3000, 'frame_too_large counted once')
  })
}

test('server process survived the whole malformed-input file', async () => {
  assert.ok(ctx.server.alive)
  const c = await h.rawClient(ctx, { vsn: '2.0.0' })
  await stillAlive(c, 'final check')
})
