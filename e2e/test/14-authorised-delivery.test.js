'use strict'
// Authorisation of the data that is delivered, on every path, with the real realtime-js client: column privileges
// on wildcard bindings (live and on resume from position zero), PostgreSQL RLS judged on each change's own row image
// (the hand-over transaction, an UPDATE moving a row out of a user's sight, DELETE with and without REPLICA IDENTITY
// FULL), and keys, `sub` claims and role names ending in `$herald` or holding NUL bytes, which must break nothing and
// show clients no SQL.
// One server for the whole file (change capture on, embedded database on a free port).

const test = require('node:test')
const assert = require('node:assert/strict')
const { Client: PgClient } = require('pg')
const h = require('../lib/harness')

let db = null

function sql(text, params) {
  return h.withTimeout(db.query(text, params), 10000, `SQL: ${text.slice(0, 80)}`)
}

const PG_OK = 'Subscribed to PostgreSQL'
const ZERO = 'c:0000000000000000:0000000000000000'

async function setup(server) {
  assert.ok(server.dbUrl, 'no "connect with: psql postgresql://…" line in the server output')
  db = new PgClient({ connectionString: server.dbUrl, connectionTimeoutMillis: 5000 })
  db.on('error', () => {})
  await h.withTimeout(db.connect(), 8000, 'pg connect')
  await sql(`
    CREATE TABLE public.cols (id int PRIMARY KEY, title text, secret text);
    REVOKE SELECT ON public.cols FROM authenticated;
    GRANT SELECT (id, title) ON public.cols TO authenticated;
    CREATE TABLE public.nokey (id int PRIMARY KEY, v text);
    REVOKE SELECT ON public.nokey FROM authenticated;
    GRANT SELECT (v) ON public.nokey TO authenticated;
    CREATE TABLE public.open (id int PRIMARY KEY, v text);

    CREATE TABLE public.handover (id text PRIMARY KEY, owner text NOT NULL, secret text);
    ALTER TABLE public.handover ENABLE ROW LEVEL SECURITY;
    CREATE POLICY own ON public.handover FOR SELECT TO authenticated USING (owner = auth.jwt() ->> 'sub');

    CREATE TABLE public.moves (id int PRIMARY KEY, owner text NOT NULL, secret text);
    ALTER TABLE public.moves REPLICA IDENTITY FULL;
    ALTER TABLE public.moves ENABLE ROW LEVEL SECURITY;
    CREATE POLICY own ON public.moves FOR SELECT TO authenticated USING (owner = current_setting('request.jwt.claim.sub', true));

    CREATE TABLE public.later (id int PRIMARY KEY, owner text NOT NULL);
    ALTER TABLE public.later ENABLE ROW LEVEL SECURITY;

    CREATE ROLE "member$herald" NOLOGIN;
    GRANT authenticated TO "member$herald";
    GRANT USAGE ON SCHEMA public TO "member$herald";
  `)
}

async function teardown() {
  if (db) await h.withTimeout(db.end(), 5000, 'pg client end').catch(() => {})
}

const ctx = h.useServer(test, { HERALD_CDC_ENABLED: 'true' }, { setup, teardown })

async function userClient(sub, role = 'authenticated') {
  return h.createClient(ctx, { apikey: await h.mintToken(ctx.server.secret, { role, sub }) })
}

/** A channel with one collector per binding and a `system` collector; `config` is the channel config. */
function pgChannel(client, name, bindings, config) {
  const ch = client.channel(name, config ? { config } : undefined)
  const system = h.collector(ch, 'system', {})
  const cols = bindings.map((b) => h.collector(ch, 'postgres_changes', b))
  return { ch, system, cols }
}

async function subscribeLive({ ch, system }, ms = 10000) {
  await h.subscribe(ch, ms)
  const s = await system.waitFor((p) => p && p.extension === 'postgres_changes', ms, 'postgres_changes system message')
  assert.deepEqual({ status: s.status, message: s.message }, { status: 'ok', message: PG_OK }, `system message on ${ch.topic}`)
}

/** Every postgres_changes system message after the subscribe one must be absent (no error, no SQL text). */
function assertNoSystemErrors(...channels) {
  for (const c of channels) {
    const errors = c.system.items.filter((p) => p && p.status !== 'ok')
    assert.deepEqual(errors, [], `system errors on ${c.ch.topic}`)
  }
}

const keysOf = (o) => Object.keys(o || {}).sort()

// ---------------------------------------------------------------------------------------------------------------
// 1. column privileges on wildcard bindings, live and on resume

test('wildcard bindings deliver only the columns the role may select, live and on resume from position zero', async () => {
  const wild = [{ event: '*', schema: '*' }, { event: '*', schema: 'public', table: '*' }, { event: '*', schema: 'public', table: 'cols' }]
  const live = pgChannel(await userClient('colreader'), 'cols-live', wild)
  await subscribeLive(live)

  await sql(`INSERT INTO public.cols VALUES (1, 'hello', 'top secret')`)
  await sql(`INSERT INTO public.nokey VALUES (1, 'key hidden')`)
  await sql(`UPDATE public.cols SET secret = 'still secret', title = 'hi' WHERE id = 1`)
  await sql(`INSERT INTO public.open VALUES (1, 'marker')`)
  for (const col of live.cols.slice(0, 2)) await col.waitFor((x) => x.table === 'open', 10000, 'the marker after the others')
  await live.cols[2].waitFor((x) => x.eventType === 'UPDATE', 10000, 'the explicit binding gets the update')

  for (const [i, col] of live.cols.entries()) {
    const ofCols = col.items.filter((x) => x.table === 'cols')
    assert.deepEqual(ofCols.map((x) => x.eventType), ['INSERT', 'UPDATE'], `binding ${i}: both changes of public.cols`)
    for (const x of ofCols) {
      assert.deepEqual(keysOf(x.new), ['id', 'title'], `binding ${i}: ${x.eventType} record carries only id and title`)
      assert.ok(!JSON.stringify(x).includes('secret'), `binding ${i}: the secret column leaked: ${JSON.stringify(x)}`)
    }
    assert.deepEqual(col.items.filter((x) => x.table === 'nokey'), [], `binding ${i}: a table whose key the role may not select`)
  }

  // Resume from position zero replays the log through the same checks.
  const resumed = pgChannel(await userClient('colreader'), 'cols-resume', wild.slice(0, 2),
    { broadcast: { herald_resume: { changes: ZERO } } })
  await subscribeLive(resumed)
  for (const col of resumed.cols) await col.waitFor((x) => x.table === 'open', 10000, 'the replayed marker')
  for (const [i, col] of resumed.cols.entries()) {
    const ofCols = col.items.filter((x) => x.table === 'cols')
    assert.equal(ofCols.length, 2, `resumed binding ${i}: both logged changes of public.cols`)
    for (const x of ofCols) assert.deepEqual(keysOf(x.new), ['id', 'title'], `resumed binding ${i}: only permitted columns`)
    assert.ok(!JSON.stringify(col.items).includes('secret'), `resumed binding ${i}: the secret column leaked on replay`)
    assert.deepEqual(col.items.filter((x) => x.table === 'nokey'), [], `resumed binding ${i}: nokey replayed`)
  }

  // A REVOKE reaches live delivery within the housekeeping round (2 s).
  await sql(`REVOKE SELECT (title) ON public.cols FROM authenticated`)
  await h.sleep(4500)
  await sql(`UPDATE public.cols SET title = 'after revoke' WHERE id = 1`)
  for (const [i, col] of live.cols.entries()) {
    await h.waitFor(() => col.items.filter((x) => x.table === 'cols').length === 3, 10000, `binding ${i}: the update after REVOKE`)
    const after = col.items.filter((x) => x.table === 'cols')[2]
    assert.deepEqual(keysOf(after.new), ['id'], `binding ${i}: after REVOKE the title column is gone from live delivery`)
  }
  assertNoSystemErrors(live, resumed)
})

// ---------------------------------------------------------------------------------------------------------------
// 2. row-level security on the change's own image

test('the hand-over transaction: u1 gets its INSERT, u2 gets nothing of it (only the UPDATE that hands it over)', async () => {
  const bindings = [{ event: '*', schema: 'public', table: 'handover' }]
  const u1 = pgChannel(await userClient('u1'), 'handover-u1', bindings)
  const u2 = pgChannel(await userClient('u2'), 'handover-u2', bindings)
  await Promise.all([subscribeLive(u1), subscribeLive(u2)])

  await sql(`BEGIN; INSERT INTO public.handover VALUES ('h1', 'u1', 'u1 secret'); UPDATE public.handover SET owner = 'u2', secret = 'for u2' WHERE id = 'h1'; COMMIT;`)
  const ins = await u1.cols[0].waitFor((x) => x.eventType === 'INSERT', 10000, 'u1 gets its insert')
  assert.deepEqual(ins.new, { id: 'h1', owner: 'u1', secret: 'u1 secret' })
  const upd = await u2.cols[0].waitFor((x) => x.eventType === 'UPDATE', 10000, 'u2 gets the update that hands the row over')
  assert.deepEqual(upd.new, { id: 'h1', owner: 'u2', secret: 'for u2' })
  assert.deepEqual(keysOf(upd.old).filter((k) => k !== 'id'), [], 'nothing of the old image (u1\'s) beyond the key is shown to u2')
  await h.sleep(800)
  assert.deepEqual(u2.cols[0].items.map((x) => x.eventType), ['UPDATE'], 'nothing of the INSERT reached u2')
  assert.ok(!JSON.stringify(u2.cols[0].items).includes('u1 secret'), 'u1\'s secret reached u2')
  assert.deepEqual(u1.cols[0].items.map((x) => x.eventType), ['INSERT'], 'u1 does not get the row once it is u2\'s')

  // Without REPLICA IDENTITY FULL a DELETE carries the key only, and is delivered key-only as Supabase does.
  await sql(`DELETE FROM public.handover WHERE id = 'h1'`)
  for (const u of [u1, u2]) {
    const del = await u.cols[0].waitFor((x) => x.eventType === 'DELETE', 10000, 'key-only delete')
    assert.deepEqual(del.old, { id: 'h1' })
  }
  assertNoSystemErrors(u1, u2)
})

test('an UPDATE moving a row out of a user\'s sight, and DELETE with REPLICA IDENTITY FULL', async () => {
  const all = { event: '*', schema: 'public', table: 'moves' }
  const leaving = { event: '*', schema: 'public', table: 'moves', filter: 'id=gt.0', leave: true }
  const u1 = pgChannel(await userClient('m1'), 'moves-u1', [all])
  const u1leave = pgChannel(await userClient('m1'), 'moves-u1-leave', [leaving])
  const u3 = pgChannel(await userClient('m3'), 'moves-u3', [all])
  await Promise.all([subscribeLive(u1), subscribeLive(u1leave), subscribeLive(u3)])

  await sql(`INSERT INTO public.moves VALUES (1, 'm1', 'm1 data')`)
  await u1.cols[0].waitFor((x) => x.eventType === 'INSERT', 10000, 'm1 sees its row')
  await sql(`UPDATE public.moves SET owner = 'm3', secret = 'm3 data' WHERE id = 1`)
  const got = await u3.cols[0].waitFor((x) => x.eventType === 'UPDATE', 10000, 'm3 gets the row it now owns')
  assert.deepEqual(got.new, { id: 1, owner: 'm3', secret: 'm3 data' })
  assert.deepEqual(got.old, {}, 'the old image was not visible to m3: no old record')
  const leave = await u1leave.cols[0].waitFor((x) => x.eventType === 'UPDATE', 10000, 'the leave event for m1')
  assert.deepEqual(leave.new, { id: 1 }, 'the leave event carries only the key of the row m1 may no longer see')
  await h.sleep(800)
  assert.deepEqual(u1.cols[0].items.map((x) => x.eventType), ['INSERT'], 'm1 without leave gets nothing of the move')
  assert.ok(!JSON.stringify(u1leave.cols[0].items).includes('m3 data'), 'm3\'s data reached m1')

  await sql(`DELETE FROM public.moves WHERE id = 1`)
  const del = await u3.cols[0].waitFor((x) => x.eventType === 'DELETE', 10000, 'm3 sees the delete of its row')
  assert.deepEqual(del.old, { id: 1 }, 'under RLS old_record stays key-only')
  await h.sleep(800)
  assert.deepEqual(u1.cols[0].items.map((x) => x.eventType), ['INSERT'], 'the delete of m3\'s row did not reach m1')
  assertNoSystemErrors(u1, u1leave, u3)
})

test('a policy created, changed or dropped while subscribed takes effect within the housekeeping round', async () => {
  const u = pgChannel(await userClient('l1'), 'later-l1', [{ event: 'INSERT', schema: 'public', table: 'later' }])
  await subscribeLive(u)
  const ids = () => u.cols[0].items.map((x) => x.new.id)
  await sql(`INSERT INTO public.later VALUES (1, 'l1')`) // RLS without a permissive policy: nobody sees it
  await h.sleep(1000) // judged before the policy below exists
  await sql(`CREATE POLICY own ON public.later FOR SELECT TO authenticated USING (owner = auth.jwt() ->> 'sub')`)
  await h.sleep(4500)
  await sql(`INSERT INTO public.later VALUES (2, 'l1'), (3, 'someone else')`)
  await u.cols[0].waitFor((x) => x.new.id === 2, 10000, 'the new policy applies')
  await sql(`ALTER POLICY own ON public.later USING (owner = 'nobody')`)
  await h.sleep(4500)
  await sql(`INSERT INTO public.later VALUES (4, 'l1')`)
  await h.sleep(1000)
  await sql(`DROP POLICY own ON public.later`)
  await sql(`CREATE POLICY everyone ON public.later FOR SELECT TO authenticated USING (true)`)
  await h.sleep(4500)
  await sql(`INSERT INTO public.later VALUES (5, 'someone else')`)
  await u.cols[0].waitFor((x) => x.new.id === 5, 10000, 'the replacing policy applies')
  assert.deepEqual(ids(), [2, 5], 'each row judged by the policies in force when it was delivered')
  assertNoSystemErrors(u)
})

// ---------------------------------------------------------------------------------------------------------------
// 3. hostile keys, claims and role names

test('keys, sub claims and role names ending in $herald or holding NUL break nothing and show no SQL', async () => {
  const bindings = [{ event: '*', schema: 'public', table: 'handover' }]
  const odd = pgChannel(await userClient('x$herald'), 'odd-sub', bindings)
  const nul = pgChannel(await userClient('n\u0000ul'), 'nul-sub', bindings)
  const member = pgChannel(await userClient('r1', 'member$herald'), 'odd-role', bindings)
  const plain = pgChannel(await userClient('p1'), 'plain-sub', bindings)
  await Promise.all([odd, nul, member, plain].map((c) => subscribeLive(c)))

  const before = await h.readMetric(ctx.server, 'herald_drops_total', { reason: 'row_check_failed' })
  await sql(`INSERT INTO public.handover VALUES ('k$herald', 'x$herald', 'odd key')`)
  await sql(`INSERT INTO public.handover VALUES ('$herald$''); SELECT 1; --', 'x$herald', 'odder key')`)
  await sql(`INSERT INTO public.handover VALUES ('m1', 'r1', 'for the member role')`)
  await sql(`INSERT INTO public.handover VALUES ('p1', 'p1', 'plain')`)
  await odd.cols[0].waitFor((x) => x.new.id === '$herald$\'); SELECT 1; --', 10000, 'odd sub gets the odd keys')
  assert.deepEqual(odd.cols[0].items.map((x) => x.new.id), ['k$herald', '$herald$\'); SELECT 1; --'])
  await member.cols[0].waitFor((x) => x.new.id === 'm1', 10000, 'a role ending in $herald gets its row')
  await plain.cols[0].waitFor((x) => x.new.id === 'p1', 10000, 'the plain subscriber is unaffected')
  assert.deepEqual(plain.cols[0].items.map((x) => x.new.id), ['p1'])
  assert.deepEqual(member.cols[0].items.map((x) => x.new.id), ['m1'])
  await h.sleep(500)
  assert.deepEqual(nul.cols[0].items, [], 'the NUL sub sees nothing (PostgreSQL cannot hold the claim)')
  const after = await h.readMetric(ctx.server, 'herald_drops_total', { reason: 'row_check_failed' })
  assert.ok(after >= before + 4, `the NUL group's failed checks are counted (${before} → ${after})`)

  // A role name holding NUL is no database role: a clean refusal, no SQL text.
  const nulRole = pgChannel(await userClient('r2', 'authenti\u0000cated'), 'nul-role', bindings)
  await h.subscribe(nulRole.ch).catch(() => {})
  const refusal = await nulRole.system.waitFor((p) => p && p.extension === 'postgres_changes', 10000, 'NUL role answer')
  assert.equal(refusal.status, 'error')
  assert.match(refusal.message, /does not exist in the database/)
  assert.doesNotMatch(refusal.message, /ERROR:|invalid byte sequence|syntax/)

  // The bindings survive: the next rows still arrive.
  await sql(`INSERT INTO public.handover VALUES ('k2$herald', 'x$herald', 'again')`)
  await odd.cols[0].waitFor((x) => x.new.id === 'k2$herald', 10000, 'still subscribed')
  assertNoSystemErrors(odd, nul, member, plain)
})

// ---------------------------------------------------------------------------------------------------------------
// 6. privileges that change after a binding was accepted, and the replay window after RLS is switched on

test('a filter on a column revoked after subscribing matches nothing (no oracle for the hidden value)', async () => {
  await sql(`CREATE TABLE public.probe (id int PRIMARY KEY, title text, secret text);
             GRANT SELECT ON public.probe TO authenticated`)
  const u = pgChannel(await userClient('prober'), 'probe-filter',
    [{ event: 'INSERT', schema: 'public', table: 'probe', filter: 'secret=eq.pw1' }, { event: 'INSERT', schema: 'public', table: 'probe' }])
  await subscribeLive(u)
  await sql(`INSERT INTO public.probe VALUES (0, 'before', 'pw1')`)
  await u.cols[0].waitFor((x) => x.new.id === 0, 10000, 'the filter matches while the column is readable')
  await sql(`REVOKE SELECT ON public.probe FROM authenticated; GRANT SELECT (id, title) ON public.probe TO authenticated`)
  await h.sleep(4500) // one housekeeping round notices the grants
  await sql(`INSERT INTO public.probe VALUES (1, 'guess1', 'pw1'); INSERT INTO public.probe VALUES (2, 'guess2', 'other')`)
  await u.cols[1].waitFor((x) => x.new.id === 2, 10000, 'the unfiltered binding still gets rows')
  await h.sleep(500)
  assert.deepEqual(u.cols[0].items.map((x) => x.new.id), [0], 'the filter on the hidden column matched nothing after the REVOKE')
  assert.ok(u.cols[1].items.filter((x) => x.new.id > 0).every((x) => !('secret' in x.new)), 'the hidden column is not delivered')
  assertNoSystemErrors(u)
})

test('a resume after RLS was switched on replays older changes under the policy as it is now', async () => {
  await sql(`CREATE TABLE public.tightened (id int PRIMARY KEY, owner text NOT NULL, secret text);
             GRANT SELECT ON public.tightened TO authenticated`)
  await h.sleep(4500) // a new table joins the publication within one housekeeping round
  await sql(`INSERT INTO public.tightened VALUES (1, 't2', 'written before RLS');
             INSERT INTO public.tightened VALUES (2, 't1', 't1 own row')`)
  await h.sleep(1000)
  await sql(`ALTER TABLE public.tightened ENABLE ROW LEVEL SECURITY;
             CREATE POLICY own ON public.tightened FOR SELECT TO authenticated USING (owner = auth.jwt() ->> 'sub')`)
  await h.sleep(4500) // one housekeeping round notices the policy
  const resumed = pgChannel(await userClient('t1'), 'tightened-resume', [{ event: '*', schema: 'public', table: 'tightened' }],
    { broadcast: { herald_resume: { changes: ZERO } } })
  await subscribeLive(resumed)
  await sql(`INSERT INTO public.tightened VALUES (3, 't1', 'live')`)
  await resumed.cols[0].waitFor((x) => x.new.id === 3, 10000, 'the live row')
  assert.deepEqual(resumed.cols[0].items.map((x) => x.new.id), [2, 3], 'the replay holds t1\'s own row only')
  assertNoSystemErrors(resumed)
})
