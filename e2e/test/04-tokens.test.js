'use strict'
// Acceptance 4: handshake token checks (HTTP 401 + JSON error), the real client retrying forever
// against a refusing server, join-time and refresh token checks, and mid-connection token expiry.

const test = require('node:test')
const assert = require('node:assert/strict')
const WebSocket = require('ws')
const h = require('../lib/harness')

const ctx = h.useServer(test)

function wsUrl(query) {
  return `ws://127.0.0.1:${ctx.server.port}/realtime/v1/websocket${query}`
}

async function expectRefusal(apikey, status, errorText, { exact = true, query } = {}) {
  const q = query !== undefined ? query : `?apikey=${encodeURIComponent(apikey)}&vsn=2.0.0`
  const r = await h.tryUpgrade(wsUrl(q))
  assert.equal(r.status, status, `HTTP status for ${errorText} (body ${r.body})`)
  assert.ok(r.json && typeof r.json.error === 'string', `JSON body with error: ${r.body}`)
  if (exact) assert.equal(r.json.error, errorText)
  else assert.ok(r.json.error.startsWith(errorText), `error "${r.json.error}" should start with "${errorText}"`)
  return r
}

test('handshake: valid anon and service_role keys are accepted (101)', async () => {
  assert.equal((await h.tryUpgrade(wsUrl(`?apikey=${ctx.server.anonKey}&vsn=2.0.0`))).status, 101)
  assert.equal((await h.tryUpgrade(wsUrl(`?apikey=${ctx.server.serviceKey}&vsn=1.0.0`))).status, 101)
  // /socket/websocket alias and extra params (log_level, unknown ones) are fine
  const alias = `ws://127.0.0.1:${ctx.server.port}/socket/websocket?apikey=${ctx.server.anonKey}&eventsPerSecond=10&log_level=warn&vsn=2.0.0`
  assert.equal((await h.tryUpgrade(alias)).status, 101)
})

test('handshake: missing apikey → 401 "API key is missing"', async () => {
  await expectRefusal(null, 401, 'API key is missing', { query: '?vsn=2.0.0' })
})

test('handshake: garbage token → 401 "The token provided is not a valid JWT"', async () => {
  await expectRefusal(h.tokens.garbage(), 401, 'The token provided is not a valid JWT')
})

test('handshake: expired token → 401 "Token has expired"', async () => {
  await expectRefusal(await h.tokens.expired(ctx.server.secret), 401, 'Token has expired', { exact: false })
})

test('handshake: wrongly signed token → 401 "Failed to validate JWT signature"', async () => {
  await expectRefusal(await h.tokens.wrongSecret(), 401, 'Failed to validate JWT signature')
})

test('handshake: missing role / missing exp → 401 "Fields `role` and `exp` are required in JWT"', async () => {
  await expectRefusal(await h.tokens.missingRole(ctx.server.secret), 401, 'Fields `role` and `exp` are required in JWT')
  await expectRefusal(await h.tokens.missingExp(ctx.server.secret), 401, 'Fields `role` and `exp` are required in JWT')
})

test('handshake: refusal carries Content-Type application/json (docs/wire-protocol.md, Handshake)', async () => {
  const r = await h.tryUpgrade(wsUrl(`?apikey=garbage&vsn=2.0.0`))
  assert.equal(r.status, 401)
  assert.match(String(r.headers['content-type'] || '(none)'), /^application\/json/, 'content-type of the 401 refusal')
})

test('handshake: unsupported vsn → 403', async () => {
  const r = await h.tryUpgrade(wsUrl(`?apikey=${ctx.server.anonKey}&vsn=3.0.0`))
  assert.equal(r.status, 403, `status for vsn=3.0.0 (body ${r.body})`)
})

test('realtime-js with bad / expired / wrongly signed tokens never opens and keeps retrying', async () => {
  const bad = {
    garbage: h.tokens.garbage(),
    expired: await h.tokens.expired(ctx.server.secret),
    wrongSecret: await h.tokens.wrongSecret(),
  }
  const runs = Object.entries(bad).map(([name, apikey]) => {
    const { transport, stats } = h.countingTransport()
    const client = h.createClient(ctx, { apikey, transport })
    const channel = client.channel(`refused-${name}`)
    const statuses = []
    channel.subscribe((s) => statuses.push(s))
    return { name, client, stats, statuses }
  })
  // attempt 1 at t=0, refused after ~100 ms, retry after 1000 ms, then after 2000 ms
  await h.sleep(4000)
  for (const r of runs) {
    assert.equal(r.stats.opens, 0, `${r.name}: socket must never open`)
    assert.ok(r.stats.attempts >= 2, `${r.name}: client should retry (attempts ${r.stats.attempts})`)
    assert.ok(!r.statuses.includes('SUBSCRIBED'), `${r.name}: never SUBSCRIBED`)
    assert.equal(r.client.isConnected(), false)
  }
})

test('join-time token errors (access_token in join payload) reply error with the reasons of docs/wire-protocol.md, Tokens', async () => {
  const c = await h.rawClient(ctx, { vsn: '2.0.0' })
  const cases = [
    ['expired', await h.tokens.expired(ctx.server.secret), /^InvalidJWTToken: Token has expired \d+ seconds ago$/],
    ['garbage', h.tokens.garbage(), /^MalformedJWT: The token provided is not a valid JWT$/],
    ['wrongsig', await h.tokens.wrongSecret(), /^JwtSignatureError: Failed to validate JWT signature$/],
    ['norole', await h.tokens.missingRole(ctx.server.secret), /^InvalidJWTToken: Fields `role` and `exp` are required in JWT$/],
  ]
  const results = await Promise.all(cases.map(([name, token]) => c.join(`realtime:jt-${name}`, {}, { access_token: token }, 12000)))
  cases.forEach(([name, , re], i) => {
    const { reply, ref } = results[i]
    assert.equal(reply.join_ref, ref)
    assert.equal(reply.payload.status, 'error', `${name}: ${reply.raw}`)
    assert.match(String(reply.payload.response && reply.payload.response.reason), re, `${name}: ${reply.raw}`)
  })
  // sb_ keys as access_token mean "use the connect token" → join ok
  const sb = await c.join('realtime:jt-sb', {}, { access_token: 'sb_publishable_abcdefghijklmnop' })
  assert.equal(sb.reply.payload.status, 'ok', sb.reply.raw)
  // a valid access_token works
  const ok = await c.join('realtime:jt-ok', {}, { access_token: await h.tokens.anon(ctx.server.secret) })
  assert.equal(ok.reply.payload.status, 'ok', ok.reply.raw)
  assert.ok((await c.heartbeat()).payload.status === 'ok')
})

test('access_token refresh: valid token is accepted silently; expired token closes only that channel', async () => {
  const c = await h.rawClient(ctx, { vsn: '2.0.0' })
  const keep = await c.join('realtime:refresh-keep', { broadcast: { ack: true, self: false } })
  const doomed = await c.join('realtime:refresh-doomed')
  assert.equal(keep.reply.payload.status, 'ok')
  assert.equal(doomed.reply.payload.status, 'ok')

  // valid refresh: no reply at all, channel keeps working
  const r1 = c.push('realtime:refresh-keep', 'access_token', { access_token: await h.tokens.anon(ctx.server.secret, { sub: 'u1' }) }, c.nextRef(), keep.joinRef)
  await c.expectNone((m) => m.ref === r1, 600, 'access_token must not be replied to')
  const r2 = c.push('realtime:refresh-keep', 'broadcast', { type: 'broadcast', event: 'x', payload: {} }, c.nextRef(), keep.joinRef)
  assert.equal((await c.reply(r2)).payload.status, 'ok')

  // expired refresh: system error + phx_close on that channel only
  const from = c.messages.length
  const r3 = c.push('realtime:refresh-doomed', 'access_token', { access_token: await h.tokens.expired(ctx.server.secret) }, c.nextRef(), doomed.joinRef)
  const sys = await c.waitFor((m) => m.topic === 'realtime:refresh-doomed' && m.event === 'system', 5000, 'system message after expired refresh', from)
  assert.equal(sys.payload.status, 'error')
  assert.equal(sys.payload.extension, 'system')
  assert.equal(sys.payload.channel, 'refresh-doomed')
  assert.match(sys.payload.message, /^Token has expired \d+ seconds ago$/)
  const close = await c.waitFor((m) => m.topic === 'realtime:refresh-doomed' && m.event === 'phx_close', 5000, 'phx_close after expired refresh', from)
  assert.deepEqual(close.json, [doomed.joinRef, doomed.joinRef, 'realtime:refresh-doomed', 'phx_close', {}])
  assert.ok(!c.messages.slice(from).some((m) => m.ref === r3), 'access_token must not be replied to')
  assert.ok(c.isOpen, 'socket stays open')
  const r4 = c.push('realtime:refresh-keep', 'broadcast', { type: 'broadcast', event: 'y', payload: {} }, c.nextRef(), keep.joinRef)
  assert.equal((await c.reply(r4)).payload.status, 'ok', 'other channel still joined')
})

test('token expiring while joined → system "Token has expired…" (status error) then CLOSED; socket stays open', async () => {
  const client = h.createClient(ctx, { vsn: '2.0.0' })
  const short = await h.tokens.shortLived(ctx.server.secret, 4)
  await client.setAuth(short)
  const channel = client.channel('expiring-room')
  const sys = h.collector(channel, 'system', {})
  await h.subscribe(channel)
  const msg = await sys.waitFor((p) => p.status === 'error', 10000, 'system error on token expiry')
  assert.equal(msg.extension, 'system')
  assert.equal(msg.channel, 'expiring-room')
  assert.ok(String(msg.message).startsWith('Token has expired'), `message: ${msg.message}`)
  await h.waitFor(() => channel.__statuses.some((s) => s.status === 'CLOSED'), 5000, 'CLOSED after token expiry')
  assert.equal(channel.state, 'closed')
  assert.ok(client.isConnected(), 'socket itself stays open')
})

test('token expiring while joined: the subscribe callback reports CLOSED (vsn 1.0.0)', async () => {
  const client = h.createClient(ctx, { vsn: '1.0.0' })
  await client.setAuth(await h.tokens.shortLived(ctx.server.secret, 3))
  const channel = client.channel('expiring-room-v1')
  const sys = h.collector(channel, 'system', {})
  const statuses = []
  const closed = h.deferred()
  const subscribed = h.deferred()
  channel.subscribe((s) => {
    statuses.push(s)
    if (s === 'SUBSCRIBED') subscribed.resolve()
    if (s === 'CLOSED') closed.resolve()
  })
  await h.withTimeout(subscribed.promise, 8000, 'SUBSCRIBED')
  const msg = await sys.waitFor((p) => p.status === 'error', 10000, 'system error on token expiry')
  assert.ok(String(msg.message).startsWith('Token has expired'), `message: ${msg.message}`)
  await h.withTimeout(closed.promise, 5000, 'CLOSED callback')
  assert.deepEqual(statuses, ['SUBSCRIBED', 'CLOSED'])
})
