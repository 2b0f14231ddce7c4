'use strict'
// Limits (docs/wire-protocol.md: Join checks, REST broadcast, Presence, Limits and error texts): each limit, set small through its
// HERALD_LIMITS_* variable with a short averaging window, triggers with its exact reason as realtime-js 2.119.0 (or
// the wire) sees it, and recovers once the load stops and the window has passed. Last, HERALD_LIMITS_PROFILE=supabase
// shows Supabase's defaults in behaviour (100 channels per client, 5 presence calls per 30 s).
//
// Three servers, one after the other, so that one limit's load never trips another's.

const test = require('node:test')
const { describe } = test
const assert = require('node:assert/strict')
const h = require('../lib/harness')

const WINDOW_MS = 1000

/** Resolve with err.message of the first CHANNEL_ERROR (SUBSCRIBED fails the wait); statuses go to channel.__statuses. */
function subscribeExpectError(channel, ms = 8000) {
  const d = h.deferred()
  channel.__statuses = channel.__statuses || []
  channel.subscribe((status, err) => {
    channel.__statuses.push({ status, err: err && err.message, at: Date.now() })
    if (status === 'CHANNEL_ERROR') d.resolve(err ? err.message : '(no error object)')
    else if (status === 'SUBSCRIBED') d.reject(new Error(`${channel.topic} was SUBSCRIBED but a join error was expected`))
  })
  return h.withTimeout(d.promise, ms, `CHANNEL_ERROR on ${channel.topic}`)
}

async function drops(server, reason) {
  return (await h.readMetric(server, 'herald_drops_total', { reason })) || 0
}

/** No connection left over from an earlier test (closing is asynchronous on the server). */
async function quiesce(ctx) {
  await h.waitFor(async () => (await h.readMetric(ctx.server, 'herald_connections')) === 0, 5000, 'herald_connections back to 0')
}

async function connected(client) {
  client.connect()
  await h.waitFor(() => client.isConnected(), 5000, 'realtime-js socket open')
  return client
}

// ---------------------------------------------------------------------------------------------------------------

describe('users, channels per client, client presence calls', () => {
  const ctx = h.useServer(test, {
    HERALD_LIMITS_MAX_CONCURRENT_USERS: '3',
    HERALD_LIMITS_MAX_CHANNELS_PER_CLIENT: '3',
    HERALD_LIMITS_CLIENT_PRESENCE_MAX_CALLS: '3',
    HERALD_LIMITS_CLIENT_PRESENCE_WINDOW_MS: '1500',
    HERALD_LIMITS_RATE_WINDOW_MS: String(WINDOW_MS),
  })

  test('max concurrent users (3): 4th user join → ConnectionRateLimitReached, upgrade → 429; recovers when a user leaves', async () => {
    const s = ctx.server
    await quiesce(ctx)
    const before = await drops(s, 'connection_rate_limit')
    // four sockets open first (a socket only becomes a "user" with its first channel)
    const clients = await Promise.all([1, 2, 3, 4].map(() => connected(h.createClient(ctx))))
    const chans = clients.map((c, i) => c.channel(`users-${i + 1}`))
    await Promise.all(chans.slice(0, 3).map((ch) => h.subscribe(ch)))
    assert.equal(await subscribeExpectError(chans[3]), 'ConnectionRateLimitReached: Too many connected users')
    // a second channel of an existing user is not a new user
    await h.subscribe(clients[0].channel('users-1b'))
    // new sockets are refused at the upgrade while full
    const r = await h.tryUpgrade(`${s.wsUrl}?apikey=${s.anonKey}&vsn=2.0.0`)
    assert.equal(r.status, 429, `upgrade while full (body ${r.body})`)
    assert.deepEqual(r.json, { error: 'Too many connected users' })
    assert.ok((await drops(s, 'connection_rate_limit')) >= before + 2, 'connection_rate_limit counted')

    // load stops: user 3 leaves its only channel → realtime-js' own rejoin of the 4th succeeds
    await chans[2].unsubscribe()
    await h.waitFor(() => chans[3].__statuses.some((x) => x.status === 'SUBSCRIBED'), 12000, '4th user SUBSCRIBED by realtime-js rejoin')
    assert.equal(chans[3].state, 'joined')
    // and once below the limit the upgrade is accepted again
    await chans[1].unsubscribe()
    assert.equal((await h.tryUpgrade(`${s.wsUrl}?apikey=${s.anonKey}&vsn=2.0.0`)).status, 101, 'upgrade after users left')
  })

  test('max channels per client (3): 4th channel → ChannelRateLimitReached; recovers after leaving one', async () => {
    const s = ctx.server
    await quiesce(ctx)
    const before = await drops(s, 'channel_rate_limit')
    const client = h.createClient(ctx)
    const chans = [1, 2, 3].map((i) => client.channel(`chan-${i}`))
    await Promise.all(chans.map((ch) => h.subscribe(ch)))
    const fourth = client.channel('chan-4')
    assert.equal(await subscribeExpectError(fourth), 'ChannelRateLimitReached: Too many channels')
    assert.ok(client.isConnected(), 'the socket stays open')
    // a second client is not affected by the first one's count
    const other = h.createClient(ctx)
    await h.subscribe(other.channel('chan-4'))
    assert.ok((await drops(s, 'channel_rate_limit')) > before, 'channel_rate_limit counted')

    await chans[0].unsubscribe()
    await h.waitFor(() => fourth.__statuses.some((x) => x.status === 'SUBSCRIBED'), 12000, '4th channel SUBSCRIBED by realtime-js rejoin')
    // at the limit again
    assert.equal(await subscribeExpectError(client.channel('chan-5')), 'ChannelRateLimitReached: Too many channels')
  })

  test('client presence calls (3 per 1500 ms): 4th call → system "Client presence rate limit exceeded" + CLOSED; window reset recovers', async () => {
    const s = ctx.server
    await quiesce(ctx)
    const before = await drops(s, 'client_presence_rate_limit')
    const client = h.createClient(ctx)
    // within one window: 3 calls fine, then the window passes and 3 more are fine again
    const steady = client.channel('pres-steady', { config: { presence: { key: 'steady' } } })
    const steadySys = h.collector(steady, 'system', {})
    steady.on('presence', { event: 'sync' }, () => {})
    await h.subscribe(steady)
    for (let i = 0; i < 3; i++) assert.equal(await steady.track({ i }), 'ok', `steady track ${i}`)
    await h.sleep(1700)
    for (let i = 3; i < 6; i++) assert.equal(await steady.track({ i }), 'ok', `steady track ${i} after the window`)
    assert.deepEqual(steadySys.items, [], 'no shutdown while within the limit')

    // a burst: the 4th call in the window shuts the channel down
    const burst = client.channel('pres-burst', { config: { presence: { key: 'burst' } } })
    const sys = h.collector(burst, 'system', {})
    burst.on('presence', { event: 'sync' }, () => {})
    await h.subscribe(burst)
    assert.equal(await burst.track({ n: 1 }), 'ok')
    assert.equal(await burst.track({ n: 2 }), 'ok')
    assert.equal(await burst.untrack(), 'ok')
    const fourth = burst.track({ n: 4 }, { timeout: 1500 })
    const msg = await sys.waitFor((p) => p.status === 'error', 4000, 'presence rate limit shutdown')
    assert.deepEqual(msg, { extension: 'system', status: 'error', message: 'Client presence rate limit exceeded', channel: 'pres-burst' })
    await h.waitFor(() => burst.__statuses.some((x) => x.status === 'CLOSED'), 5000, 'CLOSED after the presence limit')
    assert.notEqual(await fourth, 'ok', 'the 4th call is not acknowledged')
    assert.ok(client.isConnected(), 'the socket stays open')
    assert.equal(steady.state, 'joined', 'other channels of the socket are unaffected')
    assert.ok((await drops(s, 'client_presence_rate_limit')) > before, 'client_presence_rate_limit counted')

    // recovery: after the window, the topic can be joined and tracked again
    await h.sleep(1600)
    const again = client.channel('pres-burst', { config: { presence: { key: 'burst' } } })
    again.on('presence', { event: 'sync' }, () => {})
    await h.subscribe(again)
    for (let i = 0; i < 3; i++) assert.equal(await again.track({ again: i }), 'ok', `track ${i} after recovery`)
    await h.waitFor(() => (again.presenceState().burst || []).length === 1, 3000, 'own presence visible after recovery')
  })
})

// ---------------------------------------------------------------------------------------------------------------

describe('joins per second, events per second', () => {
  const ctx = h.useServer(test, {
    HERALD_LIMITS_MAX_JOINS_PER_SECOND: '10',
    HERALD_LIMITS_MAX_EVENTS_PER_SECOND: '50',
    HERALD_LIMITS_RATE_WINDOW_MS: String(WINDOW_MS),
  })

  test('joins per second (10): the 11th join → ClientJoinRateLimitReached + socket closed 1001, upgrade 429; recovers after the window', async () => {
    const s = ctx.server
    await quiesce(ctx)
    const before = await drops(s, 'join_rate_limit')
    const raw = await h.rawClient(ctx)
    const replies = []
    for (let i = 1; i <= 11; i++) {
      const { reply } = await raw.join(`realtime:jps-${i}`)
      replies.push(reply.payload)
    }
    replies.slice(0, 10).forEach((p, i) => assert.equal(p.status, 'ok', `join ${i + 1}`))
    assert.deepEqual(replies[10], { status: 'error', response: { reason: 'ClientJoinRateLimitReached: Too many joins per second' } })
    const closed = await h.withTimeout(raw.closed.promise, 3000, 'socket close after the join limit')
    assert.equal(closed.code, 1001, `close code (reason "${closed.reason}")`)
    // still within the window: new sockets are refused
    const refused = await h.tryUpgrade(`${s.wsUrl}?apikey=${s.anonKey}&vsn=2.0.0`)
    assert.equal(refused.status, 429, `upgrade at the join limit (body ${refused.body})`)
    assert.deepEqual(refused.json, { error: 'Too many joins per second' })

    // recovery
    await h.sleep(WINDOW_MS + 300)
    const client = h.createClient(ctx)
    await Promise.all([1, 2, 3, 4, 5].map((i) => h.subscribe(client.channel(`jps-after-${i}`))))

    // the same limit as realtime-js sees it: 11 channels at once
    await h.sleep(WINDOW_MS + 300)
    const burst = h.createClient(ctx)
    const chans = Array.from({ length: 11 }, (_, i) => burst.channel(`jps-burst-${i}`))
    const errors = []
    const d = h.deferred()
    for (const ch of chans) {
      ch.subscribe((status, err) => {
        if (status === 'CHANNEL_ERROR' && err) {
          errors.push(err.message)
          if (err.message.startsWith('ClientJoinRateLimitReached')) d.resolve()
        }
      })
    }
    await h.withTimeout(d.promise, 8000, 'ClientJoinRateLimitReached in realtime-js')
    assert.ok(errors.includes('ClientJoinRateLimitReached: Too many joins per second'), `errors: ${JSON.stringify(errors)}`)
    await h.closeClient(burst, { leave: false }) // stop its reconnect-and-rejoin loop
    assert.ok((await drops(s, 'join_rate_limit')) >= before + 2, 'join_rate_limit counted')

    await h.sleep(WINDOW_MS + 300)
    assert.equal((await h.tryUpgrade(`${s.wsUrl}?apikey=${s.anonKey}&vsn=2.0.0`)).status, 101, 'upgrade after the window')
    const raw2 = await h.rawClient(ctx)
    for (let i = 1; i <= 5; i++) assert.equal((await raw2.join(`realtime:jps-again-${i}`)).reply.payload.status, 'ok', `join ${i} after recovery`)
  })

  test('events per second (50): sender → system "Too many messages per second" + CLOSED; REST 429 with x-rate-limit headers; recovers', async () => {
    const s = ctx.server
    await quiesce(ctx)
    await h.sleep(WINDOW_MS + 200)
    const before = await drops(s, 'events_rate_limit')
    const rx = h.createClient(ctx)
    const tx = h.createClient(ctx)
    const rxCh = rx.channel('flood')
    const got = h.collector(rxCh, 'broadcast', { event: '*' })
    const txCh = tx.channel('flood', { config: { broadcast: { self: false } } })
    const sys = h.collector(txCh, 'system', {})
    await Promise.all([h.subscribe(rxCh), h.subscribe(txCh)])

    // each message counts twice (sent + delivered once): the limit of 50/s is passed around the 26th
    const SENT = 60
    for (let i = 0; i < SENT; i++) txCh.send({ type: 'broadcast', event: 'f', payload: { i } })
    const msg = await sys.waitFor((p) => p.status === 'error', 4000, 'events rate limit shutdown')
    assert.deepEqual(msg, { extension: 'system', status: 'error', message: 'Too many messages per second', channel: 'flood' })
    await h.waitFor(() => txCh.__statuses.some((x) => x.status === 'CLOSED'), 5000, 'sender CLOSED')

    // REST while over the limit (same window)
    const batch = await h.restBroadcast(s, [{ topic: 'flood', event: 'rest-blocked', payload: {} }])
    assert.equal(batch.status, 429, `batch over the limit (body ${batch.body})`)
    assert.deepEqual(JSON.parse(batch.body), { message: 'You have exceeded your rate limit' })
    const single = await h.fetchT(`${s.realtimeUrl}/api/broadcast/flood/events/rest-blocked-2`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', apikey: s.serviceKey, Authorization: `Bearer ${s.serviceKey}` },
      body: '{}',
    })
    const singleBody = await single.text()
    assert.equal(single.status, 429, `single endpoint over the limit (body ${singleBody})`)
    assert.deepEqual(JSON.parse(singleBody), { message: 'You have exceeded your rate limit' })
    assert.equal(single.headers.get('x-rate-limit'), '50')
    assert.equal(single.headers.get('x-rate-limit-remaining'), '0')
    assert.ok(Number(single.headers.get('x-rate-rolling')) >= 50, `x-rate-rolling ${single.headers.get('x-rate-rolling')}`)

    await h.sleep(300)
    const delivered = got.items.length
    assert.ok(delivered > 0 && delivered < SENT, `receiver got ${delivered} of ${SENT} (the rest were refused)`)
    assert.ok(!got.items.some((p) => p.event.startsWith('rest-blocked')), 'a refused REST message was delivered')
    assert.equal(rxCh.state, 'joined', 'the receiving channel stays joined')
    assert.ok((await drops(s, 'events_rate_limit')) > before, 'events_rate_limit counted')

    // recovery after the window: REST 202 and a new sender channel work again
    await h.sleep(WINDOW_MS + 300)
    const ok = await h.restBroadcast(s, [{ topic: 'flood', event: 'rest-ok', payload: {} }])
    assert.equal(ok.status, 202, `batch after the window (body ${ok.body})`)
    await got.waitFor((p) => p.event === 'rest-ok', 3000)
    const tx2 = tx.channel('flood', { config: { broadcast: { self: false, ack: true } } })
    await h.subscribe(tx2)
    assert.equal(await tx2.send({ type: 'broadcast', event: 'ws-ok', payload: {} }), 'ok')
    await got.waitFor((p) => p.event === 'ws-ok', 3000)
  })
})

// ---------------------------------------------------------------------------------------------------------------

describe('HERALD_LIMITS_PROFILE=supabase', () => {
  const ctx = h.useServer(test, { HERALD_LIMITS_PROFILE: 'supabase' })

  test('Supabase defaults in behaviour: 100 channels per client (101st refused), 5 presence calls per 30 s (6th shuts down)', async () => {
    const s = ctx.server
    // channels: raw, pipelined joins (well under 100 joins/s averaged over Supabase's 60 s window)
    const raw = await h.rawClient(ctx)
    const refs = []
    for (let i = 1; i <= 100; i++) {
      const ref = raw.nextRef()
      raw.push(`realtime:sb-${i}`, 'phx_join', { config: { broadcast: { self: false }, presence: { enabled: false }, postgres_changes: [], private: false } }, ref, ref)
      refs.push(ref)
    }
    const replies = await Promise.all(refs.map((ref) => raw.reply(ref, 10000)))
    replies.forEach((r, i) => assert.equal(r.payload.status, 'ok', `join ${i + 1}: ${r.raw}`))
    const over = await raw.join('realtime:sb-101')
    assert.deepEqual(over.reply.payload, { status: 'error', response: { reason: 'ChannelRateLimitReached: Too many channels' } })
    // leaving one makes room for exactly one
    const leaveRef = raw.push('realtime:sb-1', 'phx_leave', {}, raw.nextRef(), refs[0])
    assert.equal((await raw.reply(leaveRef)).payload.status, 'ok')
    assert.equal((await raw.join('realtime:sb-101')).reply.payload.status, 'ok')
    assert.deepEqual((await raw.join('realtime:sb-102')).reply.payload, { status: 'error', response: { reason: 'ChannelRateLimitReached: Too many channels' } })

    // presence: 5 calls per 30 s per channel, the 6th shuts the channel down (realtime-js)
    const client = h.createClient(ctx)
    const ch = client.channel('sb-presence', { config: { presence: { key: 'me' } } })
    const sys = h.collector(ch, 'system', {})
    ch.on('presence', { event: 'sync' }, () => {})
    await h.subscribe(ch)
    for (let i = 0; i < 5; i++) assert.equal(await ch.track({ i }), 'ok', `track ${i + 1}`)
    ch.track({ i: 5 }, { timeout: 1500 })
    const msg = await sys.waitFor((p) => p.status === 'error', 4000, 'presence call limit')
    assert.equal(msg.message, 'Client presence rate limit exceeded')
    await h.waitFor(() => ch.__statuses.some((x) => x.status === 'CLOSED'), 5000, 'CLOSED')
  })
})
