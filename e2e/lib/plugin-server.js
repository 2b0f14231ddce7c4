'use strict'
// One Herald with first-party plugins, for the plugin suites (20-challenges … 23-bookmarks): start Herald the way an
// operator would (the plugin jars copied into a folder named by HERALD_PLUGINS_DIR, change capture on), call the
// plugin REST APIs with real JWTs, read the embedded PostgreSQL directly, and join plugin channels with realtime-js.
// Defines no tests.

const assert = require('node:assert/strict')
const { Client: PgClient } = require('pg')
const h = require('./harness')
const { pluginsFolder } = require('./plugin-jars')

/**
 * One Herald for a test file with the given plugins loaded from their own jars, change capture on, and a `pg`
 * connection to its embedded database (ctx.sql). Returns the harness ctx plus `sql(text, params)` and `rest(...)`.
 */
function usePluginServer(test, ids, { env = {}, deadlineMs } = {}) {
  const folder = pluginsFolder(ids, { prefix: 'herald-plugin-server-' })
  let db = null
  const ctx = h.useServer(test, { HERALD_CDC_ENABLED: 'true', HERALD_PLUGINS_DIR: folder.dir, ...env }, {
    deadlineMs,
    async setup(server) {
      assert.ok(server.dbUrl, 'no "connect with: psql postgresql://…" line in the server output')
      db = new PgClient({ connectionString: server.dbUrl, connectionTimeoutMillis: 5000 })
      db.on('error', () => {})
      await h.withTimeout(db.connect(), 8000, 'pg connect')
    },
    async teardown() {
      if (db) await h.withTimeout(db.end(), 5000, 'pg end').catch(() => {})
      folder.remove()
    },
  })
  /** Rows of one SQL statement on the embedded database. */
  ctx.sql = async (text, params) => (await h.withTimeout(db.query(text, params), 10000, `SQL: ${text.slice(0, 80)}`)).rows
  /**
   * Calls the plugin REST API: `rest(token, 'POST', '/plugins/events/events', body)` → { status, body, type }.
   * `body` may be an object (sent as JSON) or a string (sent as is).
   */
  ctx.rest = async (token, method, urlPath, body) => {
    const headers = { apikey: ctx.server.anonKey }
    if (token) headers.authorization = `Bearer ${token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    const res = await h.fetchT(ctx.server.httpUrl + urlPath, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })
    const text = await res.text()
    let parsed = null
    try { parsed = text ? JSON.parse(text) : null } catch { parsed = text }
    return { status: res.status, body: parsed, type: res.headers.get('content-type') || '' }
  }
  /** A signed-in user's token (role authenticated, sub = `sub`, plus `extra` claims). */
  ctx.user = (sub, extra = {}) => h.mintToken(ctx.server.secret, { role: 'authenticated', sub, ...extra })
  /** A realtime-js client whose channels join with `token`. */
  ctx.clientFor = async (token, options = {}) => {
    const client = h.createClient(ctx, options)
    await client.setAuth(token)
    return client
  }
  return ctx
}

/** Asserts a plugin REST refusal: the status, a JSON body {error, message} with the code and a message matching `re`. */
function assertError(res, status, code, re) {
  assert.equal(res.status, status, `HTTP status (body ${JSON.stringify(res.body)})`)
  assert.match(res.type, /application\/json/, 'error content type')
  assert.equal(res.body && res.body.error, code, `error code in ${JSON.stringify(res.body)}`)
  assert.equal(typeof res.body.message, 'string')
  if (re) assert.match(res.body.message, re)
}

/** Subscribes and waits for the postgres_changes "Subscribed to PostgreSQL" system message. */
async function subscribeChanges(channel, ms = 10000) {
  const system = h.collector(channel, 'system', {})
  await h.subscribe(channel, ms)
  const s = await system.waitFor((p) => p && p.extension === 'postgres_changes', ms, 'postgres_changes system message')
  assert.equal(s.status, 'ok', `postgres_changes system message on ${channel.topic}: ${JSON.stringify(s)}`)
  return system
}

/** Subscribes expecting a join error; resolves with its message and stops realtime-js' rejoin loop. */
async function subscribeExpectError(channel, ms = 8000) {
  const d = h.deferred()
  channel.subscribe((status, err) => {
    if (status === 'CHANNEL_ERROR') d.resolve(err ? err.message : '(no error object)')
    else if (status === 'SUBSCRIBED') d.reject(new Error(`${channel.topic} was SUBSCRIBED but a join error was expected`))
  })
  try {
    return await h.withTimeout(d.promise, ms, `CHANNEL_ERROR on ${channel.topic}`)
  } finally {
    try { await channel.unsubscribe(1000) } catch {}
  }
}

/** The bounded wait for things that must NOT arrive (leaks), after the positive cases already arrived. */
const LEAK_WAIT_MS = 1500

module.exports = { usePluginServer, assertError, subscribeChanges, subscribeExpectError, LEAK_WAIT_MS }
