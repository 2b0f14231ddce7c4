'use strict'
// postgres_changes end to end (docs/wire-protocol.md: Join reply, After the join, postgres_changes): the real realtime-js 2.119.0 client subscribes,
// the test writes rows through its own `pg` connection to the server's embedded PostgreSQL, and checks what
// the client's callbacks (and, where it matters, the raw frames) receive.
// One server for the whole file (change capture on, embedded database on a free port).

const test = require('node:test')
const assert = require('node:assert/strict')
const { performance } = require('node:perf_hooks')
const WebSocket = require('ws')
const { Client: PgClient } = require('pg')
const h = require('../lib/harness')

let db = null

/** Run one SQL statement on the embedded database (bounded). */
function sql(text, params) {
  return h.withTimeout(db.query(text, params), 10000, `SQL: ${text.slice(0, 80)}`)
}

const COMMIT_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const PG_OK = 'Subscribed to PostgreSQL'

async function setup(server) {
  assert.ok(server.dbUrl, 'no "connect with: psql postgresql://…" line in the server output')
  db = new PgClient({ connectionString: server.dbUrl, connectionTimeoutMillis: 5000 })
  db.on('error', () => {}) // the server stopping ends the connection; nothing to do then
  await h.withTimeout(db.connect(), 8000, 'pg connect')
  await sql(`
    CREATE TABLE public.items (id int PRIMARY KEY, title text, done bool NOT NULL DEFAULT false, n int);
    CREATE TABLE public.waited (id serial PRIMARY KEY, k int NOT NULL);
    CREATE TABLE public.secret (id int PRIMARY KEY, owner text, v text);
    ALTER TABLE public.secret ENABLE ROW LEVEL SECURITY;
    CREATE POLICY secret_own ON public.secret FOR SELECT TO authenticated USING (owner = auth.jwt() ->> 'sub');
    GRANT SELECT ON public.secret TO authenticated;
    CREATE TABLE public.plain (id int PRIMARY KEY, v text);
    CREATE TABLE public.f (id int PRIMARY KEY, n int NOT NULL, t text NOT NULL, b bool NOT NULL, nt text);
    ALTER TABLE public.f REPLICA IDENTITY FULL;
    CREATE TABLE public.dup (id int PRIMARY KEY, v text);
    CREATE TABLE public.race (id serial PRIMARY KEY, k int NOT NULL);
    CREATE SCHEMA private_stuff;
    CREATE TABLE private_stuff.hidden (id int PRIMARY KEY);
  `)
}

async function teardown() {
  if (db) await h.withTimeout(db.end(), 5000, 'pg client end').catch(() => {})
}

const ctx = h.useServer(test, { HERALD_CDC_ENABLED: 'true' }, { setup, teardown })

// ---------------------------------------------------------------------------------------------------------------
// helpers

/** A ws transport that records every frame the server sends (decoded) into `frames`, before realtime-js sees it. */
function recordingTransport(frames) {
  return class RecordingWebSocket extends WebSocket {
    constructor(...args) {
      super(...args)
      this.on('message', (data, isBinary) => {
        const buf = data instanceof ArrayBuffer ? Buffer.from(data) : data
        const m = h.decodeFrame(buf, isBinary)
        m.at = performance.now()
        frames.push(m)
      })
    }
  }
}

/**
 * A channel with postgres_changes `bindings` (one collector each) and a `system` collector.
 * `config` is the channel config (e.g. postgres_changes_options).
 */
function pgChannel(client, name, bindings, config) {
  const ch = client.channel(name, config ? { config } : undefined)
  const system = h.collector(ch, 'system', {})
  const cols = bindings.map((b) => h.collector(ch, 'postgres_changes', b))
  return { ch, system, cols }
}

/** The first postgres_changes system message of the channel (bounded). */
function pgSystem(system, ms = 10000) {
  return system.waitFor((p) => p && p.extension === 'postgres_changes', ms, 'postgres_changes system message')
}

/** SUBSCRIBED, then the postgres_changes system message must be `ok` / "Subscribed to PostgreSQL". */
async function subscribeLive({ ch, system }, ms = 10000) {
  await h.subscribe(ch, ms)
  const s = await pgSystem(system, ms)
  assert.deepEqual(s, { extension: 'postgres_changes', status: 'ok', message: PG_OK, channel: ch.subTopic },
    `system message after joining ${ch.topic}`)
}

function assertChange(p, { table, eventType, newRow, oldRow }) {
  assert.equal(p.schema, 'public', 'schema')
  assert.equal(p.table, table, 'table')
  assert.equal(p.eventType, eventType, 'eventType')
  assert.deepEqual(p.new, newRow, `${eventType} new`)
  assert.deepEqual(p.old, oldRow, `${eventType} old`)
  assert.equal(p.errors, null, 'errors')
  assert.match(p.commit_timestamp, COMMIT_TS, 'commit_timestamp format YYYY-MM-DDTHH:MM:SS.mmmZ')
  const skew = Math.abs(Date.parse(p.commit_timestamp) - Date.now())
  assert.ok(skew < 60000, `commit_timestamp ${p.commit_timestamp} is ${skew} ms away from now`)
}

function percentile(sorted, q) {
  if (!sorted.length) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

// ---------------------------------------------------------------------------------------------------------------
// 1. INSERT / UPDATE / DELETE / * on one table

test('INSERT, UPDATE, DELETE and * bindings on one table (vsn 2.0.0 and vsn 1.0.0 clients): payloads and commit_timestamp', async () => {
  const bindings = ['INSERT', 'UPDATE', 'DELETE', '*'].map((event) => ({ event, schema: 'public', table: 'items' }))
  const subs = [
    pgChannel(h.createClient(ctx), 'crud', bindings),
    pgChannel(h.createClient(ctx, { vsn: '1.0.0' }), 'crud', bindings),
  ]
  await Promise.all(subs.map((s) => subscribeLive(s)))

  await sql(`INSERT INTO public.items (id, title, done, n) VALUES (1, 'first', false, 10)`)
  await sql(`UPDATE public.items SET title = 'second', done = true WHERE id = 1`)
  await sql(`DELETE FROM public.items WHERE id = 1`)

  const inserted = { id: 1, title: 'first', done: false, n: 10 }
  const updated = { id: 1, title: 'second', done: true, n: 10 }
  const expected = {
    INSERT: { table: 'items', eventType: 'INSERT', newRow: inserted, oldRow: {} },
    // REPLICA IDENTITY DEFAULT: the old image holds the primary key only (docs/wire-protocol.md, Old images, TOAST and error rows)
    UPDATE: { table: 'items', eventType: 'UPDATE', newRow: updated, oldRow: { id: 1 } },
    DELETE: { table: 'items', eventType: 'DELETE', newRow: {}, oldRow: { id: 1 } },
  }
  for (const [i, s] of subs.entries()) {
    const label = i === 0 ? 'vsn 2.0.0' : 'vsn 1.0.0'
    const [ins, upd, del, star] = s.cols
    await h.waitFor(() => star.items.length >= 3 && ins.items.length && upd.items.length && del.items.length, 8000,
      `${label}: all changes (star has ${star.items.length})`)
  }
  await h.sleep(300) // nothing more may arrive
  for (const [i, s] of subs.entries()) {
    const label = i === 0 ? 'vsn 2.0.0' : 'vsn 1.0.0'
    const [ins, upd, del, star] = s.cols
    assert.equal(ins.items.length, 1, `${label}: INSERT binding fired ${ins.items.length}×`)
    assert.equal(upd.items.length, 1, `${label}: UPDATE binding fired ${upd.items.length}×`)
    assert.equal(del.items.length, 1, `${label}: DELETE binding fired ${del.items.length}×`)
    assert.deepEqual(star.items.map((p) => p.eventType), ['INSERT', 'UPDATE', 'DELETE'], `${label}: * binding events`)
    assertChange(ins.items[0], expected.INSERT)
    assertChange(upd.items[0], expected.UPDATE)
    assertChange(del.items[0], expected.DELETE)
    for (const p of star.items) assertChange(p, expected[p.eventType])
    const ts = star.items.map((p) => Date.parse(p.commit_timestamp))
    assert.ok(ts[0] <= ts[1] && ts[1] <= ts[2], `commit timestamps in commit order: ${star.items.map((p) => p.commit_timestamp)}`)
    // both clients see the same changes
    assert.deepEqual(star.items, subs[0].cols[3].items, `${label}: same payloads as the vsn 2 client`)
  }
})

// ---------------------------------------------------------------------------------------------------------------
// 2. table created after boot

test('a table created after the server started is delivered', async () => {
  await sql(`CREATE TABLE public.later (id int PRIMARY KEY, v text, at date)`)
  const s = pgChannel(h.createClient(ctx), 'later', [{ event: 'INSERT', schema: 'public', table: 'later' }])
  await subscribeLive(s)
  await sql(`INSERT INTO public.later VALUES (7, 'late', '2026-08-21')`)
  const p = await s.cols[0].waitFor(() => true, 8000, 'INSERT on public.later')
  assertChange(p, { table: 'later', eventType: 'INSERT', newRow: { id: 7, v: 'late', at: '2026-08-21' }, oldRow: {} })
})

// ---------------------------------------------------------------------------------------------------------------
// 3. postgres_changes_options.wait

test('postgres_changes_options {wait:true}: SUBSCRIBED only once live; a row inserted on SUBSCRIBED is delivered', async () => {
  const frames = []
  const client = h.createClient(ctx, { transport: recordingTransport(frames) })
  const N = 5
  const subs = []
  for (let i = 0; i < N; i++) {
    const s = pgChannel(client, `waited-${i}`, [{ event: 'INSERT', schema: 'public', table: 'waited', filter: `k=eq.${i}` }],
      { postgres_changes_options: { wait: true, timeout: 10000 } })
    s.k = i
    subs.push(s)
  }
  await Promise.all(subs.map((s) => {
    const d = h.deferred()
    s.ch.subscribe((status, err) => {
      if (status !== 'SUBSCRIBED') return d.reject(new Error(`${s.ch.topic}: ${status} ${err ? err.message : ''}`))
      // insert right away, inside the callback: nothing else may be awaited before it
      s.insert = sql(`INSERT INTO public.waited (k) VALUES ($1)`, [s.k])
      s.subscribedAt = performance.now()
      d.resolve()
    })
    return h.withTimeout(d.promise, 25000, `SUBSCRIBED on ${s.ch.topic}`)
  }))
  for (const s of subs) {
    await s.insert
    const p = await s.cols[0].waitFor(() => true, 8000, `row k=${s.k} inserted on SUBSCRIBED`)
    assert.equal(p.eventType, 'INSERT')
    assert.equal(p.new.k, s.k)
    // frame order (docs/wire-protocol.md, Waiting for the subscription): the join reply is held until live, then ok reply and the "Subscribed to PostgreSQL"
    // system message are sent back to back (the system message is the next frame on the topic after the reply)
    const onTopic = frames.filter((m) => m.topic === s.ch.topic)
    const ri = onTopic.findIndex((m) => m.event === 'phx_reply' && m.payload && m.payload.response && m.payload.response.postgres_changes)
    assert.ok(ri >= 0, `join reply on ${s.ch.topic}`)
    assert.equal(onTopic[ri].payload.status, 'ok', onTopic[ri].raw)
    const next = onTopic[ri + 1]
    assert.ok(next, `a frame after the join reply on ${s.ch.topic}`)
    assert.equal(next.event, 'system', `frame after the join reply: ${next.raw}`)
    assert.deepEqual(next.payload, { extension: 'postgres_changes', status: 'ok', message: PG_OK, channel: s.ch.subTopic })
    assert.ok(next.at - onTopic[ri].at < 200, `system message ${(next.at - onTopic[ri].at).toFixed(1)} ms after the join reply`)
    assert.ok(next.at <= s.subscribedAt + 200, 'system message no later than the SUBSCRIBED callback (same burst)')
    assert.equal(s.system.items.filter((x) => x.extension === 'postgres_changes').length, 1, 'one system message')
  }
})

test('postgres_changes_options {wait:true} with a bad filter: join error RealtimeDisabledForConfiguration', async () => {
  const client = h.createClient(ctx)
  const s = pgChannel(client, 'waited-bad', [{ event: '*', schema: 'public', table: 'items', filter: 'wrong' }],
    { postgres_changes_options: { wait: true, timeout: 5000 } })
  const d = h.deferred()
  s.ch.subscribe((status, err) => d.resolve({ status, err }))
  const { status, err } = await h.withTimeout(d.promise, 20000, 'subscribe result')
  assert.equal(status, 'CHANNEL_ERROR')
  assert.equal(err && err.message, 'RealtimeDisabledForConfiguration: Error parsing `filter` params: ["wrong"]')
})

// ---------------------------------------------------------------------------------------------------------------
// 4. row level security

test('RLS-enabled table without a Herald row policy: PostgreSQL decides per user, zero leaked rows', async () => {
  // Two users whose RLS policy (owner = auth.jwt()->>'sub') lets each see only their own rows, and an anon
  // wildcard subscriber whose role has no SELECT on the table at all.
  const alice = h.createClient(ctx, { apikey: await h.mintToken(ctx.server.secret, { role: 'authenticated', sub: 'alice' }) })
  const bob = h.createClient(ctx, { apikey: await h.mintToken(ctx.server.secret, { role: 'authenticated', sub: 'bob' }) })
  const bindings = [{ event: '*', schema: 'public', table: 'secret' }]
  const a = pgChannel(alice, 'rls-alice', bindings)
  const b = pgChannel(bob, 'rls-bob', bindings)
  const wild = pgChannel(h.createClient(ctx), 'rls-wild', [{ event: '*', schema: 'public' }])
  await Promise.all([subscribeLive(a), subscribeLive(b), subscribeLive(wild)])

  const n = 20
  for (let i = 1; i <= n; i++) await sql(`INSERT INTO public.secret VALUES (${i}, '${i % 2 ? 'alice' : 'bob'}', 'v${i}')`)
  await sql(`UPDATE public.secret SET v = 'changed' WHERE id <= 4`)
  await sql(`INSERT INTO public.plain VALUES (1, 'visible')`)
  await a.cols[0].waitFor((x) => x.eventType === 'UPDATE' && x.new.id === 3, 10000, 'alice sees her update')
  await b.cols[0].waitFor((x) => x.eventType === 'UPDATE' && x.new.id === 4, 10000, 'bob sees his update')
  await wild.cols[0].waitFor((x) => x.table === 'plain', 8000, 'public.plain INSERT on the wildcard')
  await h.sleep(500)

  const owners = (col) => col.items.map((x) => x.new.owner)
  assert.equal(a.cols[0].items.length, n / 2 + 2, 'alice: her 10 inserts and 2 updates')
  assert.equal(b.cols[0].items.length, n / 2 + 2, 'bob: his 10 inserts and 2 updates')
  assert.deepEqual([...new Set(owners(a.cols[0]))], ['alice'], 'a row of bob reached alice')
  assert.deepEqual([...new Set(owners(b.cols[0]))], ['bob'], 'a row of alice reached bob')
  assert.deepEqual(wild.cols[0].items.map((x) => `${x.table}:${x.eventType}`), ['plain:INSERT'],
    'anon has no SELECT on the RLS table: nothing of it on the wildcard')
})

// ---------------------------------------------------------------------------------------------------------------
// 5. filter operators

// Rows of public.f (REPLICA IDENTITY FULL). Each row is inserted, then updated to the values of another row,
// then deleted; every filter channel sees all 18 changes and must get exactly those its filter matches
// (INSERT/UPDATE: new image; DELETE: old image — docs/wire-protocol.md, Which rows reach whom), with SQL three-valued logic for NULLs.
const F_ROWS = [
  { id: 1, n: 1, t: 'apple', b: true, nt: null },
  { id: 2, n: 3, t: 'Apricot', b: false, nt: 'hello' },
  { id: 3, n: 5, t: 'banana', b: true, nt: 'world' },
  { id: 4, n: 7, t: 'BANANA split', b: false, nt: null },
  { id: 5, n: 9, t: 'x,y', b: true, nt: 'HELLO' },
  { id: 6, n: 5, t: 'cherry', b: false, nt: 'hello' },
]
const F_UPDATED = F_ROWS.map((r, i) => ({ ...F_ROWS[(i + 2) % F_ROWS.length], id: r.id }))

const isNull = (v) => v === null
const FILTERS = [
  ['n=eq.5', (r) => r.n === 5],
  ['n=neq.5', (r) => r.n !== 5],
  ['n=lt.5', (r) => r.n < 5],
  ['n=lte.5', (r) => r.n <= 5],
  ['n=gt.5', (r) => r.n > 5],
  ['n=gte.5', (r) => r.n >= 5],
  ['n=in.(1,5,9)', (r) => [1, 5, 9].includes(r.n)],
  ['t=in.(apple,"x,y")', (r) => ['apple', 'x,y'].includes(r.t)],
  ['t=like.ap%', (r) => r.t.startsWith('ap')],
  ['t=ilike.AP%', (r) => r.t.toLowerCase().startsWith('ap')],
  ['nt=is.null', (r) => isNull(r.nt)],
  ['b=is.true', (r) => r.b === true],
  ['t=match.^b.n', (r) => /^b.n/.test(r.t)],
  ['t=imatch.^BAN', (r) => /^BAN/i.test(r.t)],
  ['nt=isdistinct.hello', (r) => r.nt !== 'hello'], // NULL is distinct from 'hello'
  ['nt=eq.hello', (r) => !isNull(r.nt) && r.nt === 'hello'],
  ['nt=neq.hello', (r) => !isNull(r.nt) && r.nt !== 'hello'], // NULL <> 'hello' is NULL → not delivered
  ['b=eq.false', (r) => r.b === false],
  ['n=not.eq.5', (r) => r.n !== 5],
  ['nt=not.is.null', (r) => !isNull(r.nt)],
  ['nt=not.isdistinct.hello', (r) => r.nt === 'hello'],
  ['t=not.like.%an%', (r) => !r.t.includes('an')],
  ['nt=not.eq.hello', (r) => !isNull(r.nt) && r.nt !== 'hello'],
  ['n=gte.3,b=eq.true', (r) => r.n >= 3 && r.b === true],
  ['n=lt.9,nt=ilike.hel%', (r) => r.n < 9 && !isNull(r.nt) && r.nt.toLowerCase().startsWith('hel')],
]

test(`filters: ${FILTERS.length} filters (13 operators, not., AND) on a REPLICA IDENTITY FULL table deliver exactly the matching INSERT/UPDATE/DELETE`, async () => {
  const client = h.createClient(ctx)
  const subs = FILTERS.map(([filter, pred], i) => ({
    filter,
    pred,
    ...pgChannel(client, `filter-${i}`, [{ event: '*', schema: 'public', table: 'f', filter }]),
  }))
  await Promise.all(subs.map(async (s) => {
    await h.subscribe(s.ch, 10000)
    const m = await pgSystem(s.system)
    assert.equal(m.status, 'ok', `filter ${s.filter}: ${m.message}`)
  }))

  const ops = [] // { type, row } in commit order
  for (const r of F_ROWS) {
    await sql(`INSERT INTO public.f (id, n, t, b, nt) VALUES ($1, $2, $3, $4, $5)`, [r.id, r.n, r.t, r.b, r.nt])
    ops.push({ type: 'INSERT', newRow: r, oldRow: {} })
  }
  for (const [i, r] of F_UPDATED.entries()) {
    await sql(`UPDATE public.f SET n = $2, t = $3, b = $4, nt = $5 WHERE id = $1`, [r.id, r.n, r.t, r.b, r.nt])
    ops.push({ type: 'UPDATE', newRow: r, oldRow: F_ROWS[i] }) // FULL: the whole old row
  }
  for (const r of F_UPDATED) {
    await sql(`DELETE FROM public.f WHERE id = $1`, [r.id])
    ops.push({ type: 'DELETE', newRow: {}, oldRow: r })
  }

  for (const s of subs) {
    s.expected = ops.filter((o) => s.pred(o.type === 'DELETE' ? o.oldRow : o.newRow))
    assert.ok(s.expected.length > 0 && s.expected.length < ops.length, `filter ${s.filter} must discriminate`)
  }
  await Promise.all(subs.map((s) => h.waitFor(() => s.cols[0].items.length >= s.expected.length, 10000,
    `filter ${s.filter}: ${s.expected.length} changes (have ${s.cols[0].items.length})`).catch(() => {})))
  await h.sleep(500) // extra deliveries would show up now

  const failures = []
  for (const s of subs) {
    const got = s.cols[0].items.map((p) => `${p.eventType}:${p.eventType === 'DELETE' ? p.old.id : p.new.id}`)
    const want = s.expected.map((o) => `${o.type}:${o.type === 'DELETE' ? o.oldRow.id : o.newRow.id}`)
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      failures.push(`${s.filter}: expected [${want}] got [${got}]`)
      continue
    }
    s.cols[0].items.forEach((p, i) => {
      const o = s.expected[i]
      try {
        assert.deepEqual(p.new, o.newRow)
        assert.deepEqual(p.old, o.oldRow)
        assert.match(p.commit_timestamp, COMMIT_TS)
      } catch (e) {
        failures.push(`${s.filter}: payload ${i} (${o.type}) new=${JSON.stringify(p.new)} old=${JSON.stringify(p.old)} want new=${JSON.stringify(o.newRow)} old=${JSON.stringify(o.oldRow)}`)
      }
    })
  }
  assert.deepEqual(failures, [], `filter mismatches:\n${failures.join('\n')}`)
})

// ---------------------------------------------------------------------------------------------------------------
// 6. two bindings → one message with two ids

test('two bindings matching one change: one frame with both ids, each callback fires once', async () => {
  const frames = []
  const client = h.createClient(ctx, { transport: recordingTransport(frames) })
  const s = pgChannel(client, 'dup', [
    { event: '*', schema: 'public', table: 'dup' },
    { event: 'INSERT', schema: 'public', table: 'dup' },
  ])
  await subscribeLive(s)
  const reply = frames.find((m) => m.topic === s.ch.topic && m.event === 'phx_reply' && m.payload.response && m.payload.response.postgres_changes)
  assert.ok(reply, 'join reply frame')
  const [starId, insId] = reply.payload.response.postgres_changes.map((e) => e.id)
  assert.ok(Number.isInteger(starId) && Number.isInteger(insId) && starId !== insId, `ids ${starId}, ${insId}`)

  await sql(`INSERT INTO public.dup VALUES (1, 'one')`)
  await sql(`UPDATE public.dup SET v = 'two' WHERE id = 1`)
  await s.cols[0].waitFor((p) => p.eventType === 'UPDATE', 8000, 'UPDATE on the * binding')
  await h.sleep(300)

  const changes = frames.filter((m) => m.topic === s.ch.topic && m.event === 'postgres_changes')
  assert.equal(changes.length, 2, `postgres_changes frames: ${changes.map((m) => m.raw).join('\n')}`)
  assert.equal(changes[0].payload.data.type, 'INSERT')
  assert.deepEqual([...changes[0].payload.ids].sort(), [starId, insId].sort(), `INSERT frame ids: ${changes[0].raw}`)
  assert.equal(changes[1].payload.data.type, 'UPDATE')
  assert.deepEqual(changes[1].payload.ids, [starId], `UPDATE frame ids: ${changes[1].raw}`)
  for (const m of changes) {
    assert.equal(m.join_ref, null, 'postgres_changes join_ref null')
    assert.equal(m.ref, null, 'postgres_changes ref null')
    const d = m.payload.data
    assert.deepEqual(d.columns, [{ name: 'id', type: 'int4' }, { name: 'v', type: 'text' }], 'columns')
    assert.equal(d.errors, null)
    assert.equal('old_record' in d, d.type === 'UPDATE', `old_record presence on ${d.type}`)
  }

  assert.deepEqual(s.cols[0].items.map((p) => p.eventType), ['INSERT', 'UPDATE'], '* callback')
  assert.deepEqual(s.cols[1].items.map((p) => p.eventType), ['INSERT'], 'INSERT callback')
})

// ---------------------------------------------------------------------------------------------------------------
// 7. subscription errors

test('subscription errors: bad filter, unknown column, unpublished table → system error; channel stays joined', async () => {
  const client = h.createClient(ctx)
  const cases = [
    { name: 'err-filter', b: { event: '*', schema: 'public', table: 'items', filter: 'wrong' },
      check: (m) => assert.equal(m, 'Error parsing `filter` params: ["wrong"]') },
    { name: 'err-column', b: { event: '*', schema: 'public', table: 'items', filter: 'nope=eq.1' },
      check: (m) => {
        assert.ok(m.startsWith('Unable to subscribe to changes with given parameters.'), m)
        assert.ok(m.includes('invalid column for filter nope'), m)
      } },
    { name: 'err-unpublished', b: { event: 'INSERT', schema: 'private_stuff', table: 'hidden' },
      check: (m) => assert.ok(m.startsWith('Unable to subscribe to changes with given parameters. Please check Realtime is enabled'), m) },
  ]
  for (const c of cases) {
    c.s = pgChannel(client, c.name, [c.b], { broadcast: { ack: true, self: true } })
    c.bc = h.collector(c.s.ch, 'broadcast', { event: 'ping' })
  }
  await Promise.all(cases.map((c) => h.subscribe(c.s.ch)))
  for (const c of cases) {
    const m = await pgSystem(c.s.system)
    assert.equal(m.extension, 'postgres_changes')
    assert.equal(m.status, 'error', `${c.name}: ${JSON.stringify(m)}`)
    assert.equal(m.channel, c.name)
    c.check(m.message)
  }
  await sql(`INSERT INTO public.items VALUES (100, 'x', false, 1)`)
  await sql(`INSERT INTO private_stuff.hidden VALUES (1)`)
  await h.sleep(500)
  for (const c of cases) {
    assert.equal(c.s.ch.state, 'joined', `${c.name} still joined`)
    assert.equal(c.s.cols[0].items.length, 0, `${c.name} received changes`)
    // the channel still works
    assert.equal(await c.s.ch.send({ type: 'broadcast', event: 'ping', payload: { n: 1 } }), 'ok', `${c.name} broadcast ack`)
    await c.bc.waitFor(() => true, 3000, `${c.name} self broadcast`)
    assert.equal(c.s.system.items.filter((x) => x.extension === 'postgres_changes').length, 1, `${c.name}: one system message`)
  }
})

// ---------------------------------------------------------------------------------------------------------------
// 8. subscribe → live → insert race

test('race: 100× new channel, insert on "Subscribed to PostgreSQL", row delivered every time', async () => {
  const client = h.createClient(ctx)
  const N = 100
  const toLive = []
  const toDelivery = []
  const misses = []
  const t0 = performance.now()
  for (let i = 0; i < N && misses.length < 3; i++) {
    const ch = client.channel(`race-${i}`)
    const got = h.collector(ch, 'postgres_changes', { event: 'INSERT', schema: 'public', table: 'race', filter: `k=eq.${i}` })
    const live = h.deferred()
    let committed = null
    let start = 0
    let liveAt = 0
    ch.on('system', {}, (p) => {
      if (p.extension !== 'postgres_changes' || committed) return
      if (p.status !== 'ok') return live.reject(new Error(`race-${i}: ${p.message}`))
      liveAt = performance.now()
      committed = sql(`INSERT INTO public.race (k) VALUES ($1)`, [i]).then(() => performance.now())
      live.resolve()
    })
    start = performance.now()
    await h.subscribe(ch, 8000)
    await h.withTimeout(live.promise, 8000, `race-${i} live`)
    const commitAt = await committed
    try {
      const p = await got.waitFor(() => true, 3000, `race-${i} row`)
      assert.equal(p.new.k, i)
      toLive.push(liveAt - start)
      toDelivery.push(performance.now() - commitAt)
    } catch (e) {
      misses.push(`iteration ${i}: ${e.message}`)
    }
    await h.withTimeout(ch.unsubscribe(2000), 3000, 'unsubscribe').catch(() => {})
    try { ch.teardown() } catch {}
  }
  const total = performance.now() - t0
  const sl = [...toLive].sort((a, b) => a - b)
  const sd = [...toDelivery].sort((a, b) => a - b)
  const f = (x) => x.toFixed(1)
  console.log(`# race: ${toDelivery.length}/${N} delivered in ${f(total)} ms; subscribe→live p50 ${f(percentile(sl, 0.5))} ` +
    `p95 ${f(percentile(sl, 0.95))} max ${f(sl[sl.length - 1])} ms; commit→delivered p50 ${f(percentile(sd, 0.5))} ` +
    `p95 ${f(percentile(sd, 0.95))} max ${f(sd[sd.length - 1])} ms`)
  assert.deepEqual(misses, [], 'rows inserted right after "Subscribed to PostgreSQL" were lost')
  assert.equal(toDelivery.length, N)
})

// ---------------------------------------------------------------------------------------------------------------
// 10. values that used to stop change capture for everybody (time 24:00, timestamptz infinity, ...)

test('poison values in a table nobody watches stop nothing; a watcher gets every value exactly', async () => {
  await sql(`
    CREATE TABLE public.poison (id int PRIMARY KEY, t time, tz timestamptz, ttz timetz, j jsonb);
    CREATE TABLE public.canary (id int PRIMARY KEY);
    CREATE TABLE public.exact (id int PRIMARY KEY, t time, tz timestamptz, ttz timetz, j jsonb);
  `)
  const frames = []
  const client = h.createClient(ctx, { transport: recordingTransport(frames) })
  const canary = pgChannel(client, 'canary', [{ event: 'INSERT', schema: 'public', table: 'canary' }])
  const exact = pgChannel(client, 'exact', [{ event: 'INSERT', schema: 'public', table: 'exact' }])
  await subscribeLive(canary)
  await subscribeLive(exact)

  await sql(`INSERT INTO public.poison (id, t) VALUES (1, '24:00:00')`)
  await sql(`INSERT INTO public.poison (id, tz) VALUES (2, 'infinity')`)
  await sql(`INSERT INTO public.canary VALUES (1)`)
  await canary.cols[0].waitFor(() => true, 10000, 'the canary row after the poison rows')
  const ready = await h.fetchT(`${ctx.server.httpUrl}/health/ready`)
  const body = await ready.text()
  assert.equal(ready.status, 200, body)
  assert.equal(JSON.parse(body).cdc, 'running', body)

  const big = '9'.repeat(1500) // beyond what a JSON parser with default limits reads as a number
  await sql(`INSERT INTO public.exact VALUES (1, '24:00:00', 'infinity', '24:00:00+14', '{"n": ${big}, "s": "x"}')`)
  const p = await exact.cols[0].waitFor(() => true, 10000, 'the exact row')
  assert.equal(p.new.t, '24:00:00')
  assert.equal(p.new.tz, 'infinity')
  assert.equal(p.new.ttz, '24:00:00+14')
  assert.equal(p.new.j.s, 'x')
  const raw = frames.find((m) => m.topic === exact.ch.topic && m.event === 'postgres_changes').raw
  assert.ok(raw.includes(`"j":{"n": ${big}, "s": "x"}`), 'jsonb embedded as PostgreSQL wrote it, the number a number')
})
