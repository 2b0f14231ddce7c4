'use strict'
// supabase-js in a real browser: a test page (browser/page/) served by this test from its own origin loads the UMD
// build of @supabase/supabase-js from the suite's node_modules and talks to Herald on another origin. Two tabs
// exchange broadcasts over the socket and over REST (CORS preflight), see each other in presence, and both receive
// a row inserted through PostgreSQL.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const http = require('node:http')
const path = require('node:path')
const { Client: PgClient } = require('pg')
const h = require('../lib/harness')
const b = require('../lib/browser')

const SUPABASE_UMD = require.resolve('@supabase/supabase-js/dist/umd/supabase.js')
const PAGE = path.join(__dirname, 'page', 'index.html')

let db = null
let pageServer = null
let pageOrigin = null
let browser = null

const ctx = h.useServer(test, { HERALD_CDC_ENABLED: 'true' }, {
  setup: async (server) => {
    db = new PgClient({ connectionString: server.dbUrl, connectionTimeoutMillis: 5000 })
    db.on('error', () => {})
    await h.withTimeout(db.connect(), 8000, 'pg connect')
    await db.query('CREATE TABLE public.page_rows (id serial PRIMARY KEY, note text NOT NULL)')
    // The page's origin: this process, another port than Herald's.
    pageServer = http.createServer((req, res) => {
      const url = new URL(req.url, 'http://x')
      if (url.pathname === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        res.end(fs.readFileSync(PAGE))
      } else if (url.pathname === '/supabase.js') {
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' })
        res.end(fs.readFileSync(SUPABASE_UMD))
      } else {
        res.writeHead(404)
        res.end()
      }
    })
    await new Promise((resolve) => pageServer.listen(0, '127.0.0.1', resolve))
    pageOrigin = `http://127.0.0.1:${pageServer.address().port}`
    browser = await b.launch()
  },
  teardown: async () => {
    if (browser) await browser.close().catch(() => {})
    if (pageServer) await new Promise((resolve) => pageServer.close(resolve))
    if (db) await db.end().catch(() => {})
  },
})

async function openTab(context, name) {
  const page = await context.newPage()
  const errors = []
  page.on('pageerror', (e) => errors.push(e.message))
  const q = new URLSearchParams({ url: ctx.server.httpUrl, key: ctx.server.anonKey, name, topic: 'page-room', table: 'page_rows' })
  await page.goto(`${pageOrigin}/?${q}`)
  await page.waitForFunction(() => window.state && window.state.status === 'SUBSCRIBED', null, { timeout: 15000 })
  return { page, errors }
}

test('two tabs on another origin: broadcast, REST broadcast (CORS), presence and a row inserted in PostgreSQL', async () => {
  assert.notEqual(new URL(pageOrigin).port, String(ctx.server.port), 'the page must come from another origin than Herald')
  // Two tabs of one browser, as a user would open them.
  const context = await browser.newContext()
  try {
    const a = await openTab(context, 'tab-a')
    const bTab = await openTab(context, 'tab-b')

    // presence: each tab sees both keys
    for (const tab of [a, bTab]) {
      await tab.page.waitForFunction(() => window.state.presence.join(',') === 'tab-a,tab-b', null, { timeout: 10000 })
    }

    // broadcast over the socket: a → b (self is off, so a does not hear itself)
    await a.page.evaluate(() => window.sendHello('over the socket'))
    await bTab.page.waitForFunction(() => window.state.broadcasts.some((m) => m.text === 'over the socket'), null, { timeout: 5000 })

    // broadcast over REST from the page's origin: needs Herald's CORS answer to the preflight
    const rest = await bTab.page.evaluate(() => window.httpHello('over REST'))
    assert.deepEqual(rest, { success: true })
    await a.page.waitForFunction(() => window.state.broadcasts.some((m) => m.text === 'over REST' && m.via === 'rest'), null, { timeout: 5000 })

    // a row inserted with SQL reaches both tabs
    await db.query(`INSERT INTO public.page_rows (note) VALUES ('from psql')`)
    for (const tab of [a, bTab]) {
      await tab.page.waitForFunction(() => window.state.rows.some((r) => r.note === 'from psql'), null, { timeout: 10000 })
    }

    // a tab closing leaves presence in the other
    await a.page.close()
    await bTab.page.waitForFunction(() => window.state.presence.join(',') === 'tab-b', null, { timeout: 10000 })
    await b.screenshot(bTab.page, 'supabase-js-page')
    assert.deepEqual([...a.errors, ...bTab.errors], [])
  } finally {
    await context.close()
  }
})

test('after its socket drops, the page reconnects, rejoins and receives again', async () => {
  const context = await browser.newContext()
  try {
    const r = await openTab(context, 'tab-r')
    const s = await openTab(context, 'tab-s')
    await r.page.waitForFunction(() => window.state.presence.join(',') === 'tab-r,tab-s', null, { timeout: 10000 })
    // a transport drop, not a leave: supabase-js must reconnect on its own and join the channel again
    await r.page.evaluate(() => window.sockets.at(-1).close(4000, 'test drop'))
    await r.page.waitForFunction(() => window.sockets.length >= 2 && window.state.statuses.filter((x) => x === 'SUBSCRIBED').length >= 2,
      null, { timeout: 20000 })
    await s.page.evaluate(() => window.sendHello('after the reconnect'))
    await r.page.waitForFunction(() => window.state.broadcasts.some((m) => m.text === 'after the reconnect'), null, { timeout: 5000 })
    await s.page.waitForFunction(() => window.state.presence.join(',') === 'tab-r,tab-s', null, { timeout: 10000 })
  } finally {
    await context.close()
  }
})
