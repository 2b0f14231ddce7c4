'use strict'
// Zero-configuration start: the jar runs with no HERALD_* variable but HERALD_HTTP_PORT (and the embedded database
// port only if the default 54322 is taken), in a fresh working directory. It must start change capture on its own
// embedded PostgreSQL (data under ./herald-data), print a psql connection string and an anon key, and deliver a row
// written with the psql command-line client to a realtime-js subscriber using that key.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const net = require('node:net')
const path = require('node:path')
const { execFile } = require('node:child_process')
const h = require('../lib/harness')

const DEFAULT_DB_PORT = 54322
let usedDefaultPort = false

/** true when nothing listens on 127.0.0.1:port (we can bind it ourselves). */
function portFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)))
  })
}

const ctx = h.useServer(test, async () => {
  usedDefaultPort = await portFree(DEFAULT_DB_PORT)
  if (usedDefaultPort) return {}
  console.log(`# port ${DEFAULT_DB_PORT} is taken; giving the embedded database a free port instead`)
  return { HERALD_DB_EMBEDDED_PORT: String(await h.freePort()) }
}, { bare: true })

/** Run SQL with the psql command-line client (bounded). */
function psql(url, sqlText) {
  return new Promise((resolve, reject) => {
    execFile('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sqlText],
      { timeout: 15000, env: { ...process.env, PGCONNECT_TIMEOUT: '5' } },
      (err, stdout, stderr) => {
        if (err && err.code === 'ENOENT') {
          return reject(new Error('psql not found: install postgresql-client (scripts/install-test-deps.sh does)'))
        }
        if (err) return reject(new Error(`psql failed (${err.code ?? err.signal}): ${stderr || err.message}`))
        resolve(stdout)
      })
  })
}

test('no configuration: embedded database under ./herald-data, printed psql URL and anon key', () => {
  const s = ctx.server
  assert.ok(s.anonKey, 'an "anon key: …" line on stdout')
  assert.ok(s.dbUrl, 'a "connect with: psql postgresql://…" line on stdout')
  const m = s.dbUrl.match(/^postgresql:\/\/postgres:postgres@127\.0\.0\.1:(\d+)\/postgres$/)
  assert.ok(m, `connection string ${s.dbUrl}`)
  if (usedDefaultPort) assert.equal(Number(m[1]), DEFAULT_DB_PORT, 'default embedded database port')
  const dataDir = path.join(s.dataDir, 'herald-data')
  assert.ok(fs.existsSync(dataDir), 'default data dir ./herald-data in the working directory')
  assert.ok(fs.existsSync(path.join(dataDir, 'postgres')), 'embedded database under herald-data/postgres')
  assert.match(s.logs(), /Embedded PostgreSQL \(data in [^)]*herald-data[^)]*\)/)
})

test('psql CREATE TABLE + INSERT reaches a realtime-js subscriber using the printed anon key', async () => {
  const url = ctx.server.dbUrl
  await psql(url, 'CREATE TABLE public.notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text NOT NULL, done boolean DEFAULT false)')
  const client = h.createClient(ctx) // apikey = the printed anon key
  const ch = client.channel('notes')
  const system = h.collector(ch, 'system', {})
  const got = h.collector(ch, 'postgres_changes', { event: 'INSERT', schema: 'public', table: 'notes' })
  await h.subscribe(ch, 10000)
  const s = await system.waitFor((p) => p.extension === 'postgres_changes', 10000, 'postgres_changes system message')
  assert.deepEqual(s, { extension: 'postgres_changes', status: 'ok', message: 'Subscribed to PostgreSQL', channel: 'notes' })
  await psql(url, "INSERT INTO public.notes (body) VALUES ('from psql')")
  const p = await got.waitFor(() => true, 8000, 'INSERT from psql')
  assert.equal(p.eventType, 'INSERT')
  assert.equal(p.schema, 'public')
  assert.equal(p.table, 'notes')
  assert.deepEqual(p.new, { id: 1, body: 'from psql', done: false })
  assert.match(p.commit_timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
})

test('GET /health/ready is 200 with cdc "running"; /metrics has herald_cdc_up 1', async () => {
  const res = await h.fetchT(`${ctx.server.httpUrl}/health/ready`, {}, 5000)
  const body = await res.text()
  assert.equal(res.status, 200, body)
  const json = JSON.parse(body)
  assert.equal(json.cdc, 'running', body)
  const metrics = await h.fetchMetrics(ctx.server)
  assert.equal(h.metricValue(metrics, 'herald_cdc_up'), 1, metrics.split('\n').filter((l) => l.includes('cdc')).join('\n'))
})
