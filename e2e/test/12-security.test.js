'use strict'
// Adversarial security suite (docs/wire-protocol.md: Join checks, Join reply, Token refresh, Broadcast, Presence, Tokens, Private channels, Limits and error texts): every join error realtime-js
// 2.119.0 can meet, private-channel rules from a policy file (default deny, silent write refusals, claim-bound topics),
// zero cross-delivery between public and private channels of the same name, REST private sends, access_token refresh
// outcomes, the expiry notice, JWKS key rotation (RS256 and ES256, served by a local HTTP server), and the token
// forgeries refused at upgrade (audience, nbf, alg none, HS/RS algorithm confusion).
//
// Three servers, one after the other: the main one (policy file + JWKS URL + HS secret), one with
// HERALD_JWT_AUDIENCE and HERALD_PRIVATE_ONLY, and one with change capture for the postgres_changes refresh case.

const test = require('node:test')
const { describe } = test
const assert = require('node:assert/strict')
const fs = require('node:fs')
const http = require('node:http')
const path = require('node:path')
const WebSocket = require('ws')
const jose = require('jose')
const { Client: PgClient } = require('pg')
const h = require('../lib/harness')

// ---------------------------------------------------------------------------------------------------------------
// fixtures

const POLICY = {
  comment: 'e2e 12-security',
  channels: [
    { topic: 'team', read: { roles: ['authenticated'] }, broadcast: { roles: ['authenticated'] }, presence: { roles: ['authenticated'] } },
    { topic: 'inbox:{sub}', read: { roles: ['authenticated'] }, broadcast: { roles: ['authenticated'] } },
    { topic: 'lobby', read: { roles: ['authenticated'] } },
  ],
}

const UNAUTHORIZED = (name) => `You do not have permissions to read from this Channel topic: ${name}`
const SIGNER_FOR_KID = (kid) => `Failed to generate JWT signer for key ID (kid) "${kid}", check your JWT secret or JWKS configuration`

function writePolicy(dataDir) {
  const file = path.join(dataDir, 'policies.json')
  fs.writeFileSync(file, JSON.stringify(POLICY, null, 2))
  return { HERALD_POLICY_FILE: file }
}

/** A JWKS document served on 127.0.0.1; `state.keys` is what the next request gets. */
function startJwksServer() {
  const state = { keys: [], requests: 0, lastRequestAt: 0 }
  const server = http.createServer((req, res) => {
    state.requests++
    state.lastRequestAt = Date.now()
    res.writeHead(200, { 'content-type': 'application/json', connection: 'close' })
    res.end(JSON.stringify({ keys: state.keys }))
  })
  return new Promise((resolve, reject) => {
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      resolve({
        state,
        url: `http://127.0.0.1:${server.address().port}/auth/v1/.well-known/jwks.json`,
        close: () =>
          h.withTimeout(
            new Promise((r) => {
              if (server.closeAllConnections) server.closeAllConnections()
              server.close(() => r())
            }),
            3000,
            'JWKS server close'
          ).catch(() => {}),
      })
    })
  })
}

/** An asymmetric signing key with its public JWK (kid, alg, use=sig). */
async function newKey(alg, kid) {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true })
  const jwk = { ...(await jose.exportJWK(publicKey)), kid, alg, use: 'sig' }
  return { alg, kid, publicKey, privateKey, jwk }
}

async function signWith(key, claims = {}) {
  const now = Math.floor(Date.now() / 1000)
  const body = { role: 'authenticated', sub: `jwks-${key.kid}`, iat: now, exp: now + 3600, ...claims }
  return await new jose.SignJWT(body).setProtectedHeader({ alg: key.alg, typ: 'JWT', kid: key.kid }).sign(key.privateKey)
}

function b64url(obj) {
  return Buffer.from(JSON.stringify(obj)).toString('base64url')
}

/** A recording ws transport: every server frame, decoded, lands in `frames` before realtime-js sees it. */
function recordingTransport(frames) {
  return class RecordingWebSocket extends WebSocket {
    constructor(...args) {
      super(...args)
      this.on('message', (data, isBinary) => {
        const buf = data instanceof ArrayBuffer ? Buffer.from(data) : Array.isArray(data) ? Buffer.concat(data) : data
        frames.push(h.decodeFrame(buf, isBinary))
      })
    }
  }
}

/** Subscribe and resolve with err.message of the first CHANNEL_ERROR; SUBSCRIBED fails the wait. */
function subscribeExpectError(channel, ms = 8000) {
  const d = h.deferred()
  channel.__statuses = channel.__statuses || []
  channel.subscribe((status, err) => {
    channel.__statuses.push({ status, err: err && err.message })
    if (status === 'CHANNEL_ERROR') d.resolve(err ? err.message : '(no error object)')
    else if (status === 'SUBSCRIBED') d.reject(new Error(`${channel.topic} was SUBSCRIBED but a join error was expected`))
  })
  return h.withTimeout(d.promise, ms, `CHANNEL_ERROR on ${channel.topic}`)
}

/** Wait for the channel's shutdown: `system` {extension system, status error, message ~ re} and then CLOSED. */
async function expectShutdown(channel, sys, re, ms = 6000) {
  const msg = await sys.waitFor((p) => p.status === 'error', ms, `system error on ${channel.topic}`)
  assert.equal(msg.extension, 'system', JSON.stringify(msg))
  assert.equal(msg.channel, channel.subTopic, JSON.stringify(msg))
  if (typeof re === 'string') assert.equal(msg.message, re)
  else assert.match(msg.message, re)
  await h.waitFor(() => channel.__statuses.some((s) => s.status === 'CLOSED'), 5000, `CLOSED on ${channel.topic}`)
  assert.equal(channel.state, 'closed')
  return msg
}

async function drops(server, reason) {
  return (await h.readMetric(server, 'herald_drops_total', { reason })) || 0
}

// ---------------------------------------------------------------------------------------------------------------
// main server: policy file, JWKS URL (RS256 + ES256 keys), HS256 secret, expiry notice 3 s, no presence call limit

describe('policy file + JWKS + HS secret', () => {
  let jwks
  const keys = {}
  const ctx = h.useServer(
    test,
    async () => {
      jwks = await startJwksServer()
      keys.rsa1 = await newKey('RS256', 'rsa-1')
      keys.ec1 = await newKey('ES256', 'ec-1')
      keys.rsa2 = await newKey('RS256', 'rsa-2')
      keys.ec2 = await newKey('ES256', 'ec-2')
      keys.rsaFresh = await newKey('RS256', 'rsa-fresh')
      keys.rsaUnknown = await newKey('RS256', 'rsa-unknown')
      jwks.state.keys = [keys.rsa1.jwk, keys.ec1.jwk]
      return {
        HERALD_JWT_JWKS_URL: jwks.url,
        HERALD_JWT_EXPIRY_NOTICE_SECONDS: '3',
        // the leak test tracks 200 times per channel; the per-channel presence call limit is 13-limits' business
        HERALD_LIMITS_CLIENT_PRESENCE_MAX_CALLS: '0',
      }
    },
    { beforeStart: writePolicy, teardown: () => jwks && jwks.close() }
  )
  const user = (sub, extra = {}) => h.mintToken(ctx.server.secret, { role: 'authenticated', sub, ...extra })
  const wsQuery = (token, vsn = '2.0.0') => `${ctx.server.wsUrl}?apikey=${encodeURIComponent(token)}&vsn=${vsn}`

  async function expectUpgradeRefused(token, errorText) {
    const r = await h.tryUpgrade(wsQuery(token))
    assert.equal(r.status, 401, `upgrade status (body ${r.body})`)
    assert.match(String(r.headers['content-type'] || ''), /^application\/json/, 'content-type of the refusal')
    assert.ok(r.json && typeof r.json.error === 'string', `JSON body with error: ${r.body}`)
    if (errorText instanceof RegExp) assert.match(r.json.error, errorText)
    else assert.equal(r.json.error, errorText)
  }

  test('join errors reach realtime-js CHANNEL_ERROR with the exact protocol reasons', async () => {
    const s = ctx.server
    const now = Math.floor(Date.now() / 1000)
    const cases = [
      { name: 'empty topic', topic: '', re: /^TopicNameRequired: You must provide a topic name$/ },
      { name: 'private, no rule for anon', topic: 'team', private: true, re: new RegExp(`^Unauthorized: ${UNAUTHORIZED('team')}$`) },
      { name: 'private, topic without any rule', topic: 'nowhere', private: true, token: await user('user-a'), re: new RegExp(`^Unauthorized: ${UNAUTHORIZED('nowhere')}$`) },
      { name: 'expired', topic: 'je-expired', token: await h.tokens.expired(s.secret), re: /^InvalidJWTToken: Token has expired \d+ seconds ago$/ },
      { name: 'malformed', topic: 'je-malformed', token: 'definitely.not-a.jwt', re: /^MalformedJWT: The token provided is not a valid JWT$/ },
      { name: 'missing role', topic: 'je-norole', token: await h.tokens.missingRole(s.secret), re: /^InvalidJWTToken: Fields `role` and `exp` are required in JWT$/ },
      { name: 'missing exp', topic: 'je-noexp', token: await h.tokens.missingExp(s.secret), re: /^InvalidJWTToken: Fields `role` and `exp` are required in JWT$/ },
      { name: 'wrong signature', topic: 'je-sig', token: await h.tokens.wrongSecret(), re: /^JwtSignatureError: Failed to validate JWT signature$/ },
      { name: 'nbf in the future', topic: 'je-nbf', token: await h.mintToken(s.secret, { nbf: now + 600 }), re: /^InvalidJWTToken: Token is not valid yet$/ },
      { name: 'RS256 kid not in JWKS', topic: 'je-kid', token: await signWith(keys.rsaUnknown), re: /^JwtSignerError: Failed to generate JWT signer for key ID \(kid\) "rsa-unknown", check your JWT secret or JWKS configuration$/ },
    ]
    const before = await drops(s, 'unauthorized_channel')
    const results = await Promise.all(
      cases.map(async (c) => {
        const client = h.createClient(ctx)
        if (c.token) await client.setAuth(c.token)
        const ch = client.channel(c.topic, { config: { private: !!c.private } })
        const message = await subscribeExpectError(ch)
        try { await ch.unsubscribe(1000) } catch {} // stop realtime-js' rejoin loop
        return { c, message, client }
      })
    )
    for (const { c, message, client } of results) {
      assert.match(message, c.re, `${c.name}: CHANNEL_ERROR message`)
      assert.ok(client.isConnected(), `${c.name}: a join error leaves the socket open`)
    }
    assert.ok((await drops(s, 'unauthorized_channel')) >= before + 2, 'herald_drops_total{reason="unauthorized_channel"} counts refused private joins')
  })

  test('private channels: read / broadcast / presence rules, default deny, claim-bound inbox:{sub}, service_role bypass', async () => {
    const s = ctx.server
    const A = h.createClient(ctx, { apikey: await user('user-a') })
    const B = h.createClient(ctx, { apikey: await user('user-b') })
    const anon = h.createClient(ctx)
    const svc = h.createClient(ctx, { apikey: s.serviceKey })
    const priv = (extra = {}) => ({ config: { private: true, broadcast: { ack: true, self: false }, ...extra } })

    // team: read + broadcast + presence for authenticated
    const aTeam = A.channel('team', priv({ presence: { key: 'user-a' } }))
    const bTeam = B.channel('team', priv({ presence: { key: 'user-b' } }))
    const aTeamGot = h.collector(aTeam, 'broadcast', { event: '*' })
    const bTeamGot = h.collector(bTeam, 'broadcast', { event: '*' })
    aTeam.on('presence', { event: 'sync' }, () => {})
    bTeam.on('presence', { event: 'sync' }, () => {})
    await Promise.all([h.subscribe(aTeam), h.subscribe(bTeam)])
    assert.equal(await aTeam.send({ type: 'broadcast', event: 'hello', payload: { n: 1 } }), 'ok', 'authenticated broadcast on team')
    assert.equal((await bTeamGot.waitFor((p) => p.event === 'hello')).payload.n, 1)
    assert.equal(await bTeam.track({ who: 'b' }), 'ok', 'authenticated track on team')
    await h.waitFor(() => (aTeam.presenceState()['user-b'] || []).length === 1, 5000, 'A sees B present on private team')

    // anon may not join team; an authenticated user may not join a topic no rule covers
    assert.equal(await subscribeExpectError(anon.channel('team', priv())), `Unauthorized: ${UNAUTHORIZED('team')}`)

    // lobby: read only → send silently dropped (no reply even with ack), track refused
    const wBefore = await drops(s, 'broadcast_write_denied')
    const pBefore = await drops(s, 'presence_write_denied')
    const aLobby = A.channel('lobby', priv({ broadcast: { ack: true, self: true }, presence: { key: 'user-a' } }))
    const bLobby = B.channel('lobby', priv())
    const aLobbyGot = h.collector(aLobby, 'broadcast', { event: '*' })
    const bLobbyGot = h.collector(bLobby, 'broadcast', { event: '*' })
    aLobby.on('presence', { event: 'sync' }, () => {})
    await Promise.all([h.subscribe(aLobby), h.subscribe(bLobby)])
    assert.equal(await aLobby.send({ type: 'broadcast', event: 'denied', payload: {} }, { timeout: 1500 }), 'timed out', 'read-only private channel: ack never comes')
    assert.equal(await aLobby.track({ who: 'a' }), 'error', 'read-only private channel: track refused')
    assert.deepEqual(aLobby.presenceState(), {}, 'the refused track left no presence')
    // service_role bypasses the rules: it may write to lobby, and readers get it
    const svcLobby = svc.channel('lobby', priv())
    await h.subscribe(svcLobby)
    assert.equal(await svcLobby.send({ type: 'broadcast', event: 'from-service', payload: { ok: true } }), 'ok')
    await bLobbyGot.waitFor((p) => p.event === 'from-service')
    await aLobbyGot.waitFor((p) => p.event === 'from-service')
    assert.ok(!aLobbyGot.items.concat(bLobbyGot.items).some((p) => p.event === 'denied'), 'a dropped broadcast was delivered')
    assert.ok((await drops(s, 'broadcast_write_denied')) > wBefore, 'broadcast_write_denied counted')
    assert.ok((await drops(s, 'presence_write_denied')) > pBefore, 'presence_write_denied counted')

    // service_role on a topic no rule mentions: joins, sends and tracks
    const svcNowhere = svc.channel('nowhere', priv())
    svcNowhere.on('presence', { event: 'sync' }, () => {})
    await h.subscribe(svcNowhere)
    assert.equal(await svcNowhere.send({ type: 'broadcast', event: 'x', payload: {} }), 'ok')
    assert.equal(await svcNowhere.track({ svc: true }), 'ok')

    // inbox:{sub}: only the token whose sub equals the segment
    const aInbox = A.channel('inbox:user-a', priv())
    const aInboxGot = h.collector(aInbox, 'broadcast', { event: '*' })
    await h.subscribe(aInbox)
    assert.equal(await subscribeExpectError(A.channel('inbox:user-b', priv())), `Unauthorized: ${UNAUTHORIZED('inbox:user-b')}`)
    assert.equal(await subscribeExpectError(B.channel('inbox:user-a', priv())), `Unauthorized: ${UNAUTHORIZED('inbox:user-a')}`)
    assert.equal(await subscribeExpectError(anon.channel('inbox:user-a', priv())), `Unauthorized: ${UNAUTHORIZED('inbox:user-a')}`)
    // the inbox grants no presence
    assert.equal(await aInbox.track({ x: 1 }), 'error', 'inbox grants no presence write')
    // the owner can write to it; service_role too
    const svcInbox = svc.channel('inbox:user-a', priv())
    await h.subscribe(svcInbox)
    assert.equal(await svcInbox.send({ type: 'broadcast', event: 'to-a', payload: {} }), 'ok')
    await aInboxGot.waitFor((p) => p.event === 'to-a')
  })

  test('zero leaks: 2 users + anon on public and private channels of the same names, 200 broadcasts and tracks each', async () => {
    const s = ctx.server
    const N = 200
    const tokA = await user('user-a')
    const tokB = await user('user-b')
    // one socket per (identity, visibility): a socket holds one channel per topic
    const sockets = [
      { id: 'A-pub', apikey: tokA, channels: [{ topic: 'team', priv: false, presence: true }] },
      { id: 'B-pub', apikey: tokB, channels: [{ topic: 'team', priv: false, presence: true }] },
      { id: 'C-pub', apikey: s.anonKey, channels: [{ topic: 'team', priv: false, presence: true }, { topic: 'inbox:user-a', priv: false }] },
      { id: 'A-priv', apikey: tokA, channels: [{ topic: 'team', priv: true, presence: true }, { topic: 'inbox:user-a', priv: true }] },
      { id: 'B-priv', apikey: tokB, channels: [{ topic: 'team', priv: true, presence: true }] },
    ]
    const all = []
    for (const sock of sockets) {
      sock.frames = []
      sock.client = h.createClient(ctx, { apikey: sock.apikey, transport: recordingTransport(sock.frames) })
      for (const c of sock.channels) {
        c.sock = sock
        c.id = `${sock.id}:${c.topic}`
        c.ch = sock.client.channel(c.topic, {
          config: { private: c.priv, broadcast: { self: true, ack: false }, presence: { key: sock.id } },
        })
        c.got = h.collector(c.ch, 'broadcast', { event: 'leak' })
        if (c.presence) c.ch.on('presence', { event: 'sync' }, () => {})
        all.push(c)
      }
    }
    await Promise.all(all.map((c) => h.subscribe(c.ch)))
    // anon has no way into the private team: the spy's join is refused, its public twin is fine
    const spy = h.createClient(ctx)
    assert.match(await subscribeExpectError(spy.channel('team', { config: { private: true } })), /^Unauthorized: /)

    const peers = (c) => all.filter((o) => o.topic === c.topic && o.priv === c.priv)
    const trackers = (c) => peers(c).filter((o) => o.presence)

    const t0 = Date.now()
    const sends = all.map(async (c) => {
      for (let i = 0; i < N; i++) {
        const r = await c.ch.send({ type: 'broadcast', event: 'leak', payload: { from: c.id, topic: c.topic, priv: c.priv, i } })
        assert.equal(r, 'ok')
      }
    })
    const tracks = all.filter((c) => c.presence).map(async (c) => {
      for (let i = 0; i < N; i++) {
        const r = await c.ch.track({ from: c.id, topic: c.topic, priv: c.priv, i })
        assert.equal(r, 'ok', `${c.id} track #${i}`)
      }
    })
    await h.withTimeout(Promise.all([...sends, ...tracks]), 30000, 'all sends and tracks')

    const diffsOf = (c) => c.sock.frames.filter((f) => f.event === 'presence_diff' && f.topic === `realtime:${c.topic}`)
    await h.waitFor(
      () => all.every((c) => c.got.items.length >= N * peers(c).length && (!c.presence || diffsOf(c).length >= N * trackers(c).length)),
      20000,
      'every broadcast and presence diff delivered'
    )
    await h.sleep(500) // anything extra would show up now
    const elapsed = Date.now() - t0

    for (const c of all) {
      const senders = peers(c).map((o) => o.id)
      // broadcasts: exactly N from each sender of the same (topic, visibility), nothing else
      assert.equal(c.got.items.length, N * senders.length, `${c.id} (${c.priv ? 'private' : 'public'}) broadcast count`)
      for (const p of c.got.items) {
        const m = p.payload
        assert.ok(m.topic === c.topic && m.priv === c.priv && senders.includes(m.from), `${c.id} received a foreign broadcast ${JSON.stringify(m)}`)
      }
      for (const from of senders) {
        const is = new Set(c.got.items.filter((p) => p.payload.from === from).map((p) => p.payload.i))
        assert.equal(is.size, N, `${c.id}: distinct broadcasts from ${from}`)
      }
      if (!c.presence) {
        assert.equal(diffsOf(c).length, 0, `${c.id}: presence disabled, no diffs`)
        continue
      }
      // presence: N diffs per tracker of the same (topic, visibility), keys only from them
      const keys = trackers(c).map((o) => o.sock.id)
      const diffs = diffsOf(c)
      assert.equal(diffs.length, N * keys.length, `${c.id} presence_diff count`)
      const joinsPerKey = {}
      for (const d of diffs) {
        for (const side of ['joins', 'leaves']) {
          for (const [k, v] of Object.entries(d.payload[side] || {})) {
            assert.ok(keys.includes(k), `${c.id} got a foreign presence key ${k} in ${side}`)
            for (const meta of v.metas) {
              assert.ok(meta.topic === c.topic && meta.priv === c.priv, `${c.id} got a foreign presence meta ${JSON.stringify(meta)}`)
            }
            if (side === 'joins') joinsPerKey[k] = (joinsPerKey[k] || 0) + 1
          }
        }
      }
      for (const k of keys) assert.equal(joinsPerKey[k], N, `${c.id}: presence joins for ${k}`)
      // the app-facing state: exactly the trackers, each at its last meta
      const state = c.ch.presenceState()
      assert.deepEqual(Object.keys(state).sort(), [...keys].sort(), `${c.id} presenceState keys`)
      for (const k of keys) {
        assert.equal(state[k].length, 1, `${c.id}: one meta for ${k}`)
        assert.equal(state[k][0].i, N - 1, `${c.id}: last meta for ${k}`)
      }
    }
    console.log(`# zero-leak: ${all.length} channels, ${N} broadcasts + tracks each, delivered and checked in ${elapsed} ms`)
  })

  test('REST private sends: single endpoint 403 without broadcast write, 202 with; batch skips unauthorised private messages', async () => {
    const s = ctx.server
    const tokA = await user('user-a')
    const tokB = await user('user-b')
    const A = h.createClient(ctx, { apikey: tokA })
    const P = h.createClient(ctx) // anon, public twins
    const aTeam = A.channel('team', { config: { private: true } })
    const aInbox = A.channel('inbox:user-a', { config: { private: true } })
    const aLobby = A.channel('lobby', { config: { private: true } })
    const pTeam = P.channel('team')
    const pInbox = P.channel('inbox:user-a')
    const got = {}
    for (const [k, ch] of Object.entries({ aTeam, aInbox, aLobby, pTeam, pInbox })) got[k] = h.collector(ch, 'broadcast', { event: '*' })
    await Promise.all([aTeam, aInbox, aLobby, pTeam, pInbox].map((c) => h.subscribe(c)))

    const single = (topic, event, token, priv = true) =>
      h.fetchT(`${s.realtimeUrl}/api/broadcast/${encodeURIComponent(topic)}/events/${event}${priv ? '?private=true' : ''}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', apikey: token, Authorization: `Bearer ${token}` },
        body: JSON.stringify({ event }),
      })
    const deniedBefore = await drops(s, 'broadcast_write_denied')
    const expect403 = async (topic, event, token, who) => {
      const r = await single(topic, event, token)
      const body = await r.text()
      assert.equal(r.status, 403, `${who} → private ${topic}: status (body ${body})`)
      assert.deepEqual(JSON.parse(body), { message: 'Unauthorized' })
    }
    await expect403('team', 's-anon-team', s.anonKey, 'anon')
    await expect403('lobby', 's-a-lobby', tokA, 'user-a (read-only topic)')
    await expect403('inbox:user-a', 's-b-inbox-a', tokB, 'user-b (someone else\'s inbox)')
    await expect403('nowhere', 's-a-nowhere', tokA, 'user-a (no rule)')
    const accepted = async (topic, event, token, priv = true) => {
      const r = await single(topic, event, token, priv)
      assert.equal(r.status, 202, `${topic}/${event}: status (body ${await r.text()})`)
    }
    await accepted('team', 's-b-team', tokB)
    await accepted('inbox:user-a', 's-a-inbox', tokA)
    await accepted('lobby', 's-svc-lobby', s.serviceKey)
    await accepted('team', 's-pub-team', s.anonKey, false)
    // realtime-js httpSend on a private channel: allowed for the owner, refused for another user
    await h.withTimeout(aInbox.httpSend('via-httpsend', { n: 1 }), 6000, 'owner httpSend')
    const B = h.createClient(ctx, { apikey: tokB })
    await assert.rejects(h.withTimeout(B.channel('inbox:user-a', { config: { private: true } }).httpSend('b-httpsend', {}), 6000, 'foreign httpSend'), /Unauthorized/)

    // batch as user-b: only the messages it may write go out, the rest are skipped (still 202)
    const batch = await h.restBroadcast(
      s,
      [
        { topic: 'inbox:user-a', event: 'b-steal', payload: { n: 1 }, private: true },
        { topic: 'lobby', event: 'b-lobby', payload: { n: 2 }, private: true },
        { topic: 'nowhere', event: 'b-nowhere', payload: { n: 3 }, private: true },
        { topic: 'team', event: 'b-team', payload: { n: 4 }, private: true },
        { topic: 'team', event: 'b-pub', payload: { n: 5 } },
      ],
      { token: tokB }
    )
    assert.equal(batch.status, 202, `batch as user-b (body ${batch.body})`)
    const anonBatch = await h.restBroadcast(s, [{ topic: 'team', event: 'anon-team', payload: {}, private: true }], { token: s.anonKey })
    assert.equal(anonBatch.status, 202, `batch as anon (body ${anonBatch.body})`)

    const expected = {
      aTeam: ['s-b-team', 'b-team'],
      aInbox: ['s-a-inbox', 'via-httpsend'],
      aLobby: ['s-svc-lobby'],
      pTeam: ['s-pub-team', 'b-pub'],
      pInbox: [],
    }
    // wait (bounded) for every authorised message, then report every difference at once
    await h.waitFor(() => Object.entries(expected).every(([k, events]) => events.every((e) => got[k].items.some((p) => p.event === e))), 4000, 'authorised REST messages').catch(() => {})
    await h.sleep(400)
    for (const [k, events] of Object.entries(expected)) {
      assert.deepEqual(got[k].items.map((p) => p.event).sort(), [...events].sort(), `${k}: exactly the authorised messages (got ${JSON.stringify(Object.fromEntries(Object.entries(got).map(([n, c]) => [n, c.items.map((p) => p.event)])))})`)
    }
    assert.ok((await drops(s, 'broadcast_write_denied')) >= deniedBefore + 8, 'every refused REST private message counted as broadcast_write_denied')
  })

  test('access_token refresh: valid keeps the channel; expired / malformed / missing role / bad signature / lost read right close it', async () => {
    const s = ctx.server
    const revokedBefore = await drops(s, 'read_permission_revoked')
    const scenario = async ({ name, topic, apikey, priv = false, refresh, expect }) => {
      const client = h.createClient(ctx, apikey ? { apikey } : {})
      const ch = client.channel(topic, { config: { private: priv, broadcast: { ack: true, self: true } } })
      const sys = h.collector(ch, 'system', {})
      const got = h.collector(ch, 'broadcast', { event: '*' })
      await h.subscribe(ch)
      await client.setAuth(await refresh())
      if (expect === 'kept') {
        await h.sleep(800)
        assert.deepEqual(sys.items, [], `${name}: no system message after a valid refresh`)
        assert.equal(ch.state, 'joined', `${name}: still joined`)
        assert.equal(await ch.send({ type: 'broadcast', event: 'after', payload: {} }), 'ok', `${name}: still sends`)
        await got.waitFor((p) => p.event === 'after', 3000, `${name}: own broadcast after refresh`)
      } else {
        await expectShutdown(ch, sys, expect)
        assert.ok(client.isConnected(), `${name}: the socket stays open`)
      }
    }
    await Promise.all([
      scenario({ name: 'valid', topic: 'rf-valid', refresh: () => h.tokens.anon(s.secret, { sub: 'someone' }), expect: 'kept' }),
      scenario({ name: 'expired', topic: 'rf-expired', refresh: () => h.tokens.expired(s.secret), expect: /^Token has expired \d+ seconds ago$/ }),
      scenario({ name: 'malformed', topic: 'rf-malformed', refresh: () => 'garbage-token', expect: 'The token provided is not a valid JWT' }),
      scenario({ name: 'missing role', topic: 'rf-norole', refresh: () => h.tokens.missingRole(s.secret), expect: 'Fields `role` and `exp` are required in JWT' }),
      scenario({ name: 'bad signature', topic: 'rf-badsig', refresh: () => h.tokens.wrongSecret(), expect: 'Failed to validate JWT signature' }),
      scenario({ name: 'private, still authenticated', topic: 'team', priv: true, apikey: await user('user-a'), refresh: () => user('user-a', { exp: Math.floor(Date.now() / 1000) + 7200 }), expect: 'kept' }),
      scenario({ name: 'private, role lost', topic: 'team', priv: true, apikey: await user('user-a'), refresh: () => h.tokens.anon(s.secret, { sub: 'user-a' }), expect: UNAUTHORIZED('team') }),
      scenario({ name: 'private inbox, sub changed', topic: 'inbox:user-a', priv: true, apikey: await user('user-a'), refresh: () => user('user-b'), expect: UNAUTHORIZED('inbox:user-a') }),
    ])
    assert.ok((await drops(s, 'read_permission_revoked')) >= revokedBefore + 2, 'read_permission_revoked counted')
  })

  test('expiry notice: system ok "Token expires in …" N s before exp, then the channel closes at exp unless refreshed', async () => {
    const s = ctx.server
    const expiring = async (name, refreshAfterNotice) => {
      const client = h.createClient(ctx)
      await client.setAuth(await h.tokens.shortLived(s.secret, 6))
      const ch = client.channel(name, { config: { broadcast: { ack: true, self: true } } })
      const seen = []
      ch.on('system', {}, (p) => seen.push({ at: Date.now(), p }))
      await h.subscribe(ch)
      const notice = await h.waitFor(() => seen.find((x) => x.p.status === 'ok'), 8000, `expiry notice on ${name}`)
      assert.equal(notice.p.extension, 'system', JSON.stringify(notice.p))
      assert.equal(notice.p.channel, name)
      assert.ok(notice.p.message.startsWith('Token expires in '), `notice text: ${notice.p.message}`)
      assert.match(notice.p.message, /^Token expires in [1-3] seconds/)
      if (!refreshAfterNotice) {
        const err = await h.waitFor(() => seen.find((x) => x.p.status === 'error'), 6000, `expiry on ${name}`)
        assert.match(err.p.message, /^Token has expired \d+ seconds ago$/)
        const gap = err.at - notice.at
        assert.ok(gap >= 2300 && gap <= 4500, `notice came ${gap} ms before the close (configured 3 s)`)
        await h.waitFor(() => ch.__statuses.some((x) => x.status === 'CLOSED'), 5000, `CLOSED on ${name}`)
      } else {
        await client.setAuth(await h.tokens.anon(s.secret))
        await h.sleep(5000) // well past the first token's exp
        assert.deepEqual(seen.filter((x) => x.p.status === 'error').map((x) => x.p.message), [], 'a refreshed channel is not closed')
        assert.equal(seen.filter((x) => x.p.status === 'ok').length, 1, 'one notice only')
        assert.equal(ch.state, 'joined')
        assert.equal(await ch.send({ type: 'broadcast', event: 'still', payload: {} }), 'ok')
      }
    }
    await Promise.all([expiring('notice-close', false), expiring('notice-refresh', true)])
  })

  test('JWKS rotation: RS256 and ES256 keys accepted at connect and join; added kid without restart; removed kid refused after refresh', async () => {
    const s = ctx.server
    const quiet = async () => {
      // the server refreshes at most once per second: let a full interval pass since its last fetch
      const wait = jwks.state.lastRequestAt + 1150 - Date.now()
      if (wait > 0) await h.sleep(wait)
    }
    const ok101 = async (token, what) => assert.equal((await h.tryUpgrade(wsQuery(token))).status, 101, `${what} upgrade`)
    const raw = await h.rawClient(ctx) // HS anon key at connect; JWKS tokens per join
    const joinWith = async (topic, token) => (await raw.join(`realtime:${topic}`, {}, { access_token: token })).reply.payload

    // initial keys
    await ok101(await signWith(keys.rsa1), 'RS256 rsa-1')
    await ok101(await signWith(keys.ec1), 'ES256 ec-1')
    const client = h.createClient(ctx, { apikey: await signWith(keys.rsa1, { sub: 'user-a' }) })
    const ch = client.channel('inbox:user-a', { config: { private: true } }) // claims from the RS256 token drive the policy
    await h.subscribe(ch)
    const esClient = h.createClient(ctx, { apikey: await signWith(keys.ec1) })
    await h.subscribe(esClient.channel('jwks-es'))
    assert.equal((await joinWith('jwks-j1', await signWith(keys.ec1))).status, 'ok', 'join with an ES256 access_token')
    assert.equal((await joinWith('jwks-j2', await signWith(keys.rsa1))).status, 'ok', 'join with an RS256 access_token')
    // HS256 with the secret works alongside
    await ok101(s.anonKey, 'HS256 anon key')
    assert.equal((await joinWith('jwks-hs', await h.tokens.anon(s.secret))).status, 'ok')

    // a new kid appears in the served JWKS: accepted without restarting
    jwks.state.keys = [keys.rsa1.jwk, keys.ec1.jwk, keys.rsa2.jwk, keys.ec2.jwk]
    await quiet()
    let fetches = jwks.state.requests
    await ok101(await signWith(keys.rsa2), 'RS256 rsa-2 (added)')
    assert.ok(jwks.state.requests > fetches, 'the unknown kid made the server fetch the JWKS again')
    await ok101(await signWith(keys.ec2), 'ES256 ec-2 (added)')
    assert.equal((await joinWith('jwks-j3', await signWith(keys.ec2))).status, 'ok')

    // rsa-1 and ec-1 removed: a fresh unknown kid triggers the refresh, then the removed kids are refused
    jwks.state.keys = [keys.rsa2.jwk, keys.ec2.jwk]
    await quiet()
    fetches = jwks.state.requests
    await expectUpgradeRefused(await signWith(keys.rsaFresh), SIGNER_FOR_KID('rsa-fresh'))
    assert.ok(jwks.state.requests > fetches, 'the fresh kid made the server fetch the JWKS again')
    await expectUpgradeRefused(await signWith(keys.rsa1), SIGNER_FOR_KID('rsa-1'))
    await expectUpgradeRefused(await signWith(keys.ec1), SIGNER_FOR_KID('ec-1'))
    const refused = await joinWith('jwks-j4', await signWith(keys.rsa1))
    assert.equal(refused.status, 'error')
    assert.equal(refused.response.reason, `JwtSignerError: ${SIGNER_FOR_KID('rsa-1')}`)
    // the kept keys and the secret still work
    await ok101(await signWith(keys.rsa2), 'RS256 rsa-2 (kept)')
    await ok101(await signWith(keys.ec2), 'ES256 ec-2 (kept)')
    await ok101(s.anonKey, 'HS256 anon key')
    // a token signed by a removed key cannot be smuggled in with a kept kid either
    const forged = await new jose.SignJWT({ role: 'service_role', exp: Math.floor(Date.now() / 1000) + 600 })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'rsa-2' })
      .sign(keys.rsa1.privateKey)
    await expectUpgradeRefused(forged, 'Failed to validate JWT signature')
  })

  test('forgeries refused at upgrade (401 + JSON error) and at join: nbf in the future, alg none, HS256 signed with the RSA public key', async () => {
    const s = ctx.server
    const now = Math.floor(Date.now() / 1000)
    const claims = { role: 'service_role', iat: now, exp: now + 3600 }
    const nbf = await h.mintToken(s.secret, { nbf: now + 600 })
    const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`
    const noneSigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.${Buffer.from('sig').toString('base64url')}`
    const pem = await jose.exportSPKI(keys.rsa2.publicKey)
    const jwkJson = JSON.stringify(keys.rsa2.jwk)
    const confusion = await new jose.SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: 'rsa-2' }).sign(new TextEncoder().encode(pem))
    const confusionNoKid = await new jose.SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(pem))
    const confusionJwk = await new jose.SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: 'rsa-2' }).sign(new TextEncoder().encode(jwkJson))
    // RS256 header but an HMAC over the token with the public key (the classic downgrade, other way round)
    const rsHeaderHmac = (() => {
      const signingInput = `${b64url({ alg: 'RS256', typ: 'JWT', kid: 'rsa-2' })}.${b64url(claims)}`
      const mac = require('node:crypto').createHmac('sha256', pem).update(signingInput).digest('base64url')
      return `${signingInput}.${mac}`
    })()
    const cases = [
      ['nbf in the future', nbf, 'Token is not valid yet', 'InvalidJWTToken: Token is not valid yet'],
      ['alg none', none, 'The token provided is not a valid JWT', 'MalformedJWT: The token provided is not a valid JWT'],
      ['alg none with a signature', noneSigned, 'The token provided is not a valid JWT', 'MalformedJWT: The token provided is not a valid JWT'],
      ['HS256 keyed with the RSA public key PEM (kid rsa-2)', confusion, 'Failed to validate JWT signature', 'JwtSignatureError: Failed to validate JWT signature'],
      ['HS256 keyed with the RSA public key PEM (no kid)', confusionNoKid, 'Failed to validate JWT signature', 'JwtSignatureError: Failed to validate JWT signature'],
      ['HS256 keyed with the RSA JWK JSON', confusionJwk, 'Failed to validate JWT signature', 'JwtSignatureError: Failed to validate JWT signature'],
      ['RS256 header, HMAC signature', rsHeaderHmac, 'Failed to validate JWT signature', 'JwtSignatureError: Failed to validate JWT signature'],
    ]
    const raw = await h.rawClient(ctx)
    for (const [name, token, upgradeText, joinReason] of cases) {
      await expectUpgradeRefused(token, upgradeText).catch((e) => {
        e.message = `${name}: ${e.message}`
        throw e
      })
      const { reply } = await raw.join(`realtime:forged-${name.replace(/[^a-z0-9]+/gi, '-')}`, {}, { access_token: token })
      assert.equal(reply.payload.status, 'error', `${name}: join ${reply.raw}`)
      assert.equal(reply.payload.response.reason, joinReason, `${name}: join reason`)
    }
    // the refusals are about the forgeries, not the server state
    assert.equal((await h.tryUpgrade(wsQuery(s.serviceKey))).status, 101, 'the genuine service key still works')
  })
})

// ---------------------------------------------------------------------------------------------------------------
// audience + private-only server

describe('HERALD_JWT_AUDIENCE + HERALD_PRIVATE_ONLY', () => {
  const AUD = 'herald-e2e'
  const ctx = h.useServer(test, { HERALD_JWT_AUDIENCE: AUD, HERALD_PRIVATE_ONLY: 'true' })
  const tok = (claims = {}) => h.mintToken(ctx.server.secret, { role: 'service_role', aud: AUD, ...claims })
  const wsQuery = (token) => `${ctx.server.wsUrl}?apikey=${encodeURIComponent(token)}&vsn=2.0.0`

  test('audience at upgrade: missing / wrong aud → 401 "Token audience is not accepted"; matching string or array → 101', async () => {
    for (const [name, token] of [
      ['no aud', await tok({ aud: null })],
      ['wrong aud', await tok({ aud: 'someone-else' })],
      ['wrong aud array', await tok({ aud: ['a', 'b'] })],
      ['harness anon key (no aud)', ctx.server.anonKey],
    ]) {
      const r = await h.tryUpgrade(wsQuery(token))
      assert.equal(r.status, 401, `${name}: status (body ${r.body})`)
      assert.match(String(r.headers['content-type'] || ''), /^application\/json/)
      assert.deepEqual(r.json, { error: 'Token audience is not accepted' }, `${name}: body`)
    }
    assert.equal((await h.tryUpgrade(wsQuery(await tok()))).status, 101, 'aud string')
    assert.equal((await h.tryUpgrade(wsQuery(await tok({ aud: ['other', AUD] })))).status, 101, 'aud array containing it')
    assert.ok((await h.readMetric(ctx.server, 'herald_drops_total', { reason: 'token_audience_invalid' })) >= 4)
  })

  test('audience at join (access_token) and on refresh; PrivateOnly refuses public joins', async () => {
    // join with an access_token lacking aud
    const c1 = h.createClient(ctx, { apikey: await tok() })
    await c1.setAuth(await tok({ aud: null }))
    assert.equal(await subscribeExpectError(c1.channel('aud-join', { config: { private: true } })), 'InvalidJWTToken: Token audience is not accepted')
    // refresh to a token without aud closes the channel
    const c2 = h.createClient(ctx, { apikey: await tok() })
    const ch = c2.channel('aud-refresh', { config: { private: true } })
    const sys = h.collector(ch, 'system', {})
    await h.subscribe(ch)
    await c2.setAuth(await tok({ aud: 'wrong' }))
    await expectShutdown(ch, sys, 'Token audience is not accepted')
    // private-only: public join refused with the exact reason, private join fine
    const c3 = h.createClient(ctx, { apikey: await tok() })
    assert.equal(await subscribeExpectError(c3.channel('public-room')), 'PrivateOnly: This project only allows private channels')
    const priv = c3.channel('private-room', { config: { private: true, broadcast: { ack: true, self: true } } })
    const got = h.collector(priv, 'broadcast', { event: '*' })
    await h.subscribe(priv)
    assert.equal(await priv.send({ type: 'broadcast', event: 'x', payload: {} }), 'ok')
    await got.waitFor((p) => p.event === 'x')
    assert.ok((await h.readMetric(ctx.server, 'herald_drops_total', { reason: 'private_only' })) >= 1)
  })
})

// ---------------------------------------------------------------------------------------------------------------
// change capture on: a refresh re-registers postgres_changes

describe('access_token refresh with postgres_changes', () => {
  let db = null
  const ctx = h.useServer(
    test,
    { HERALD_CDC_ENABLED: 'true' },
    {
      setup: async (server) => {
        assert.ok(server.dbUrl, 'no "connect with: psql postgresql://…" line in the server output')
        db = new PgClient({ connectionString: server.dbUrl, connectionTimeoutMillis: 5000 })
        db.on('error', () => {})
        await h.withTimeout(db.connect(), 8000, 'pg connect')
        await h.withTimeout(db.query('CREATE TABLE public.sec_notes (id int PRIMARY KEY, body text)'), 10000, 'create table')
      },
      teardown: async () => {
        if (db) await h.withTimeout(db.end(), 5000, 'pg end').catch(() => {})
      },
    }
  )

  test('valid refresh → second "Subscribed to PostgreSQL", changes still delivered; expired refresh → system error + CLOSED', async () => {
    const s = ctx.server
    const client = h.createClient(ctx)
    const ch = client.channel('pg-refresh')
    const sys = h.collector(ch, 'system', {})
    const changes = h.collector(ch, 'postgres_changes', { event: '*', schema: 'public', table: 'sec_notes' })
    await h.subscribe(ch)
    const pgOk = () => sys.items.filter((p) => p.extension === 'postgres_changes' && p.status === 'ok' && p.message === 'Subscribed to PostgreSQL')
    await h.waitFor(() => pgOk().length === 1, 10000, 'first "Subscribed to PostgreSQL"')
    await client.setAuth(await h.tokens.anon(s.secret, { sub: 'refreshed' }))
    await h.waitFor(() => pgOk().length === 2, 10000, 'second "Subscribed to PostgreSQL" after the refresh')
    assert.equal(pgOk()[1].channel, 'pg-refresh')
    await h.withTimeout(db.query("INSERT INTO public.sec_notes VALUES (1, 'after refresh')"), 5000, 'insert')
    const change = await changes.waitFor((p) => p.eventType === 'INSERT', 10000, 'INSERT after refresh')
    assert.equal(change.new.body, 'after refresh')
    assert.ok(!sys.items.some((p) => p.status === 'error'), `no error so far: ${JSON.stringify(sys.items)}`)
    await client.setAuth(await h.tokens.expired(s.secret))
    await expectShutdown(ch, sys, /^Token has expired \d+ seconds ago$/)
  })
})
