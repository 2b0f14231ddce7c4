'use strict'
// The plugin SPI end to end (issue 7): the example plugin `notes` (plugins/testplugin), packaged as its own jar and
// dropped into a plugins folder with no change to Herald, is discovered, migrated, and its channel, row policy,
// REST API, WebSocket endpoint and table hook work with the real realtime-js client. Then the boot failures an
// operator can cause: a configured plugin that is missing, an unknown key.

const test = require('node:test')
const assert = require('node:assert/strict')
const WebSocket = require('ws')
const { Client: PgClient } = require('pg')
const h = require('../lib/harness')
const { pluginsFolder } = require('../lib/plugin-jars')

// A plugins folder holding only the example plugin's jar, as an operator would prepare it.
const { dir: folder, remove: removeFolder } = pluginsFolder('notes')
test.after(() => removeFolder())

let db = null
const ctx = h.useServer(test, { HERALD_CDC_ENABLED: 'true', HERALD_PLUGINS_DIR: folder }, {
  setup: async (server) => {
    db = new PgClient({ connectionString: server.dbUrl, connectionTimeoutMillis: 5000 })
    db.on('error', () => {})
    await h.withTimeout(db.connect(), 8000, 'pg connect')
  },
  teardown: async () => { if (db) await db.end().catch(() => {}) },
})

const token = (sub) => h.mintToken(ctx.server.secret, { sub, role: 'authenticated' })

async function rest(method, p, { tok, body } = {}) {
  const headers = {}
  if (tok) headers.authorization = `Bearer ${tok}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await h.fetchT(`${ctx.server.httpUrl}${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  let json = null
  try { json = JSON.parse(text) } catch {}
  return { status: res.status, json, text }
}

test('the plugin is discovered from its own jar and its migration is applied with its own history', async () => {
  assert.match(ctx.server.logs(), /plugin notes \S+ found: Example plugin/)
  assert.match(ctx.server.logs(), /plugin notes started: 1 channel\(s\), 2 polic\(ies\), 1 hook\(s\), REST \/plugins\/notes, WebSocket \[\/plugins\/notes\/echo\]/)
  const t = await db.query("SELECT to_regclass('public.notes') IS NOT NULL AS ok")
  assert.equal(t.rows[0].ok, true)
  const hist = await db.query('SELECT version, success FROM herald.plugin_notes_history WHERE version IS NOT NULL AND version <> \'0\' ORDER BY installed_rank')
  assert.deepEqual(hist.rows, [{ version: '1', success: true }])
  const pub = await db.query("SELECT count(*)::int AS n FROM pg_publication_tables WHERE tablename = 'notes'")
  assert.equal(pub.rows[0].n, 1, 'the plugin table is published without configuring HERALD_CDC_TABLES')
})

test('REST: answers with a JWT, refuses without, validates input, 404 for an unknown plugin', async () => {
  const a = await token('user-a')
  assert.deepEqual((await rest('GET', '/plugins/notes/whoami', { tok: a })).json, { role: 'authenticated', sub: 'user-a' })
  const anon = await rest('GET', '/plugins/notes/whoami')
  assert.equal(anon.status, 401)
  assert.equal(anon.json.error, 'Unauthorized')
  const bad = await rest('POST', '/plugins/notes/notes', { tok: a, body: { topic: 'x' } })
  assert.equal(bad.status, 400)
  assert.deepEqual(bad.json, { error: 'InvalidInput', message: 'topic and body are required' })
  const none = await rest('GET', '/plugins/nope/anything', { tok: a })
  assert.equal(none.status, 404)
  assert.equal(none.json.error, 'NotFound')
  for (const body of ['{not json', '[1,2]']) {
    const res = await h.fetchT(`${ctx.server.httpUrl}/plugins/notes/notes`, {
      method: 'POST', headers: { authorization: `Bearer ${a}`, 'content-type': 'application/json' }, body })
    assert.equal(res.status, 400, body)
    const j = await res.json()
    assert.equal(j.error, 'InvalidInput')
    assert.match(j.message, /^Request body is not valid JSON for this endpoint/)
  }
  const unknownPath = await rest('GET', '/plugins/notes/nothing-here', { tok: a })
  assert.equal(unknownPath.status, 404)
  assert.equal(unknownPath.json.error, 'NotFound')
  const wrongMethod = await rest('DELETE', '/plugins/notes/whoami', { tok: a })
  assert.equal(wrongMethod.status, 405)
  assert.equal(wrongMethod.json.error, 'MethodNotAllowed')
  const cnt = await db.query("SELECT count(*)::int AS n FROM notes WHERE topic = 'x'")
  assert.equal(cnt.rows[0].n, 0, 'a refused request changes nothing')
})

test('channel notes:{topic}: default filter, row policy (two users, zero leaks), hook broadcast, switches', async () => {
  const [a, b] = [await token('user-a'), await token('user-b')]
  const topic = `t${Date.now()}`
  const joined = {}
  for (const [who, tok] of [['a', a], ['b', b]]) {
    const client = h.createClient(ctx, { apikey: tok })
    const ch = client.channel(`notes:${topic}`, { config: { broadcast: { ack: true } } })
    const changes = h.collector(ch, 'postgres_changes', { event: '*', schema: 'public', table: 'notes' })
    const counts = h.collector(ch, 'broadcast', { event: 'note_count' })
    const system = h.collector(ch, 'system', {})
    const chat = h.collector(ch, 'broadcast', { event: 'chat' })
    const joins = h.collector(ch, 'presence', { event: 'join' })
    await h.subscribe(ch)
    await system.waitFor((p) => p.extension === 'postgres_changes' && p.status === 'ok', 10000)
    joined[who] = { client, ch, changes, counts, chat, joins }
  }
  // Notes of both users in this topic, and one of user a in another topic (outside the default filter).
  const posted = []
  for (const [tok, t, body] of [[a, topic, 'a1'], [b, topic, 'b1'], [a, `${topic}x`, 'a-other'], [a, topic, 'a2'], [b, topic, 'b2']]) {
    const r = await rest('POST', '/plugins/notes/notes', { tok, body: { topic: t, body } })
    assert.equal(r.status, 201, r.text)
    posted.push(r.json)
  }
  await joined.a.changes.waitFor((p) => p.new.body === 'a2', 10000)
  await joined.b.changes.waitFor((p) => p.new.body === 'b2', 10000)
  await h.sleep(800) // leaks would arrive within this
  assert.deepEqual(joined.a.changes.items.map((p) => p.new.body), ['a1', 'a2'], 'user a sees only own notes of this topic')
  assert.deepEqual(joined.b.changes.items.map((p) => p.new.body), ['b1', 'b2'], 'user b sees only own notes of this topic')
  // The hook counted the topic's notes and broadcast the count to everyone on the channel.
  for (const who of ['a', 'b']) {
    const last = await joined[who].counts.waitFor((p) => p.payload.count === 4, 10000, 'note_count 4')
    assert.deepEqual(last.payload, { topic, count: 4 })
  }
  assert.deepEqual((await rest('GET', `/plugins/notes/counts/${topic}`, { tok: a })).json, { topic, count: 4 })
  // Client broadcasts are switched off on this channel: an error reply, nobody receives it.
  const other = joined.b.chat
  const sent = await joined.a.ch.send({ type: 'broadcast', event: 'chat', payload: { x: 1 } })
  assert.equal(sent, 'error')
  await h.sleep(300)
  assert.equal(other.items.length, 0)
  // Presence is allowed.
  const pres = joined.b.joins
  assert.equal(await joined.a.ch.track({ section: 'intro' }), 'ok')
  await pres.waitFor((p) => p.newPresences.some((m) => m.section === 'intro'), 5000)
  // The plugin reads presence through the engine facade.
  assert.deepEqual((await rest('GET', `/plugins/notes/viewers/${topic}`, { tok: b })).json, { topic, viewers: 1, sections: ['intro'] })
})

test('a binding on a table the channel does not carry is refused in the join reply', async () => {
  const client = h.createClient(ctx, { apikey: await token('user-a') })
  const ch = client.channel('notes:any')
  ch.on('postgres_changes', { event: '*', schema: 'public', table: 'other_table' }, () => {})
  await assert.rejects(h.subscribe(ch), /ChannelTableNotAllowed: Channel notes:any does not carry changes of public.other_table/)
})

test('the WebSocket endpoint answers with the caller identity; without a JWT the upgrade is refused', async () => {
  const a = await token('user-a')
  const url = `ws://127.0.0.1:${ctx.server.port}/plugins/notes/echo`
  for (const [u, protocols] of [[`${url}?access_token=${a}`, undefined], [url, ['notes.v1', `herald-jwt.${a}`]]]) {
    const ws = new WebSocket(u, protocols)
    ctx.track(() => ws.terminate())
    const got = []
    ws.on('message', (m) => got.push(JSON.parse(m.toString())))
    await h.withTimeout(new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject) }), 5000, 'plugin socket open')
    if (protocols) assert.equal(ws.protocol, 'notes.v1')
    ws.send('ping me')
    await h.waitFor(() => got.length >= 2, 5000, 'greeting and echo')
    assert.deepEqual(got, [{ greeting: 'hello user-a' }, { from: 'user-a', echo: 'ping me' }])
  }
  const refused = await h.tryUpgrade(url)
  assert.equal(refused.status, 401)
  assert.deepEqual(JSON.parse(refused.body), { error: 'API key is missing' })
  const wrong = await h.tryUpgrade(`${url}?access_token=${await h.tokens.wrongSecret()}`)
  assert.equal(wrong.status, 401)
})

test('boot fails readably for a configured plugin that is missing and for an unknown key', async () => {
  await assert.rejects(h.startServer({ HERALD_PLUGINS_DIR: folder, HERALD_PLUGINS_VOICE_ENABLED: 'true' }),
    /herald: Plugin 'voice' is enabled by HERALD_PLUGINS_VOICE_ENABLED but is not installed\. Installed plugins: notes/)
  await assert.rejects(h.startServer({ HERALD_PLUGINS_DIR: folder, HERALD_PLUGINS_NOTES_COLOUR: 'red' }),
    /herald: Unknown configuration key HERALD_PLUGINS_NOTES_COLOUR for plugin notes\. Known keys: max-body-length, greeting, enabled/)
  await assert.rejects(h.startServer({ HERALD_PLUGINS_DIR: folder, HERALD_PLUGINS_NOTES_MAX_BODY_LENGTH: 'lots' }),
    /Invalid value for HERALD_PLUGINS_NOTES_MAX_BODY_LENGTH: 'lots' is not a whole number/)
})
