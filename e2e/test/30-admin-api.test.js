'use strict'
// The admin API (/admin/api): credential checks on every endpoint, channels with activity and health, connections
// and an admin disconnect the client hears about, change capture with replica identities, limits changed at
// runtime (validated, enforced, audited, persisted across a restart), plugins, the generated password of a
// loopback start, and /metrics counters moving under load.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Client: PgClient } = require('pg')
const h = require('../lib/harness')
const { pluginJar } = require('../lib/plugin-jars')

const PASSWORD = 'correct-horse-battery-staple'
const BASIC = 'Basic ' + Buffer.from(`admin:${PASSWORD}`).toString('base64')
const PLUGIN_JAR = pluginJar('notes')

let db = null
let pluginDir = null

async function setup(server) {
  db = new PgClient({ connectionString: server.dbUrl, connectionTimeoutMillis: 5000 })
  db.on('error', () => {})
  await h.withTimeout(db.connect(), 8000, 'pg connect')
  await db.query(`
    CREATE TABLE public.admin_items (id int PRIMARY KEY, owner text, v text);
    CREATE TABLE public.admin_full (id int PRIMARY KEY, v text);
    ALTER TABLE public.admin_full REPLICA IDENTITY FULL;
  `)
}

const ctx = h.useServer(test, async () => {
  pluginDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-admin-plugins-'))
  fs.copyFileSync(PLUGIN_JAR, path.join(pluginDir, path.basename(PLUGIN_JAR)))
  // Two plugins that report their state: voice without an API key, analytics with internal tables only.
  for (const id of ['voice', 'analytics']) fs.copyFileSync(pluginJar(id), path.join(pluginDir, path.basename(pluginJar(id))))
  // Throttling of failed credentials is off here (this file sends dozens on purpose); 31-admin-throttle tests it.
  return { HERALD_CDC_ENABLED: 'true', HERALD_ADMIN_PASSWORD: PASSWORD, HERALD_PLUGINS_DIR: pluginDir, HERALD_ADMIN_LOGIN_THROTTLE_STEP_MS: '0' }
}, {
  setup,
  teardown: async () => {
    if (db) await db.end().catch(() => {})
    if (pluginDir) fs.rmSync(pluginDir, { recursive: true, force: true })
  },
})

async function admin(method, p, { auth = BASIC, body, server = ctx.server } = {}) {
  const headers = {}
  if (auth) headers.authorization = auth
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await h.fetchT(`${server.httpUrl}/admin/api/${p}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  let json = null
  try { json = text ? JSON.parse(text) : null } catch {}
  return { status: res.status, json, text }
}

const ENDPOINTS = [
  ['GET', 'overview'], ['GET', 'channels'], ['GET', 'channels/public/x'], ['GET', 'connections'],
  ['DELETE', 'connections/x'], ['POST', 'connections/x/disconnect'], ['GET', 'cdc'], ['GET', 'limits'],
  ['PUT', 'limits'], ['GET', 'limits/audit'], ['GET', 'plugins'], ['POST', 'logout'],
]

test('every admin endpoint refuses a missing or wrong credential with 401 JSON', async () => {
  const wrong = [null, 'Basic ' + Buffer.from('admin:nope').toString('base64'),
    'Basic ' + Buffer.from(`root:${PASSWORD}`).toString('base64'), 'Bearer not-a-session', 'Basic !!!', ctx.server.serviceKey && `Bearer ${ctx.server.serviceKey}`]
  for (const [method, p] of ENDPOINTS) {
    for (const auth of wrong) {
      const r = await admin(method, p, { auth, body: method === 'PUT' ? { 'herald.limits.max-events-per-second': 1 } : undefined })
      assert.equal(r.status, 401, `${method} ${p} with ${auth}: ${r.text}`)
      assert.equal(r.json.error, 'unauthorized')
      assert.match(r.json.message, /admin credential/)
    }
  }
  // an app JWT (service_role) is not an admin credential, and the limits did not change
  const l = await admin('GET', 'limits')
  assert.equal(l.json.limits['herald.limits.max-events-per-second'], 0)
})

test('login hands out a session token that works until logout', async () => {
  assert.equal((await admin('POST', 'login', { auth: null, body: { password: 'wrong' } })).status, 401)
  assert.equal((await admin('POST', 'login', { auth: null, body: 'not json' })).status, 400)
  assert.equal((await admin('POST', 'login', { auth: null, body: { username: 'root', password: PASSWORD } })).status, 401)
  const r = await admin('POST', 'login', { auth: null, body: { username: 'admin', password: PASSWORD } })
  assert.equal(r.status, 200, r.text)
  assert.ok(r.json.token.length >= 40)
  const bearer = `Bearer ${r.json.token}`
  assert.equal((await admin('GET', 'overview', { auth: bearer })).status, 200)
  assert.equal((await admin('POST', 'logout', { auth: bearer })).status, 204)
  assert.equal((await admin('GET', 'overview', { auth: bearer })).status, 401)
})

test('channels list activity, presence, latency and health; the detail shows subscriptions and filters', async () => {
  const token = await h.mintToken(ctx.server.secret, { role: 'authenticated', sub: 'user-chan' })
  const client = h.createClient(ctx, { apikey: token })
  const ch = client.channel('admin-room', { config: { presence: { key: 'alice' } } })
  ch.on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'admin_items', filter: 'owner=eq.alice' }, () => {})
  ch.on('broadcast', { event: 'ping' }, () => {})
  await h.subscribe(ch)
  await ch.track({ mood: 'fine' })
  for (let i = 0; i < 5; i++) {
    assert.equal((await h.restBroadcast(ctx.server, [{ topic: 'admin-room', event: 'ping', payload: { i } }])).status, 202)
  }
  const c = await h.waitFor(async () => {
    const r = await admin('GET', 'channels')
    const row = r.json.channels.find((x) => x.topic === 'admin-room' && !x.private)
    return row && row.messages_in_total >= 5 && row.messages_out_total >= 5 && row.presence_members === 1 && row
  }, 8000, 'admin-room with 5 messages and one presence member')
  assert.equal(c.subscribers, 1)
  assert.equal(c.health, 'ok')
  assert.deepEqual(c.health_reasons, [])
  assert.ok(c.messages_in_per_second > 0)
  assert.ok(c.latency_p50_ms > 0 && c.latency_p99_ms >= c.latency_p50_ms, JSON.stringify(c))
  assert.equal(c.postgres_changes, 1)
  assert.match(c.last_activity, /^\d{4}-\d\d-\d\dT/)

  const d = await admin('GET', 'channels/public/admin-room')
  assert.equal(d.status, 200, d.text)
  assert.equal(d.json.subscriptions.length, 1)
  const sub = d.json.subscriptions[0]
  assert.equal(sub.user, 'user-chan')
  assert.equal(sub.presence_key, 'alice')
  assert.equal(sub.protocol, '2.0.0')
  assert.equal(sub.postgres_changes[0].table, 'admin_items')
  assert.equal(sub.postgres_changes[0].filter, 'owner=eq.alice')
  assert.equal((await admin('GET', 'channels/public/no-such-room')).status, 404)
  const bad = await admin('GET', 'channels/sideways/admin-room')
  assert.equal(bad.status, 400)
  assert.equal(bad.json.error, 'invalid_side')
})

test('a dropped message marks the channel degraded, with the reason counted on the topic', async () => {
  const client = h.createClient(ctx)
  const ch = client.channel('admin-drops', { config: { broadcast: { ack: true } } })
  await h.subscribe(ch)
  const big = 'x'.repeat(3_000 * 1000 + 1000)
  await ch.send({ type: 'broadcast', event: 'big', payload: { big } }).catch(() => {})
  const row = await h.waitFor(async () => {
    const r = await admin('GET', 'channels')
    const x = r.json.channels.find((c) => c.topic === 'admin-drops')
    return x && x.drops.payload_size_exceeded === 1 && x
  }, 8000, 'payload_size_exceeded on admin-drops')
  assert.equal(row.health, 'degraded')
  assert.equal(row.drops_last_minute, 1)
  assert.match(row.health_reasons[0], /1 drop/)
})

test('connections list users and channels; an admin disconnect reaches the client with its reason', async () => {
  const token = await h.mintToken(ctx.server.secret, { role: 'authenticated', sub: 'user-kick' })
  const client = h.createClient(ctx, { apikey: token })
  const ch = client.channel('admin-kick')
  const system = []
  ch.on('system', {}, (m) => system.push(m))
  await h.subscribe(ch)
  const list = await h.waitFor(async () => {
    const r = await admin('GET', 'connections?user=user-kick')
    return r.json.connections.length === 1 && r.json.connections
  }, 5000, 'the connection of user-kick')
  const conn = list[0]
  assert.equal(conn.protocol, '2.0.0')
  assert.deepEqual(conn.channels, ['admin-kick'])
  assert.equal(conn.role, 'authenticated')
  assert.equal(conn.queue_limit, 4096)

  assert.equal((await admin('DELETE', 'connections/no-such-id?reason=x')).status, 404)
  assert.equal((await admin('POST', `connections/${conn.id}/disconnect`, { body: { reason: 'x'.repeat(201) } })).status, 400)
  const r = await admin('DELETE', `connections/${encodeURIComponent(conn.id)}?reason=${encodeURIComponent('maintenance window')}`)
  assert.equal(r.status, 200, r.text)
  await h.waitFor(() => system.length > 0 && ch.state === 'closed', 5000, 'system message and channel close')
  assert.equal(system[0].status, 'error')
  assert.equal(system[0].message, 'Disconnected by an administrator: maintenance window')
  await h.waitFor(async () => {
    const after = await admin('GET', 'connections?user=user-kick')
    return after.json.connections.every((c) => c.id !== conn.id)
  }, 5000, 'the connection to be gone')
  // the channel was closed by the server, so the client does not join it again
  await h.sleep(1500)
  const again = await admin('GET', 'connections?user=user-kick')
  assert.ok(again.json.connections.every((c) => c.channels.length === 0), JSON.stringify(again.json))
})

test('change capture: state, slot, LSN, events and replica identities with a warning where deletes cannot filter', async () => {
  await db.query(`INSERT INTO public.admin_items VALUES (1, 'bob', 'a'), (2, 'bob', 'b')`)
  const c = await h.waitFor(async () => {
    const r = await admin('GET', 'cdc')
    return r.json.last_lsn && r.json
  }, 10000, 'a last LSN')
  assert.equal(c.state, 'running')
  assert.equal(c.slot, 'herald')
  assert.equal(c.publication, 'herald')
  assert.match(c.last_lsn, /^[0-9A-F]+\/[0-9A-F]+$/)
  assert.equal(typeof c.slot_lag_bytes, 'number')
  assert.ok(c.events_per_second > 0, JSON.stringify(c))
  assert.equal(c.errors.last_error, null)
  const items = c.tables.find((t) => t.table === 'public.admin_items')
  const full = c.tables.find((t) => t.table === 'public.admin_full')
  assert.equal(items.replica_identity, 'default')
  assert.match(items.warning, /DELETE/)
  assert.equal(full.replica_identity, 'full')
  assert.equal(full.warning, undefined)
})

test('limits: bad values are refused naming the field; a change applies at once, is audited and enforced', async () => {
  const before = await admin('GET', 'limits')
  const keys = Object.keys(before.json.limits)
  assert.equal(keys.length, 11)
  assert.equal(before.json.persistent, true)
  const bad = [
    [{ 'herald.limits.max-events-per-second': -1 }, 'herald.limits.max-events-per-second'],
    [{ 'herald.limits.max-events-per-second': 1.5 }, 'herald.limits.max-events-per-second'],
    [{ 'herald.limits.max-joins-per-second': 'many' }, 'herald.limits.max-joins-per-second'],
    [{ 'herald.limits.rate-window-ms': 500 }, 'herald.limits.rate-window-ms'],
    [{ 'herald.outbound.queue-max-messages': 3 }, 'herald.outbound.queue-max-messages'],
    [{ 'herald.limits.max-payload-kb': 0 }, 'herald.limits.max-payload-kb'],
    [{ 'herald.limits.no-such-limit': 1 }, 'herald.limits.no-such-limit'],
    [{ 'herald.limits.max-channels-per-client': 10, 'herald.limits.max-concurrent-users': 99999999999 }, 'herald.limits.max-concurrent-users'],
  ]
  for (const [body, field] of bad) {
    const r = await admin('PUT', 'limits', { body })
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`)
    assert.equal(r.json.error, 'invalid_limit')
    assert.equal(r.json.field, field)
    assert.ok(r.json.message.includes(field), r.json.message)
  }
  for (const body of ['[1]', 'nope', '{}']) {
    const r = await admin('PUT', 'limits', { body })
    assert.equal(r.status, 400, body)
  }
  // nothing changed by the refusals (all or nothing)
  assert.deepEqual((await admin('GET', 'limits')).json.limits, before.json.limits)

  const ok = await admin('PUT', 'limits', { body: { 'herald.limits.max-events-per-second': 3, 'herald.limits.rate-window-ms': 2000 } })
  assert.equal(ok.status, 200, ok.text)
  assert.equal(ok.json.limits['herald.limits.max-events-per-second'], 3)
  const audit = await admin('GET', 'limits/audit')
  const entries = audit.json.audit.filter((a) => a.setting === 'herald.limits.max-events-per-second')
  assert.equal(entries[0].old, '0')
  assert.equal(entries[0].new, '3')
  assert.equal(entries[0].actor, 'admin (basic)')
  assert.match(entries[0].at, /^\d{4}-/)

  // enforced on the next messages: the REST API refuses once the rolling rate reaches 3/s
  let refused = 0
  for (let i = 0; i < 20 && refused === 0; i++) {
    const { status } = await h.restBroadcast(ctx.server, [{ topic: 'admin-limit', event: 'e', payload: { i } }])
    if (status === 429) refused++
  }
  assert.equal(refused, 1, 'the events/s limit was not enforced')
  const reset = await admin('PUT', 'limits', { body: { 'herald.limits.max-events-per-second': 0, 'herald.limits.rate-window-ms': before.json.limits['herald.limits.rate-window-ms'] } })
  assert.equal(reset.status, 200)
})

test('plugins are listed with version, tables, channels and state', async () => {
  const r = await admin('GET', 'plugins')
  assert.equal(r.status, 200)
  const notes = r.json.plugins.find((p) => p.id === 'notes')
  assert.ok(notes, r.text)
  assert.equal(notes.enabled, true)
  assert.match(notes.version, /^0\.1\.0/)
  assert.deepEqual(notes.tables, ['public.notes'])
  assert.deepEqual(notes.channels, ['notes:{topic}'])
  assert.equal(notes.state.health, 'ok')
  assert.ok(Object.keys(notes.state.figures).length > 0, JSON.stringify(notes.state))
})

test('each plugin reports its own state: voice without an API key is not configured, analytics shows its internal tables', async () => {
  const r = await admin('GET', 'plugins')
  assert.equal(r.status, 200)
  const voice = r.json.plugins.find((p) => p.id === 'voice')
  assert.ok(voice, r.text)
  assert.equal(voice.state.health, 'not_configured', JSON.stringify(voice.state))
  assert.match(voice.state.summary, /HERALD_PLUGINS_VOICE_API_KEY/)
  assert.equal(voice.settings['api-key'], null, 'no key is configured, and none is shown')
  const analytics = r.json.plugins.find((p) => p.id === 'analytics')
  assert.ok(analytics, r.text)
  assert.deepEqual(analytics.tables, [])
  assert.deepEqual([...analytics.internal_tables].sort(), ['public.analytics_events', 'public.analytics_rollups'])
  assert.equal(analytics.state.health, 'ok', JSON.stringify(analytics.state))
  assert.equal(typeof analytics.state.figures.events_total, 'number')
})

test('overview sums the engine', async () => {
  const r = await admin('GET', 'overview')
  assert.equal(r.status, 200)
  for (const k of ['connections', 'users', 'channels_joined', 'topics', 'messages_in_per_second', 'messages_out_per_second', 'drops_total', 'cdc']) {
    assert.ok(k in r.json, k)
  }
  assert.equal(r.json.cdc, 'running')
})

test('/metrics scraped during a load shows the counters moving', async () => {
  const before = await h.fetchMetrics(ctx.server)
  const client = h.createClient(ctx)
  const ch = client.channel('admin-load', { config: { broadcast: { self: true } } })
  let got = 0
  ch.on('broadcast', { event: 'load' }, () => got++)
  await h.subscribe(ch)
  for (let i = 0; i < 50; i++) await ch.send({ type: 'broadcast', event: 'load', payload: { i } })
  await h.waitFor(() => got === 50, 8000, '50 broadcasts back')
  const after = await h.fetchMetrics(ctx.server)
  const delta = (name, labels) => (h.metricValue(after, name, labels) ?? 0) - (h.metricValue(before, name, labels) ?? 0)
  assert.ok(delta('herald_messages_in_total') >= 50)
  assert.ok(delta('herald_messages_out_total') >= 50)
  assert.ok(delta('herald_bytes_in_total') > 50 * 20)
  assert.ok(delta('herald_bytes_out_total') > 50 * 20)
  assert.ok(delta('herald_messages_published_total') >= 50)
  assert.ok(delta('herald_delivery_latency_seconds_count') >= 50)
  assert.ok(delta('herald_channels_joins_total') >= 1)
  assert.ok(h.metricValue(after, 'herald_connections') >= 1)
  assert.ok(h.metricValue(after, 'herald_users') >= 1)
  assert.ok(h.metricValue(after, 'herald_cdc_up') === 1)
  assert.ok(h.metricValue(after, 'jvm_memory_used_bytes') > 0)
  // per-channel detail stays out of Prometheus
  assert.ok(!after.includes('admin-load'), 'a topic name leaked into /metrics labels')
})

test('limit changes survive a restart (stored in the herald schema)', async () => {
  const server = await h.startServer({ HERALD_CDC_ENABLED: 'true', HERALD_ADMIN_PASSWORD: PASSWORD })
  let second = null
  try {
    const r = await admin('PUT', 'limits', { server, body: { 'herald.limits.max-channels-per-client': 42 } })
    assert.equal(r.status, 200, r.text)
    await h.signalServer(server, 'SIGTERM')
    second = await h.restartServer(server)
    const l = await admin('GET', 'limits', { server: second })
    assert.equal(l.json.limits['herald.limits.max-channels-per-client'], 42)
    const audit = await admin('GET', 'limits/audit', { server: second })
    assert.equal(audit.json.persistent, true)
    assert.equal(audit.json.audit[0].setting, 'herald.limits.max-channels-per-client')
    assert.equal(audit.json.audit[0].new, '42')
  } finally {
    if (second) await second.stop()
    else await server.stop()
  }
})

test('a loopback start without a configured password generates one, prints it and keeps it in the data dir', async () => {
  const server = await h.startServer({ HERALD_CDC_ENABLED: 'false', HERALD_DB_EMBEDDED_PORT: '0' }, { bare: true })
  try {
    const m = server.logs().match(/Admin console at \/admin: user admin, password (\S+) \(generated, stored in (\S+);/)
    assert.ok(m, server.logs())
    const stored = fs.readFileSync(path.join(server.dataDir, 'herald-data', 'admin-password'), 'utf8').trim()
    assert.equal(stored, m[1])
    assert.equal((fs.statSync(path.join(server.dataDir, 'herald-data', 'admin-password')).mode & 0o777), 0o600)
    const auth = 'Basic ' + Buffer.from(`admin:${m[1]}`).toString('base64')
    assert.equal((await admin('GET', 'overview', { server, auth })).status, 200)
    assert.equal((await admin('GET', 'overview', { server })).status, 401)
    // the limits still change, without a database only in memory
    const r = await admin('PUT', 'limits', { server, auth, body: { 'herald.limits.max-joins-per-second': 77 } })
    assert.equal(r.json.persistent, false)
    assert.equal((await admin('GET', 'limits/audit', { server, auth })).json.audit[0].new, '77')
  } finally {
    await server.stop()
  }
})

test('the console is served at /admin/', async () => {
  const r = await h.fetchT(`${ctx.server.httpUrl}/admin`, { redirect: 'manual' })
  assert.equal(r.status, 308)
  assert.match(r.headers.get('location'), /\/admin\/$/)
  const page = await h.fetchT(`${ctx.server.httpUrl}/admin/`)
  assert.equal(page.status, 200)
  assert.match(page.headers.get('content-type'), /text\/html/)
  assert.match(await page.text(), /Herald admin/)
  const js = await h.fetchT(`${ctx.server.httpUrl}/admin/app.js`)
  assert.match(js.headers.get('content-type'), /javascript/)
  assert.equal((await h.fetchT(`${ctx.server.httpUrl}/admin/nope.js`)).status, 404)
})
