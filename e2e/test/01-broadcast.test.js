'use strict'
// Acceptance 1: subscribe, broadcast (self/ack, JSON, binary, REST, fallback) across vsn 1.0.0 and 2.0.0,
// and supabase-js createClient wiring.

const test = require('node:test')
const assert = require('node:assert/strict')
const WebSocket = require('ws')
const { createClient: createSupabaseClient } = require('@supabase/supabase-js')
const h = require('../lib/harness')

const ctx = h.useServer(test)

const TOPIC = 'room-broadcast'

/** Three subscribed clients: A (v2, self false), B (v2, self true), C (v1, self true); all ack true. */
async function threeClients(topic = TOPIC) {
  const mk = (name, vsn, self) => {
    const client = h.createClient(ctx, { vsn })
    const channel = client.channel(topic, { config: { broadcast: { self, ack: true } } })
    const got = h.collector(channel, 'broadcast', { event: '*' })
    return { name, vsn, client, channel, got }
  }
  const A = mk('A', '2.0.0', false)
  const B = mk('B', '2.0.0', true)
  const C = mk('C', '1.0.0', true)
  await Promise.all([A, B, C].map((x) => h.subscribe(x.channel)))
  return { A, B, C }
}

const byEvent = (event) => (p) => p.event === event

test('subscribe reports SUBSCRIBED for vsn 2.0.0 and vsn 1.0.0 clients', async () => {
  const { A, B, C } = await threeClients('room-subscribe')
  for (const x of [A, B, C]) {
    assert.equal(x.channel.state, 'joined', `${x.name} channel state`)
    assert.deepEqual(x.channel.__statuses.map((s) => s.status), ['SUBSCRIBED'], `${x.name} statuses`)
    assert.ok(x.client.isConnected(), `${x.name} connected`)
  }
})

test('self:false sender does not receive its own broadcast; others (v1 and v2) do; ack resolves ok', async () => {
  const { A, B, C } = await threeClients('room-self-false')
  const status = await h.withTimeout(A.channel.send({ type: 'broadcast', event: 'e1', payload: { n: 1 } }), 6000, 'send ack')
  assert.equal(status, 'ok')
  const [pb, pc] = await Promise.all([B.got.waitFor(byEvent('e1')), C.got.waitFor(byEvent('e1'))])
  for (const p of [pb, pc]) {
    assert.equal(p.type, 'broadcast')
    assert.equal(p.event, 'e1')
    assert.deepEqual(p.payload, { n: 1 })
  }
  // ordering marker: B broadcasts after e1 was fanned out; when A sees it, e1 would have arrived first
  assert.equal(await B.channel.send({ type: 'broadcast', event: 'marker', payload: {} }), 'ok')
  await A.got.waitFor(byEvent('marker'))
  assert.equal(A.got.items.filter(byEvent('e1')).length, 0, 'A (self:false) must not receive its own message')
})

test('self:true sender receives its own broadcast (vsn 2 and vsn 1), ack ok', async () => {
  const { A, B, C } = await threeClients('room-self-true')
  assert.equal(await B.channel.send({ type: 'broadcast', event: 'fromB', payload: { b: true } }), 'ok')
  assert.equal(await C.channel.send({ type: 'broadcast', event: 'fromC', payload: { c: [1, 2] } }), 'ok')
  for (const x of [A, B, C]) {
    const pb = await x.got.waitFor(byEvent('fromB'), 5000, `${x.name} gets fromB`)
    assert.deepEqual(pb.payload, { b: true })
    const pc = await x.got.waitFor(byEvent('fromC'), 5000, `${x.name} gets fromC`)
    assert.deepEqual(pc.payload, { c: [1, 2] })
  }
})

test('10 KB JSON payload round-trips to vsn 2 and vsn 1 subscribers', async () => {
  const { A, B, C } = await threeClients('room-10kb')
  const big = { items: [], unicode: 'żółw 🐢 ✓', nested: { a: { b: { c: [null, true, false, 1.5, -2] } } } }
  for (let i = 0; big.items.length * 40 < 10 * 1024; i++) big.items.push({ i, s: `value-${i}-`.padEnd(24, 'x') })
  assert.ok(JSON.stringify(big).length >= 10 * 1024)
  assert.equal(await A.channel.send({ type: 'broadcast', event: 'big', payload: big }), 'ok')
  const pc = await C.got.waitFor(byEvent('big'))
  const pb = await B.got.waitFor(byEvent('big'))
  assert.deepEqual(pb.payload, big)
  assert.deepEqual(pc.payload, big)
  // and from the v1 side to the v2 side
  assert.equal(await C.channel.send({ type: 'broadcast', event: 'big1', payload: big }), 'ok')
  assert.deepEqual((await A.got.waitFor(byEvent('big1'))).payload, big)
  assert.deepEqual((await B.got.waitFor(byEvent('big1'))).payload, big)
})

test('binary ArrayBuffer payload reaches vsn 2 subscribers byte-for-byte and is not delivered to vsn 1', async () => {
  const { A, B, C } = await threeClients('room-binary')
  const ab = h.binaryPayload(1024)
  const status = await A.channel.send({ type: 'broadcast', event: 'bin', payload: ab })
  assert.equal(status, 'ok')
  const pb = await B.got.waitFor(byEvent('bin'))
  assert.ok(pb.payload instanceof ArrayBuffer, `vsn 2 payload should be an ArrayBuffer, got ${Object.prototype.toString.call(pb.payload)}`)
  assert.ok(h.bytesOf(pb.payload).equals(h.bytesOf(ab)), 'binary payload bytes differ')
  // B (self true) also sends one; it must come back to B itself as binary
  const ab2 = h.binaryPayload(3)
  assert.equal(await B.channel.send({ type: 'broadcast', event: 'bin2', payload: ab2 }), 'ok')
  const pb2 = await B.got.waitFor(byEvent('bin2'))
  assert.ok(h.bytesOf(pb2.payload).equals(h.bytesOf(ab2)))
  const pa2 = await A.got.waitFor(byEvent('bin2'))
  assert.ok(h.bytesOf(pa2.payload).equals(h.bytesOf(ab2)))
  // ordering marker from A after the binary: when C (v1) has the marker, the binary would have come first
  assert.equal(await A.channel.send({ type: 'broadcast', event: 'after-bin', payload: { ok: 1 } }), 'ok')
  await C.got.waitFor(byEvent('after-bin'))
  await h.sleep(200)
  assert.equal(C.got.items.filter((p) => p.event === 'bin' || p.event === 'bin2').length, 0,
    `vsn 1 client must not receive binary broadcasts, got ${JSON.stringify(C.got.items.filter((p) => p.event.startsWith('bin')))}`)
  assert.ok(C.client.isConnected(), 'v1 client still connected')
})

test('httpSend (single REST endpoint) reaches WebSocket subscribers of both versions', async () => {
  const { A, B, C } = await threeClients('room-httpsend')
  const r1 = await h.withTimeout(A.channel.httpSend('viaHttp', { from: 'A', n: 42 }), 6000, 'httpSend')
  assert.deepEqual(r1, { success: true })
  assert.deepEqual((await B.got.waitFor(byEvent('viaHttp'))).payload, { from: 'A', n: 42 })
  assert.deepEqual((await C.got.waitFor(byEvent('viaHttp'))).payload, { from: 'A', n: 42 })
  // the v1 client's httpSend (URL carries vsn=1.0.0) works as well
  const r2 = await h.withTimeout(C.channel.httpSend('viaHttp1', { from: 'C' }), 6000, 'httpSend v1')
  assert.deepEqual(r2, { success: true })
  assert.deepEqual((await A.got.waitFor(byEvent('viaHttp1'))).payload, { from: 'C' })
  assert.deepEqual((await B.got.waitFor(byEvent('viaHttp1'))).payload, { from: 'C' })
  // binary httpSend: v2 gets bytes, v1 gets nothing
  const ab = h.binaryPayload(100)
  const r3 = await h.withTimeout(A.channel.httpSend('viaHttpBin', ab), 6000, 'httpSend binary')
  assert.deepEqual(r3, { success: true })
  const pb = await B.got.waitFor(byEvent('viaHttpBin'))
  assert.ok(h.bytesOf(pb.payload).equals(h.bytesOf(ab)), 'binary httpSend bytes differ')
})

test('batch REST endpoint POST /realtime/v1/api/broadcast (Bearer) reaches both versions', async () => {
  const { A, B, C } = await threeClients('room-rest')
  const payload = { via: 'rest', list: [1, 'two', { three: 3 }] }
  const res = await h.restBroadcast(ctx.server, [
    { topic: 'room-rest', event: 'restEvent', payload },
    { topic: 'room-rest', event: 'restEvent2', payload: { second: true } },
  ])
  assert.equal(res.status, 202, `batch endpoint status (body ${res.body})`)
  for (const x of [A, B, C]) {
    assert.deepEqual((await x.got.waitFor(byEvent('restEvent'), 5000, `${x.name} restEvent`)).payload, payload)
    assert.deepEqual((await x.got.waitFor(byEvent('restEvent2'), 5000, `${x.name} restEvent2`)).payload, { second: true })
  }
  // anon key is accepted as well; no/invalid auth is refused with 401
  const anon = await h.restBroadcast(ctx.server, [{ topic: 'room-rest', event: 'anonEvent', payload: {} }], { token: ctx.server.anonKey })
  assert.equal(anon.status, 202)
  const bad = await h.restBroadcast(ctx.server, [{ topic: 'room-rest', event: 'x', payload: {} }], { token: await h.tokens.wrongSecret() })
  assert.equal(bad.status, 401, `wrongly signed token on batch endpoint (body ${bad.body})`)
})

test('send() while not connected / not joined falls back to REST and reaches subscribers', async () => {
  const { B, C } = await threeClients('room-fallback')
  const origWarn = console.warn
  console.warn = () => {} // realtime-js prints a deprecation warning for the fallback
  try {
    // client that never connected
    const D = h.createClient(ctx, { vsn: '2.0.0' })
    const dch = D.channel('room-fallback')
    const s1 = await h.withTimeout(dch.send({ type: 'broadcast', event: 'fallback1', payload: { d: 1 } }), 6000, 'fallback send')
    assert.equal(s1, 'ok')
    assert.equal(D.isConnected(), false, 'client D was never connected')
    assert.deepEqual((await B.got.waitFor(byEvent('fallback1'))).payload, { d: 1 })
    assert.deepEqual((await C.got.waitFor(byEvent('fallback1'))).payload, { d: 1 })

    // connected client (v1) whose channel for this topic is not joined
    const E = h.createClient(ctx, { vsn: '1.0.0' })
    await h.subscribe(E.channel('some-other-room'))
    const ech = E.channel('room-fallback')
    const s2 = await h.withTimeout(ech.send({ type: 'broadcast', event: 'fallback2', payload: { e: 2 } }), 6000, 'fallback send 2')
    assert.equal(s2, 'ok')
    assert.deepEqual((await B.got.waitFor(byEvent('fallback2'))).payload, { e: 2 })
    assert.deepEqual((await C.got.waitFor(byEvent('fallback2'))).payload, { e: 2 })
  } finally {
    console.warn = origWarn
  }
})

test('supabase-js createClient: subscribe, broadcast to and from realtime-js clients', async () => {
  const { A, C } = await threeClients('room-supabase')
  const sb = createSupabaseClient(ctx.server.httpUrl, ctx.server.anonKey, {
    realtime: { transport: WebSocket, timeout: 5000 },
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  })
  ctx.track(() => h.closeClient(sb.realtime))
  const ch = sb.channel('room-supabase', { config: { broadcast: { self: true, ack: true } } })
  const got = h.collector(ch, 'broadcast', { event: '*' })
  await h.subscribe(ch)
  assert.equal(await ch.send({ type: 'broadcast', event: 'fromSb', payload: { sb: 1 } }), 'ok')
  assert.deepEqual((await got.waitFor(byEvent('fromSb'))).payload, { sb: 1 })
  assert.deepEqual((await A.got.waitFor(byEvent('fromSb'))).payload, { sb: 1 })
  assert.deepEqual((await C.got.waitFor(byEvent('fromSb'))).payload, { sb: 1 })
  assert.equal(await A.channel.send({ type: 'broadcast', event: 'toSb', payload: { a: 1 } }), 'ok')
  assert.deepEqual((await got.waitFor(byEvent('toSb'))).payload, { a: 1 })
  const r = await h.withTimeout(ch.httpSend('sbHttp', { h: 1 }), 6000, 'supabase-js httpSend')
  assert.deepEqual(r, { success: true })
  assert.deepEqual((await A.got.waitFor(byEvent('sbHttp'))).payload, { h: 1 })
})

test('REST: private messages never reach public subscribers; single endpoint ?private=true without write right → 403', async () => {
  const { A, B, C } = await threeClients('room-private-rest')
  const res = await h.restBroadcast(ctx.server, [
    { topic: 'room-private-rest', event: 'secret', payload: { s: 1 }, private: true },
    { topic: 'room-private-rest', event: 'public', payload: { p: 1 } },
  ])
  assert.equal(res.status, 202, `batch with a private message (body ${res.body})`)
  const single = await h.fetchT(`${ctx.server.realtimeUrl}/api/broadcast/room-private-rest/events/secret2?private=true`, {
    method: 'POST',
    // anon has no broadcast-write rule on any private topic (service_role would bypass the rules)
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ctx.server.anonKey}` },
    body: JSON.stringify({ s: 2 }),
  })
  assert.equal(single.status, 403, 'single endpoint private=true')
  assert.deepEqual(await single.json(), { message: 'Unauthorized' })
  // realtime-js httpSend on a private channel surfaces the refusal
  const priv = A.client.channel('room-private-rest-p', { config: { private: true } })
  await assert.rejects(h.withTimeout(priv.httpSend('secret3', { s: 3 }), 6000, 'private httpSend'), /Unauthorized/)
  // ordering marker: the public message of the same batch arrives; the private ones never do
  for (const x of [A, B, C]) await x.got.waitFor(byEvent('public'), 5000, `${x.name} public`)
  assert.equal(await A.channel.send({ type: 'broadcast', event: 'marker', payload: {} }), 'ok')
  await B.got.waitFor(byEvent('marker'))
  await C.got.waitFor(byEvent('marker'))
  for (const x of [A, B, C]) {
    assert.ok(!x.got.items.some((p) => p.event.startsWith('secret')), `${x.name} received a private REST message`)
  }
})

test('REST single endpoint: percent-encoded topic with ":" , 415 for other content types, CORS preflight', async () => {
  const client = h.createClient(ctx, { vsn: '2.0.0' })
  const ch = client.channel('room:with:colons')
  const got = h.collector(ch, 'broadcast', { event: '*' })
  await h.subscribe(ch)
  const url = `${ctx.server.realtimeUrl}/api/broadcast/${encodeURIComponent('room:with:colons')}/events/${encodeURIComponent('ev:1')}?apikey=${ctx.server.anonKey}&vsn=2.0.0&log_level=info`
  const ok = await h.fetchT(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json; charset=utf-8', apikey: ctx.server.anonKey },
    body: JSON.stringify({ c: 1 }),
  })
  assert.equal(ok.status, 202, 'apikey header + json with charset')
  assert.deepEqual((await got.waitFor(byEvent('ev:1'))).payload, { c: 1 })

  const bad = await h.fetchT(url, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain', Authorization: `Bearer ${ctx.server.anonKey}` },
    body: 'hello',
  })
  assert.equal(bad.status, 415)
  assert.deepEqual(await bad.json(), { error: 'Unsupported Media Type. Use application/json or application/octet-stream' })

  const pre = await h.fetchT(`${ctx.server.realtimeUrl}/api/broadcast`, {
    method: 'OPTIONS',
    headers: {
      Origin: 'http://example.test',
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'apikey, authorization, content-type, x-client-info',
    },
  })
  assert.ok(pre.status >= 200 && pre.status < 300, `preflight status ${pre.status}`)
  assert.ok(['*', 'http://example.test'].includes(pre.headers.get('access-control-allow-origin')), `allow-origin ${pre.headers.get('access-control-allow-origin')}`)
  const allowHeaders = String(pre.headers.get('access-control-allow-headers') || '').toLowerCase()
  for (const hd of ['apikey', 'authorization', 'content-type', 'x-client-info']) {
    assert.ok(allowHeaders === '*' || allowHeaders.includes(hd), `allow-headers "${allowHeaders}" lacks ${hd}`)
  }
})

test('httpSend with "/" in topic and event names (percent-encoded as %2F by realtime-js)', async () => {
  const client = h.createClient(ctx, { vsn: '2.0.0' })
  const ch = client.channel('room/with/slashes')
  const got = h.collector(ch, 'broadcast', { event: '*' })
  await h.subscribe(ch)
  const r = await h.withTimeout(ch.httpSend('ev/slash', { s: 1 }), 6000, 'httpSend with slashes')
  assert.deepEqual(r, { success: true })
  assert.deepEqual((await got.waitFor(byEvent('ev/slash'))).payload, { s: 1 })
})
