'use strict'
// The analytics plugin end to end (issue 9): loaded from its own jar; 5,000 events posted in batches give exact
// counters on the `live-metrics` channel (real realtime-js client) and in the REST snapshot, with at most one channel
// update per second; the per-minute rollups (flushed every 500 ms here) sum to the same totals; bad batches get a
// clear 4xx naming the first bad event and change nothing.

const test = require('node:test')
const assert = require('node:assert/strict')
const { Client: PgClient } = require('pg')
const h = require('../lib/harness')
const { pluginsFolder } = require('../lib/plugin-jars')
const { rest } = require('../lib/plugin-rest')

const folder = pluginsFolder('analytics')
test.after(() => folder.remove())

let db = null
const ctx = h.useServer(test, {
  HERALD_CDC_ENABLED: 'true',
  HERALD_PLUGINS_DIR: folder.dir,
  HERALD_PLUGINS_ANALYTICS_ROLLUP_FLUSH_MS: '500',
}, {
  setup: async (server) => {
    db = new PgClient({ connectionString: server.dbUrl, connectionTimeoutMillis: 5000 })
    db.on('error', () => {})
    await h.withTimeout(db.connect(), 8000, 'pg connect')
  },
  teardown: async () => { if (db) await db.end().catch(() => {}) },
})

const call = (method, p, opts) => rest(ctx, method, p, opts)
const METRIC_OF = { page_view: 'page_views', user_action: 'user_actions', challenge_view: 'challenge_views', submission_created: 'new_submissions' }
const TYPES = ['page_view', 'user_action', 'challenge_view', 'submission_created', 'page_view', 'event_view', 'page_view']
const USERS = 37

/** Event i of the run: a deterministic mix of types and users (every 11th anonymous). */
function event(i) {
  const type = TYPES[i % TYPES.length]
  const properties = { page_view: { path: `/p/${i % 13}` }, user_action: { action: 'click' }, challenge_view: { challenge_id: i % 5 },
    submission_created: { challenge_id: i % 5, submission_id: `s${i}` }, event_view: { event_id: 7 } }[type]
  return i % 11 === 0 ? { type, properties } : { type, user_id: `u${i % USERS}`, properties }
}

async function liveClient() {
  const client = h.createClient(ctx)
  const ch = client.channel('live-metrics', { config: { broadcast: { ack: true } } })
  const updates = h.collector(ch, 'broadcast', { event: 'metrics' })
  await h.subscribe(ch)
  updates.ch = ch
  return updates
}

const rowCount = async () => (await db.query('SELECT count(*)::int AS n FROM analytics_events')).rows[0].n

test('5,000 events in batches: exact counters on the channel and in the snapshot, at most one update per second, rollups sum up', async (t) => {
  const service = ctx.server.serviceKey
  const updates = await liveClient()
  const before = (await call('GET', '/plugins/analytics/live-metrics', { tok: service })).json
  assert.equal(before.events_total, 0, 'a fresh server')

  const N = 5000
  const BATCH = 250
  const expected = { page_views: 0, user_actions: 0, challenge_views: 0, new_submissions: 0 }
  const byType = {}
  const users = new Set()
  for (let i = 0; i < N; i++) {
    const e = event(i)
    if (METRIC_OF[e.type]) expected[METRIC_OF[e.type]]++
    byType[e.type] = (byType[e.type] || 0) + 1
    if (e.user_id) users.add(e.user_id)
  }
  const started = Date.now()
  const batches = []
  for (let i = 0; i < N; i += BATCH) batches.push(Array.from({ length: BATCH }, (_, k) => event(i + k)))
  // four requests in flight at a time, with a pause between rounds so the run spans a few seconds and several updates
  for (let i = 0; i < batches.length; i += 4) {
    const results = await Promise.all(batches.slice(i, i + 4).map((events) => call('POST', '/plugins/analytics/events', { tok: service, body: { events } })))
    for (const r of results) assert.deepEqual([r.status, r.json], [200, { accepted: BATCH }], r.text)
    await h.sleep(600)
  }
  const last = await updates.waitFor((m) => m.payload.events_total === N, 5000, 'a live-metrics update with every event')
  const lastAt = Date.now()
  await h.sleep(1500) // nothing changes any more, so nothing more is published
  assert.equal(updates.items[updates.items.length - 1], last, 'no update after the last change')

  for (const [metric, n] of Object.entries(expected)) assert.equal(last.payload[metric], n, metric)
  assert.equal(last.payload.active_users, users.size)
  assert.equal(last.payload.active_window_seconds, 300)
  assert.deepEqual(last.payload.by_type, byType)

  const snapshot = (await call('GET', '/plugins/analytics/live-metrics', { tok: service })).json
  for (const [metric, n] of Object.entries(expected)) assert.equal(snapshot[metric], n, `REST ${metric}`)
  assert.equal(snapshot.active_users, users.size)
  assert.deepEqual(snapshot.by_type, byType)
  assert.equal(snapshot.updates, last.payload.updates, 'the snapshot counts the same channel updates')

  // Rate: at most one update per second of run, and by the server's clock never two within a second.
  const received = updates.items.length
  const seconds = (lastAt - started) / 1000
  t.diagnostic(`${N} events in ${batches.length} batches; ${received} live-metrics updates in ${seconds.toFixed(2)} s`)
  assert.ok(received >= 2, `several updates while events arrived (${received})`)
  assert.ok(received <= Math.floor(seconds) + 1, `${received} updates in ${seconds.toFixed(2)} s`)
  assert.equal(last.payload.updates - before.updates, received, 'every published update reached the subscriber')
  const times = updates.items.map((m) => Date.parse(m.payload.at))
  for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= 1000, `updates ${i - 1} and ${i} are ${times[i] - times[i - 1]} ms apart`)

  // Raw events: all stored.
  assert.equal(await rowCount(), N)

  // Rollups: after a flush (500 ms here) they sum to the same totals.
  const from = new Date(started - 120000).toISOString()
  const to = new Date(Date.now() + 120000).toISOString()
  const rolled = await h.waitFor(async () => {
    const r = await call('GET', `/plugins/analytics/rollups?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, { tok: service })
    return r.status === 200 && !r.json.pending_flush && Object.values(r.json.totals).reduce((s, n) => s + n, 0) === N ? r.json : null
  }, 10000, 'rollups flushed')
  assert.deepEqual(rolled.totals, byType)
  for (const row of rolled.rollups) assert.match(row.minute, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00Z$/)
  const onlyViews = await call('GET', `/plugins/analytics/rollups?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&metric=page_view`, { tok: service })
  assert.deepEqual(onlyViews.json.totals, { page_view: byType.page_view })
  const table = await db.query('SELECT metric, sum(count)::int AS n FROM analytics_rollups GROUP BY metric ORDER BY metric')
  assert.deepEqual(Object.fromEntries(table.rows.map((r) => [r.metric, r.n])), byType)
})

test('bad batches get a clear 4xx naming the first bad event and change nothing', async () => {
  const service = ctx.server.serviceKey
  const user = await h.mintToken(ctx.server.secret, { role: 'authenticated', sub: 'me' })
  const updates = await liveClient()
  const before = (await call('GET', '/plugins/analytics/live-metrics', { tok: service })).json
  const rowsBefore = await rowCount()
  const good = { type: 'page_view', properties: { path: '/' } }

  const cases = [
    ['too large', { body: { events: Array.from({ length: 501 }, () => good) } }, 413, undefined, /the batch has 501 events; at most 500/],
    ['not JSON', { raw: '{"events": [' }, 400, undefined, /not valid JSON/],
    ['no events array', { body: { event: [good] } }, 400, undefined, /unknown field 'event'|'events' must be an array/],
    ['empty', { body: { events: [] } }, 400, undefined, /'events' is empty/],
    ['unknown type', { body: { events: [good, good, good, { type: 'page_veiw', properties: { path: '/' } }, { type: 'nope' }] } }, 400, 3, /^events\[3\]\.type 'page_veiw' is not a known event type/],
    ['missing type', { body: { events: [good, { properties: {} }] } }, 400, 1, /events\[1\]\.type is required/],
    ['missing required property', { body: { events: [good, good, { type: 'challenge_view' }] } }, 400, 2, /events\[2\]\.properties\.challenge_id is required/],
    ['not an object', { body: { events: [good, 'page_view'] } }, 400, 1, /events\[1\] must be an object/],
    ['bad timestamp', { body: { events: [{ ...good, at: 'now' }] } }, 400, 0, /events\[0\]\.at 'now' is not an ISO-8601 timestamp/],
  ]
  for (const [label, opts, status, index, message] of cases) {
    const r = await call('POST', '/plugins/analytics/events', { tok: service, ...opts })
    assert.equal(r.status, status, `${label}: ${r.text}`)
    assert.equal(r.json.error, 'InvalidInput', label)
    assert.match(r.json.message, message, label)
    assert.equal(r.json.index, index, `${label}: index`)
  }
  // someone else's user id from a user token: 403 naming the event
  const other = await call('POST', '/plugins/analytics/events', { tok: user, body: { events: [good, { ...good, user_id: 'someone-else' }] } })
  assert.equal(other.status, 403)
  assert.deepEqual([other.json.error, other.json.index], ['Forbidden', 1])
  // no token at all
  assert.equal((await call('POST', '/plugins/analytics/events', { body: { events: [good] } })).status, 401)
  // bad rollup queries
  assert.equal((await call('GET', '/plugins/analytics/rollups?from=yesterday&to=2026-01-01T00:00:00Z', { tok: service })).status, 400)
  assert.match((await call('GET', '/plugins/analytics/rollups?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', { tok: service })).json.message, /'to' must be later/)

  // clients cannot publish on the channel themselves
  assert.equal(await updates.ch.send({ type: 'broadcast', event: 'metrics', payload: { page_views: 1e9 } }), 'error')

  await h.sleep(1300) // an update would be published within a second of a change
  assert.equal(updates.items.length, 0, 'no live-metrics update: nothing changed')
  const after = (await call('GET', '/plugins/analytics/live-metrics', { tok: service })).json
  for (const k of ['page_views', 'user_actions', 'challenge_views', 'new_submissions', 'events_total', 'updates']) assert.equal(after[k], before[k], k)
  assert.deepEqual(after.by_type, before.by_type)
  assert.equal(await rowCount(), rowsBefore)

  // A user's own events are accepted and attributed to the token's sub.
  const mine = await call('POST', '/plugins/analytics/events', { tok: user, body: { events: [good, { ...good, user_id: 'me' }] } })
  assert.equal(mine.status, 200, mine.text)
  const stored = await db.query("SELECT user_id FROM analytics_events WHERE user_id = 'me'")
  assert.equal(stored.rows.length, 2)
  const m = await updates.waitFor((u) => u.payload.page_views === before.page_views + 2, 3000)
  assert.equal(m.payload.events_total, before.events_total + 2)
})

test('counts waiting for a flush are written when Herald stops', async () => {
  // Its own server with the default one-minute flush, so only the flush on close can write the rollups.
  let server = await h.startServer({ HERALD_CDC_ENABLED: 'true', HERALD_PLUGINS_DIR: folder.dir })
  try {
    const events = Array.from({ length: 120 }, (_, i) => event(i))
    const r = await rest({ server }, 'POST', '/plugins/analytics/events', { tok: server.serviceKey, body: { events } })
    assert.equal(r.status, 200, r.text)
    const from = new Date(Date.now() - 120000).toISOString()
    const to = new Date(Date.now() + 120000).toISOString()
    const q = `/plugins/analytics/rollups?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`
    const early = await rest({ server }, 'GET', q, { tok: server.serviceKey })
    assert.deepEqual([early.json.totals, early.json.pending_flush], [{}, true], 'nothing flushed yet')
    await h.signalServer(server, 'SIGTERM') // a normal stop: plugins are closed
    server = await h.restartServer(server)
    const later = await rest({ server }, 'GET', q, { tok: server.serviceKey })
    const byType = {}
    for (const e of events) byType[e.type] = (byType[e.type] || 0) + 1
    assert.deepEqual(later.json.totals, byType, 'the stop flushed every count')
  } finally {
    await server.stop()
  }
})
