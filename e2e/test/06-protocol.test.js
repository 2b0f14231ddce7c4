'use strict'
// Acceptance 6: protocol details over raw websockets, for vsn 2.0.0 (arrays + binary) and vsn 1.0.0 (objects).

const test = require('node:test')
const assert = require('node:assert/strict')
const h = require('../lib/harness')

// Byte-for-byte Supabase parity: resume positions (a Herald extension that adds meta.herald_pos) are switched off here.
const ctx = h.useServer(test, { HERALD_REPLAY_MAX_MESSAGES: '0' })

const V1_KEYS = ['event', 'payload', 'ref', 'topic']

/** Check frame shape per vsn: v2 = 5-element array with join_ref; v1 = object with exactly topic/event/payload/ref. */
function assertFrame(vsn, msg, { joinRef, ref, topic, event, payload }) {
  if (vsn === '2.0.0') {
    assert.ok(Array.isArray(msg.json) && msg.json.length === 5, `v2 frame must be a 5-element array: ${msg.raw}`)
    if (joinRef !== undefined) assert.equal(msg.json[0], joinRef, `join_ref in ${msg.raw}`)
  } else {
    assert.ok(msg.json && !Array.isArray(msg.json), `v1 frame must be an object: ${msg.raw}`)
    assert.deepEqual(Object.keys(msg.json).sort(), V1_KEYS, `v1 frame keys: ${msg.raw}`)
  }
  if (ref !== undefined) assert.equal(msg.ref, ref, `ref in ${msg.raw}`)
  if (topic !== undefined) assert.equal(msg.topic, topic, `topic in ${msg.raw}`)
  if (event !== undefined) assert.equal(msg.event, event, `event in ${msg.raw}`)
  if (payload !== undefined) assert.deepEqual(msg.payload, payload, `payload in ${msg.raw}`)
}

for (const vsn of ['2.0.0', '1.0.0']) {
  const T = (name) => `realtime:${name}-v${vsn[0]}`

  test(`[vsn ${vsn}] join reply echoes join_ref/ref and always carries postgres_changes (order, integer id, keys echoed)`, async () => {
    const c = await h.rawClient(ctx, { vsn })
    const pg = [
      { event: 'INSERT', schema: 'public', table: 'todos', filter: 'id=eq.1' },
      { event: '*', schema: 'public', table: 'notes' },
      { event: 'DELETE', schema: 'public', table: 'todos', select: ['id', 'title'], extra_key: 'kept' },
    ]
    const topic = T('join-pg')
    const { ref, reply } = await c.join(topic, { postgres_changes: pg })
    assertFrame(vsn, reply, { joinRef: ref, ref, topic, event: 'phx_reply' })
    assert.equal(reply.payload.status, 'ok', reply.raw)
    const got = reply.payload.response.postgres_changes
    assert.ok(Array.isArray(got), `postgres_changes list in ${reply.raw}`)
    assert.equal(got.length, pg.length)
    pg.forEach((orig, i) => {
      for (const [k, v] of Object.entries(orig)) assert.deepEqual(got[i][k], v, `entry ${i} key ${k}`)
      assert.ok(Number.isInteger(got[i].id), `entry ${i} id must be an integer: ${JSON.stringify(got[i])}`)
    })

    const empty = await c.join(T('join-empty'))
    assertFrame(vsn, empty.reply, { joinRef: empty.ref, ref: empty.ref, event: 'phx_reply' })
    assert.deepEqual(empty.reply.payload, { status: 'ok', response: { postgres_changes: [] } })
  })

  test(`[vsn ${vsn}] presence-enabled join gets presence_state after the reply`, async () => {
    const c = await h.rawClient(ctx, { vsn })
    const topic = T('presence-state')
    const from = c.messages.length
    const { ref } = await c.join(topic, { presence: { key: 'k1', enabled: true } })
    const st = await c.waitFor((m) => m.topic === topic && m.event === 'presence_state', 3000, 'presence_state', from)
    assertFrame(vsn, st, { joinRef: ref, ref: null, topic, event: 'presence_state', payload: {} })
    const idxReply = c.messages.findIndex((m) => m.event === 'phx_reply' && m.ref === ref)
    assert.ok(c.messages.indexOf(st) > idxReply, 'presence_state comes after the join reply')
  })

  test(`[vsn ${vsn}] non-join message on an unjoined topic → "unmatched topic"; non-realtime topic join too`, async () => {
    const c = await h.rawClient(ctx, { vsn })
    const r1 = c.push(T('never-joined'), 'broadcast', { type: 'broadcast', event: 'x', payload: {} }, c.nextRef(), '77')
    const rep1 = await c.reply(r1)
    assertFrame(vsn, rep1, { joinRef: null, ref: r1, topic: T('never-joined'), event: 'phx_reply' })
    assert.deepEqual(rep1.payload, { status: 'error', response: { reason: 'unmatched topic' } })

    const r2 = c.nextRef()
    c.push('some:other:topic', 'phx_join', { config: {} }, r2, r2)
    const rep2 = await c.reply(r2)
    assertFrame(vsn, rep2, { joinRef: null, ref: r2, event: 'phx_reply' })
    assert.deepEqual(rep2.payload, { status: 'error', response: { reason: 'unmatched topic' } })
    assert.equal((await c.heartbeat()).payload.status, 'ok')
  })

  test(`[vsn ${vsn}] phx_leave → reply ok, then phx_close with join_ref = ref = join ref`, async () => {
    const c = await h.rawClient(ctx, { vsn })
    const topic = T('leave')
    const { joinRef } = await c.join(topic)
    const from = c.messages.length
    const lref = c.push(topic, 'phx_leave', {}, c.nextRef(), joinRef)
    const rep = await c.reply(lref)
    assertFrame(vsn, rep, { joinRef, ref: lref, topic, event: 'phx_reply', payload: { status: 'ok', response: {} } })
    const close = await c.waitFor((m) => m.topic === topic && m.event === 'phx_close', 3000, 'phx_close', from)
    assertFrame(vsn, close, { joinRef, ref: joinRef, topic, event: 'phx_close', payload: {} })
    assert.ok(c.messages.indexOf(close) > c.messages.indexOf(rep), 'phx_close after the leave reply')
    // the topic is no longer joined
    const r2 = c.push(topic, 'broadcast', { type: 'broadcast', event: 'x', payload: {} }, c.nextRef(), joinRef)
    assert.deepEqual((await c.reply(r2)).payload, { status: 'error', response: { reason: 'unmatched topic' } })
    // leave of a topic that is not joined → ok
    const r3 = c.push(T('not-joined-leave'), 'phx_leave', {}, c.nextRef(), '5')
    assert.deepEqual((await c.reply(r3)).payload, { status: 'ok', response: {} })
  })

  test(`[vsn ${vsn}] duplicate join on the same topic: new join ok, old one closed, single subscription`, async () => {
    const c = await h.rawClient(ctx, { vsn })
    const sender = await h.rawClient(ctx, { vsn: '2.0.0' })
    const topic = T('dup')
    const first = await c.join(topic)
    assert.equal(first.reply.payload.status, 'ok')
    const from = c.messages.length
    const second = await c.join(topic, { broadcast: { ack: true, self: false } })
    assertFrame(vsn, second.reply, { joinRef: second.ref, ref: second.ref, topic, event: 'phx_reply' })
    assert.equal(second.reply.payload.status, 'ok', second.reply.raw)
    const close = await c.waitFor((m) => m.topic === topic && m.event === 'phx_close', 3000, 'phx_close of the old join', from)
    assertFrame(vsn, close, { joinRef: first.joinRef, ref: first.joinRef, topic, event: 'phx_close' })
    assert.ok(!c.messages.slice(from).some((m) => m.event === 'phx_close' && m.ref === second.joinRef), 'new join must not be closed')
    // the new join works and receives exactly one copy of each broadcast
    const bref = c.push(topic, 'broadcast', { type: 'broadcast', event: 'x', payload: {} }, c.nextRef(), second.joinRef)
    assert.deepEqual((await c.reply(bref)).payload, { status: 'ok', response: {} })
    await sender.join(topic)
    const mark = c.messages.length
    sender.push(topic, 'broadcast', { type: 'broadcast', event: 'once', payload: { n: 1 } }, sender.nextRef(), null)
    await c.waitFor((m) => m.event === 'broadcast' && m.payload && m.payload.event === 'once', 3000, 'broadcast to the re-joined channel', mark)
    await h.sleep(300)
    const copies = c.messages.slice(mark).filter((m) => m.event === 'broadcast' && m.payload && m.payload.event === 'once')
    assert.equal(copies.length, 1, 'exactly one delivery after a duplicate join')
  })

  test(`[vsn ${vsn}] stale or missing join_ref on a joined topic is still routed and answered`, async () => {
    const c = await h.rawClient(ctx, { vsn })
    const topic = T('stale')
    const { joinRef } = await c.join(topic, { broadcast: { ack: true, self: true } })
    const payload = { type: 'broadcast', event: 'stale', payload: { a: 1 } }
    const r1 = c.push(topic, 'broadcast', payload, c.nextRef(), '999999')
    const rep1 = await c.reply(r1)
    assert.deepEqual(rep1.payload, { status: 'ok', response: {} })
    if (vsn === '2.0.0') assert.equal(rep1.json[0], '999999', 'reply echoes the (stale) join_ref')
    const r2 = c.push(topic, 'broadcast', payload, c.nextRef(), null)
    const rep2 = await c.reply(r2)
    assert.deepEqual(rep2.payload, { status: 'ok', response: {} })
    if (vsn === '2.0.0') assert.equal(rep2.json[0], null, 'reply echoes the null join_ref')
    // self:true — both arrive back
    await h.waitFor(() => c.messages.filter((m) => m.event === 'broadcast' && m.payload && m.payload.event === 'stale').length === 2, 3000, 'two self deliveries')
    assert.ok(joinRef)
  })

  test(`[vsn ${vsn}] private join is refused with the exact Unauthorized reason`, async () => {
    const c = await h.rawClient(ctx, { vsn })
    const topic = T('secret-room')
    const name = topic.slice('realtime:'.length)
    const { ref, reply } = await c.join(topic, { private: true }, {}, 12000)
    assertFrame(vsn, reply, { joinRef: ref, ref, topic, event: 'phx_reply' })
    assert.deepEqual(reply.payload, {
      status: 'error',
      response: { reason: `Unauthorized: You do not have permissions to read from this Channel topic: ${name}` },
    })
    // not joined: pushes are unmatched
    const r = c.push(topic, 'broadcast', { type: 'broadcast', event: 'x', payload: {} }, c.nextRef(), ref)
    assert.deepEqual((await c.reply(r)).payload, { status: 'error', response: { reason: 'unmatched topic' } })
  })

  test(`[vsn ${vsn}] "realtime:" without a name → TopicNameRequired`, async () => {
    const c = await h.rawClient(ctx, { vsn })
    const { ref, reply } = await c.join('realtime:', {}, {}, 12000)
    assertFrame(vsn, reply, { joinRef: ref, ref, topic: 'realtime:', event: 'phx_reply' })
    assert.deepEqual(reply.payload, { status: 'error', response: { reason: 'TopicNameRequired: You must provide a topic name' } })
  })

  test(`[vsn ${vsn}] broadcast ack false → no reply; string booleans in config are accepted`, async () => {
    const c = await h.rawClient(ctx, { vsn })
    const t1 = T('noack')
    const j1 = (await c.join(t1)).joinRef
    const r1 = c.push(t1, 'broadcast', { type: 'broadcast', event: 'a', payload: {} }, c.nextRef(), j1)
    await c.expectNone((m) => m.ref === r1, 500, 'reply to a broadcast without ack')
    const t2 = T('strbool')
    const j2 = (await c.join(t2, { broadcast: { ack: 'true', self: 'TRUE' } })).joinRef
    const r2 = c.push(t2, 'broadcast', { type: 'broadcast', event: 'b', payload: { v: 1 } }, c.nextRef(), j2)
    assert.deepEqual((await c.reply(r2)).payload, { status: 'ok', response: {} }, 'ack "true" (string) honoured')
    await c.waitFor((m) => m.topic === t2 && m.event === 'broadcast' && m.payload.event === 'b', 3000, 'self "TRUE" (string) honoured')
  })

  test(`[vsn ${vsn}] presence push: track → ok + presence_diff (phx_ref), non-map meta → error, untrack → leave diff`, async () => {
    const c = await h.rawClient(ctx, { vsn })
    const topic = T('presence-raw')
    const { joinRef } = await c.join(topic, { presence: { key: 42, enabled: true } })
    await c.waitFor((m) => m.topic === topic && m.event === 'presence_state', 3000, 'presence_state')
    const from = c.messages.length
    const r1 = c.push(topic, 'presence', { type: 'presence', event: 'track', payload: { name: 'n1' } }, c.nextRef(), joinRef)
    const rep1 = await c.reply(r1)
    assertFrame(vsn, rep1, { joinRef, ref: r1, topic, event: 'phx_reply', payload: { status: 'ok', response: {} } })
    const diff = await c.waitFor((m) => m.topic === topic && m.event === 'presence_diff', 3000, 'presence_diff (join)', from)
    assertFrame(vsn, diff, { ref: null, topic, event: 'presence_diff' })
    assert.deepEqual(Object.keys(diff.payload).sort(), ['joins', 'leaves'])
    assert.deepEqual(diff.payload.leaves, {})
    assert.deepEqual(Object.keys(diff.payload.joins), ['42'], 'numeric presence key used as a string')
    const meta = diff.payload.joins['42'].metas[0]
    assert.equal(meta.name, 'n1')
    assert.equal(typeof meta.phx_ref, 'string')

    const r2 = c.push(topic, 'presence', { type: 'presence', event: 'track', payload: 'not-a-map' }, c.nextRef(), joinRef)
    assert.deepEqual((await c.reply(r2)).payload, { status: 'error', response: { reason: 'Presence track payload must be a map' } })
    const r3 = c.push(topic, 'presence', { type: 'presence', event: 'dance' }, c.nextRef(), joinRef)
    assert.deepEqual((await c.reply(r3)).payload, { status: 'error', response: {} }, 'unknown presence event')

    const from2 = c.messages.length
    const r4 = c.push(topic, 'presence', { type: 'presence', event: 'UNTRACK' }, c.nextRef(), joinRef)
    assert.deepEqual((await c.reply(r4)).payload, { status: 'ok', response: {} })
    const leave = await c.waitFor((m) => m.topic === topic && m.event === 'presence_diff', 3000, 'presence_diff (leave)', from2)
    assert.deepEqual(leave.payload.joins, {})
    assert.equal(leave.payload.leaves['42'].metas[0].phx_ref, meta.phx_ref)
  })

  test(`[vsn ${vsn}] JSON broadcast fan-out format to vsn 2 and vsn 1 subscribers`, async () => {
    const sender = await h.rawClient(ctx, { vsn })
    const sub2 = await h.rawClient(ctx, { vsn: '2.0.0' })
    const sub1 = await h.rawClient(ctx, { vsn: '1.0.0' })
    const topic = T('fanout')
    const { joinRef } = await sender.join(topic)
    await sub2.join(topic)
    await sub1.join(topic)
    const bp = { type: 'broadcast', event: 'hello', payload: { x: 1, s: 'é' } }
    sender.push(topic, 'broadcast', bp, sender.nextRef(), joinRef)
    const m2 = await sub2.waitFor((m) => m.event === 'broadcast', 3000, 'v2 delivery')
    if (m2.kind === 'binary') {
      assert.equal(m2.binKind, 4, 'only kind 4 binary frames may be sent')
      assert.equal(m2.topic, topic)
      assert.equal(m2.encoding, 1)
      assert.deepEqual(m2.payload, bp)
    } else {
      assert.deepEqual(m2.json, [null, null, topic, 'broadcast', bp])
    }
    const m1 = await sub1.waitFor((m) => m.event === 'broadcast', 3000, 'v1 delivery')
    assert.deepEqual(m1.json, { topic, event: 'broadcast', payload: bp, ref: null })
  })
}

test('[vsn 2.0.0] kind-3 binary push (worked example of docs/wire-protocol.md, Frames) → ack reply, kind-4 fan-out, v1 gets JSON', async () => {
  const sender = await h.rawClient(ctx, { vsn: '2.0.0' })
  const sub2 = await h.rawClient(ctx, { vsn: '2.0.0' })
  const sub1 = await h.rawClient(ctx, { vsn: '1.0.0' })
  const topic = 'realtime:room1'
  const { joinRef } = await sender.join(topic, { broadcast: { ack: true, self: false } })
  await sub2.join(topic)
  await sub1.join(topic)

  const ref = sender.nextRef()
  const frame = h.kind3Frame({ joinRef, ref, topic, event: 'cursor', payload: { x: 1 } })
  if (joinRef.length === 1 && ref.length === 1) {
    // sanity of our encoder against the spec's example bytes
    assert.deepEqual([...frame.subarray(0, 7)], [3, 1, 1, 0x0e, 6, 0, 1])
  }
  sender.sendRaw(frame)
  const rep = await sender.reply(ref)
  assert.deepEqual(rep.json, [joinRef, ref, topic, 'phx_reply', { status: 'ok', response: {} }])

  const m2 = await sub2.waitFor((m) => m.event === 'broadcast', 3000, 'v2 delivery of kind-3 JSON push')
  if (m2.kind === 'binary') {
    const expected = Buffer.concat([Buffer.from([4, 0x0e, 6, 0, 1]), Buffer.from('realtime:room1cursor{"x":1}')])
    assert.ok(m2.raw.equals(expected), `kind 4 bytes: got ${m2.raw.toString('hex')} expected ${expected.toString('hex')}`)
  } else {
    assert.deepEqual(m2.json, [null, null, topic, 'broadcast', { type: 'broadcast', event: 'cursor', payload: { x: 1 } }])
  }
  const m1 = await sub1.waitFor((m) => m.event === 'broadcast', 3000, 'v1 delivery of kind-3 JSON push')
  assert.equal(m1.json.topic, topic)
  assert.equal(m1.json.ref, null)
  assert.equal(m1.json.payload.type, 'broadcast')
  assert.equal(m1.json.payload.event, 'cursor')
  assert.deepEqual(m1.json.payload.payload, { x: 1 })

  // binary payload (encoding 0) with client metadata: kind 4, encoding 0, metadata not forwarded
  const bin = Buffer.from([0, 1, 2, 250, 255, 10, 13])
  const ref2 = sender.nextRef()
  const mark1 = sub1.messages.length
  sender.sendRaw(h.kind3Frame({ joinRef, ref: ref2, topic, event: 'blob', meta: '{"persist":true}', payload: bin }))
  assert.deepEqual((await sender.reply(ref2)).payload, { status: 'ok', response: {} })
  const b2 = await sub2.waitFor((m) => m.kind === 'binary' && m.userEvent === 'blob', 3000, 'kind 4 binary delivery')
  const expected = Buffer.concat([Buffer.from([4, 0x0e, 4, 0, 0]), Buffer.from('realtime:room1blob'), bin])
  assert.ok(b2.raw.equals(expected), `kind 4 bytes: got ${b2.raw.toString('hex')} expected ${expected.toString('hex')}`)
  // v1 subscriber gets nothing for binary: marker after it proves ordering
  const ref3 = sender.nextRef()
  sender.sendRaw(h.kind3Frame({ joinRef, ref: ref3, topic, event: 'marker', payload: {} }))
  await sub1.waitFor((m) => m.json && m.json.payload && m.json.payload.event === 'marker', 3000, 'marker at v1', mark1)
  assert.ok(!sub1.messages.slice(mark1).some((m) => m.json && m.json.payload && m.json.payload.event === 'blob'), 'v1 must not get binary')
  // never any binary kind other than 4
  for (const c of [sender, sub2]) {
    for (const m of c.messages) if (m.kind === 'binary') assert.equal(m.binKind, 4, 'server sent a binary frame of kind != 4')
  }
})
