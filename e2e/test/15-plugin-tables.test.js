'use strict'
// Plugin tables and the data they leak: every first-party plugin loaded from its jar into one server with change
// capture on and the default HERALD_CDC_TABLES (public.*). Every table the plugins' migrations created (on a fresh
// database, that is every table in public) is enumerated: a published one must be guarded by a row policy or by
// row-level security (the server refuses to boot otherwise and logs which guard each has); an unpublished one must
// stay out of the publication and be unreadable by anon and authenticated. Then the leak itself, with the real
// realtime-js client: an anon wildcard subscriber receives nothing of a raw analytics event or of a comment.

const test = require('node:test')
const assert = require('node:assert/strict')
const { Client: PgClient } = require('pg')
const h = require('../lib/harness')
const { pluginsFolder } = require('../lib/plugin-jars')
const { rest } = require('../lib/plugin-rest')

// Every first-party plugin, and the example plugin `notes` (plugins/testplugin).
const PLUGIN_IDS = ['analytics', 'bookmarks', 'campaigns', 'challenges', 'comments', 'events', 'notes', 'voice']

const folder = pluginsFolder(PLUGIN_IDS)
test.after(() => folder.remove())

let db = null
function sql(text, params) {
  return h.withTimeout(db.query(text, params), 10000, `SQL: ${text.slice(0, 80)}`)
}

const ctx = h.useServer(test, { HERALD_CDC_ENABLED: 'true', HERALD_PLUGINS_DIR: folder.dir }, {
  setup: async (server) => {
    db = new PgClient({ connectionString: server.dbUrl, connectionTimeoutMillis: 5000 })
    db.on('error', () => {})
    await h.withTimeout(db.connect(), 8000, 'pg connect')
  },
  teardown: async () => { if (db) await db.end().catch(() => {}) },
})

test('every first-party plugin table: published and guarded, or unpublished and unreadable by anon', async () => {
  const histories = (await sql(`SELECT tablename FROM pg_tables WHERE schemaname = 'herald' AND tablename LIKE 'plugin\\_%\\_history'`)).rows
  assert.equal(histories.length, PLUGIN_IDS.length, `one migration history per plugin: ${histories.map((r) => r.tablename)}`)
  const tables = (await sql(`SELECT c.relname AS name, c.relrowsecurity AS rls FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1`)).rows
  assert.ok(tables.length >= 12, `the plugins' tables: ${tables.map((t) => t.name)}`)
  const published = new Set((await sql(`SELECT tablename FROM pg_publication_tables WHERE schemaname = 'public'`)).rows.map((r) => r.tablename))
  const logs = ctx.server.logs()
  const seen = { guarded: [], internal: [] }
  for (const t of tables) {
    if (published.has(t.name)) {
      const byPolicy = logs.includes(`plugin table public.${t.name} is published, guarded by a row policy`)
      const byRls = logs.includes(`plugin table public.${t.name} is published, guarded by row-level security`)
      assert.ok(byPolicy || (byRls && t.rls), `published plugin table public.${t.name} has neither a row policy nor row-level security`)
      seen.guarded.push(t.name)
      continue
    }
    for (const role of ['anon', 'authenticated']) {
      const { rows } = await sql(`SELECT has_table_privilege($1, $2, 'SELECT') AS may`, [role, `public.${t.name}`])
      assert.equal(rows[0].may, false, `${role} may SELECT the unpublished plugin table public.${t.name}`)
    }
    seen.internal.push(t.name)
  }
  assert.ok(seen.internal.includes('analytics_events') && seen.internal.includes('analytics_rollups'),
    `analytics tables are internal: ${JSON.stringify(seen)}`)
})

test('an anon wildcard subscriber receives nothing of raw analytics events or of comments', async () => {
  const anon = h.createClient(ctx)
  const ch = anon.channel('wild')
  const all = h.collector(ch, 'postgres_changes', { event: '*', schema: '*' })
  const system = h.collector(ch, 'system', {})
  await h.subscribe(ch)
  await system.waitFor((p) => p && p.extension === 'postgres_changes' && p.status === 'ok', 10000, 'wildcard subscribed')

  const explicit = anon.channel('explicit')
  const exSystem = h.collector(explicit, 'system', {})
  h.collector(explicit, 'postgres_changes', { event: '*', schema: 'public', table: 'analytics_events' })
  await h.subscribe(explicit).catch(() => {})
  const refused = await exSystem.waitFor((p) => p && p.extension === 'postgres_changes', 10000, 'explicit binding answer')
  assert.equal(refused.status, 'error', 'a binding on the internal analytics table is refused')
  assert.doesNotMatch(refused.message, /ERROR:|SQL|syntax/, 'no SQL text in the refusal')

  const service = ctx.server.serviceKey
  const user = await h.mintToken(ctx.server.secret, { role: 'authenticated', sub: 'writer' })
  const posted = await rest(ctx, 'POST', '/plugins/analytics/events',
    { tok: service, body: { events: [{ type: 'page_view', user_id: 'victim', properties: { path: '/reset?token=s3cr3t' } }] } })
  assert.ok(posted.status < 300, `analytics POST: ${posted.status} ${posted.text}`)
  const comment = await rest(ctx, 'POST', '/plugins/comments/items/challenge/1/comments', { tok: user, body: { body: 'signed-in only' } })
  assert.equal(comment.status, 201, `comment POST: ${comment.text}`)
  await h.waitFor(async () => (await sql('SELECT count(*)::int AS n FROM analytics_events')).rows[0].n > 0, 10000, 'the raw event is stored')

  // A marker on a plain table proves the feed reached this subscriber after both writes.
  await sql('CREATE TABLE IF NOT EXISTS public.marker (id int PRIMARY KEY)')
  await h.sleep(2500) // the housekeeping round publishes the new table
  await sql('INSERT INTO public.marker VALUES (1)')
  await all.waitFor((x) => x.table === 'marker', 15000, 'the marker')
  const leaked = all.items.filter((x) => x.table !== 'marker')
  assert.deepEqual(leaked.map((x) => x.table), [], 'plugin rows reached an anon wildcard subscriber')
  assert.ok(!JSON.stringify(all.items).includes('s3cr3t'))
})
