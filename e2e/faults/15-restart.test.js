'use strict'
// Engine restarts with resuming clients (issue 6): the real realtime-js 2.119.0 plus clients/js/herald-resume.js,
// change capture on the embedded PostgreSQL (fixed port, one data dir for every run of the server).
//
//  (a) graceful drain: SIGTERM mid-stream → every joined channel gets `system` "Server requested disconnect", then
//      the socket closes 1012; a server restarted on the same port and data dir takes the clients back; every change
//      committed before, during and after the outage is delivered exactly once, in order.
//  (b) SIGKILL mid-stream (the embedded postmaster is orphaned and keeps accepting writes; the next start must stop
//      it) → the same guarantee for changes committed before and during the outage.
//
// Broadcasts live in memory: after a restart a resuming client must either get them or be told recovered:false.
// A writer inserts one row every few milliseconds through its own connection and reconnects whenever the database
// goes away; the rows in the table at the end are the truth (an INSERT cut off mid-commit may or may not be there).

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { Client: PgClient } = require('pg')
const h = require('../lib/harness')
const { attachResume } = require('../../clients/js/herald-resume')

const PG_OK = 'Subscribed to PostgreSQL'
const DRAIN_TEXT = 'Server requested disconnect'

function report(t, label, obj) {
  const line = `${label}: ${JSON.stringify(obj)}`
  t.diagnostic(line)
  if (process.env.HERALD_E2E_VERBOSE) console.log(line)
}

/**
 * Cleanup after a failure: kill the embedded postmaster a SIGKILLed server left behind, if it is still there, and
 * remove the Unix socket lock file of the embedded port when the postmaster it names is gone (a postmaster killed
 * with SIGKILL leaves it in the temporary directory).
 */
function killOrphanPostmaster(server) {
  if (!server) return
  try {
    const pidFile = path.join(server.dataDir, 'postgres', 'postmaster.pid')
    const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0])
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    if (pid > 0 && /postgres/.test(cmd) && !server.alive) process.kill(pid, 'SIGQUIT')
  } catch {}
  try {
    const port = server.startEnv && server.startEnv.HERALD_DB_EMBEDDED_PORT
    const lock = path.join(require('node:os').tmpdir(), `.s.PGSQL.${port}.lock`)
    const pid = Number(fs.readFileSync(lock, 'utf8').split('\n')[0])
    let alive = true
    try { process.kill(pid, 0) } catch { alive = false }
    if (!alive) {
      fs.rmSync(lock, { force: true })
      fs.rmSync(lock.replace(/\.lock$/, ''), { force: true })
    }
  } catch {}
}

let db = null
const ctx = h.useServer(
  test,
  async () => ({ HERALD_CDC_ENABLED: 'true', HERALD_REPLAY_STORE: 'postgres', HERALD_DB_EMBEDDED_PORT: String(await h.freePort()) }),
  {
    deadlineMs: 240000,
    onDeadline: (server) => killOrphanPostmaster(server),
    setup: async (server) => {
      db = new PgClient({ connectionString: server.dbUrl, connectionTimeoutMillis: 5000 })
      db.on('error', () => {})
      await h.withTimeout(db.connect(), 8000, 'pg connect')
      await h.withTimeout(db.query('CREATE TABLE public.rs_items (id int PRIMARY KEY, at timestamptz DEFAULT now())'), 10000, 'create table')
      await db.end().catch(() => {})
      db = null
    },
    teardown: (server) => killOrphanPostmaster(server),
  }
)

/** Inserts ids from `startId` every `intervalMs` until stopped; reconnects (to `url()`) whenever the database goes away. */
function startWriter(url, startId, intervalMs = 5) {
  const w = { next: startId, ok: [], errors: 0, stopped: false, lastError: null }
  w.done = (async () => {
    let client = null
    while (!w.stopped) {
      try {
        if (!client) {
          client = new PgClient({ connectionString: url(), connectionTimeoutMillis: 1000 })
          client.on('error', () => {})
          await h.withTimeout(client.connect(), 2000, 'writer connect')
        }
        const id = w.next++
        await h.withTimeout(client.query('INSERT INTO public.rs_items (id) VALUES ($1)', [id]), 3000, 'writer insert')
        w.ok.push({ id, at: Date.now() })
        await h.sleep(intervalMs)
      } catch (e) {
        w.errors++
        w.lastError = e.message
        const c = client
        client = null
        if (c) c.end().catch(() => {})
        await h.sleep(100)
      }
    }
    if (client) await client.end().catch(() => {})
  })()
  w.stop = async () => {
    w.stopped = true
    await h.withTimeout(w.done, 10000, 'writer stop')
  }
  return w
}

/** Broadcasts through REST every `intervalMs` (seq from 0), keeping the seqs the server accepted (202). */
function startBroadcaster(getServer, topic, intervalMs = 20) {
  const b = { next: 0, accepted: [], refused: 0, stopped: false }
  b.done = (async () => {
    while (!b.stopped) {
      const seq = b.next++
      try {
        const r = await h.restBroadcast(getServer(), [{ topic, event: 'm', payload: { seq } }])
        if (r.status === 202) b.accepted.push({ seq, at: Date.now() })
        else b.refused++
      } catch {
        b.refused++
      }
      await h.sleep(intervalMs)
    }
  })()
  b.stop = async () => {
    b.stopped = true
    await h.withTimeout(b.done, 10000, 'broadcaster stop')
  }
  return b
}

/** A resuming realtime-js client with a changes channel and a broadcast channel. */
async function receiver(label, vsn) {
  const gate = await h.createGate()
  const client = h.createClient(ctx, { vsn, transport: gate.transport })
  const resume = attachResume(client)
  const mk = (name) => ({ name, seqs: [], system: [], notices: [], statuses: [] })
  const chg = mk('rs')
  const bc = mk('rs-b')
  chg.at = []
  chg.ch = client.channel('rs').on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'rs_items' }, (p) => {
    chg.seqs.push(p.new.id)
    chg.at.push(Date.now())
  })
  bc.ch = client.channel('rs-b').on('broadcast', { event: 'm' }, (p) => bc.seqs.push(p.payload.seq))
  for (const r of [chg, bc]) {
    r.ch.on('system', {}, (p) => r.system.push({ ...p, at: Date.now() }))
    resume.onRecovery(r.ch, (info) => r.notices.push({ recovered: info.recovered, stream: info.stream, count: info.count, message: info.message, at: Date.now() }))
  }
  for (const r of [chg, bc]) {
    await new Promise((resolve, reject) => {
      r.ch.subscribe((status, err) => {
        r.statuses.push({ status, at: Date.now(), err: err && err.message })
        if (status === 'SUBSCRIBED') resolve()
        else if (!r.statuses.some((s) => s.status === 'SUBSCRIBED')) reject(new Error(`${r.name}: ${status}`))
      })
    })
  }
  await h.waitFor(() => chg.system.some((p) => p.message === PG_OK), 10000, `${label}: ${PG_OK}`)
  return { label, vsn, gate, client, resume, chg, bc }
}

async function committedIds(url, from) {
  const c = new PgClient({ connectionString: url, connectionTimeoutMillis: 5000 })
  c.on('error', () => {})
  await h.withTimeout(c.connect(), 8000, 'pg connect (check)')
  try {
    const r = await h.withTimeout(c.query('SELECT id FROM public.rs_items WHERE id >= $1 ORDER BY id', [from]), 10000, 'select ids')
    return r.rows.map((x) => x.id)
  } finally {
    await c.end().catch(() => {})
  }
}

/**
 * The scenario of both tests: receivers subscribe, a writer and a broadcaster run, the server is stopped with
 * `signal` mid-stream and restarted on the same port and data dir, the receivers resume; then every committed change
 * must have reached every receiver exactly once, in order.
 */
async function restartScenario(t, signal, startId) {
  const old = ctx.server
  const url = () => old.dbUrl // the embedded port is fixed: the same URL before and after
  const receivers = [await receiver('v2', '2.0.0'), await receiver('v1', '1.0.0')]
  let current = old
  const writer = startWriter(url, startId)
  const broadcaster = startBroadcaster(() => current, 'rs-b')
  let restarted = null
  const marks = {}
  try {
    await h.waitFor(() => writer.ok.length >= 300, 20000, '300 rows before the stop')
    marks.stop = Date.now()
    const exit = await h.signalServer(old, signal, 20000)
    marks.exited = Date.now()
    marks.exit = exit
    const rowsAtExit = writer.ok.length
    // the outage: the writer goes on where it can (SIGKILL: the orphaned postmaster still takes writes)
    await h.sleep(1500)
    marks.restartBegin = Date.now()
    restarted = await h.restartServer(old)
    ctx.server = restarted
    current = restarted
    marks.ready = Date.now()
    marks.rowsDuringOutage = writer.ok.filter((r) => r.at > marks.exited && r.at < marks.ready).length
    marks.rowsAtExit = rowsAtExit
    // clients come back on their own (realtime-js backoff 1 s, 2 s, 5 s, 10 s) and resume
    await h.waitFor(() => receivers.every((r) => r.chg.notices.length >= 1 && r.bc.notices.length >= 1), 30000, 'recovery notices after the restart')
      .catch((e) => { marks.noticeTimeout = e.message })
    marks.resumed = Date.now()
    await h.sleep(1500) // after the outage
  } finally {
    await writer.stop()
    await broadcaster.stop()
  }
  const truth = await committedIds(url(), startId)
  const lastCommitted = truth[truth.length - 1]
  await h.waitFor(() => receivers.every((r) => r.chg.seqs.includes(lastCommitted)), 20000, 'last committed change delivered').catch(() => {})
  await h.sleep(500)

  const outage = { from: marks.exited, to: marks.ready }
  const before = truth.filter((id) => (writer.ok.find((r) => r.id === id) || { at: 0 }).at <= marks.stop)
  const failures = []
  for (const r of receivers) {
    const closes = r.gate.closes.map((c) => ({ code: c.code, at: c.at - marks.stop }))
    const drain = r.chg.system.find((p) => p.message === DRAIN_TEXT)
    const drainB = r.bc.system.find((p) => p.message === DRAIN_TEXT)
    const tally = h.tallySequence(r.chg.seqs, truth.length, truth)
    const lostIds = truth.filter((id) => !r.chg.seqs.includes(id))
    const lostDuring = lostIds.filter((id) => {
      const w = writer.ok.find((x) => x.id === id)
      return w && w.at > outage.from && w.at < outage.to
    }).length
    const bAccepted = broadcaster.accepted.map((x) => x.seq)
    const bTally = h.tallySequence(r.bc.seqs.filter((s) => bAccepted.includes(s)), bAccepted.length, bAccepted)
    report(t, `${signal} ${r.label}`, {
      closes,
      drainNotice: { changes: drain ? drain.at - marks.stop : null, broadcast: drainB ? drainB.at - marks.stop : null },
      changes: { ...tally, lostCommittedDuringOutage: lostDuring, firstLost: lostIds.slice(0, 5) },
      changeNotices: r.chg.notices.map((n) => ({ recovered: n.recovered, count: n.count, msAfterStop: n.at - marks.stop })),
      // [id, ms after the signal] of the last changes received before the close and the first ones after the rejoin
      changesAroundStop: (() => {
        const closeAt = r.gate.closes.length ? r.gate.closes[0].at : marks.stop
        const idx = r.chg.at.findIndex((a) => a > closeAt)
        const cut = idx < 0 ? r.chg.seqs.length : idx
        const pick = (from, to) => r.chg.seqs.slice(Math.max(0, from), to).map((id, k) => [id, r.chg.at[Math.max(0, from) + k] - marks.stop])
        return { beforeClose: pick(cut - 3, cut), afterRejoin: pick(cut, cut + 3) }
      })(),
      broadcasts: { accepted: bAccepted.length, ...bTally, firstLost: bTally.firstLost },
      broadcastNotices: r.bc.notices.map((n) => ({ recovered: n.recovered, count: n.count, msAfterStop: n.at - marks.stop })),
    })
    if (tally.lost || tally.duplicated || tally.outOfOrder) failures.push(`${r.label} changes: ${JSON.stringify({ ...tally, lostCommittedDuringOutage: lostDuring, notices: r.chg.notices.map((n) => n.message) })}`)
    if (bTally.lost && !r.bc.notices.some((n) => !n.recovered)) failures.push(`${r.label} broadcasts: ${bTally.lost} lost without a recovered:false notice`)
    if (bTally.duplicated || bTally.outOfOrder) failures.push(`${r.label} broadcasts: ${JSON.stringify(bTally)}`)
  }
  report(t, `${signal} timeline (ms after the signal)`, {
    exit: marks.exit,
    exitedAfter: marks.exited - marks.stop,
    readyAfter: marks.ready - marks.stop,
    resumedAfter: marks.resumed - marks.stop,
    noticeTimeout: marks.noticeTimeout,
    committed: { total: truth.length, beforeSignal: before.length, duringOutage: marks.rowsDuringOutage, writerErrors: writer.errors },
    broadcastsAccepted: broadcaster.accepted.length,
  })
  return { receivers, failures, marks, truth }
}

test('graceful drain (SIGTERM): system "Server requested disconnect", close 1012, restart on the same data dir, no change lost', async (t) => {
  const { receivers, failures } = await restartScenario(t, 'SIGTERM', 1)
  for (const r of receivers) {
    for (const rec of [r.chg, r.bc]) {
      const notice = rec.system.find((p) => p.message === DRAIN_TEXT)
      assert.ok(notice, `${r.label} ${rec.name}: drain notice; system messages: ${JSON.stringify(rec.system)}`)
      assert.deepEqual({ ...notice, at: undefined }, { extension: 'system', status: 'ok', message: DRAIN_TEXT, channel: rec.name, at: undefined })
    }
    const first = r.gate.closes[0]
    assert.ok(first, `${r.label}: socket closed`)
    assert.equal(first.code, 1012, `${r.label}: close code`)
    assert.ok(r.chg.system.find((p) => p.message === DRAIN_TEXT).at <= first.at, 'the notice comes before the close')
  }
  assert.deepEqual(failures, [], 'every committed change delivered exactly once, in order; broadcasts complete or announced lost')
})

test('crash (SIGKILL) mid-stream, orphaned embedded PostgreSQL cleaned up by the restart: no change lost', async (t) => {
  const { failures, marks } = await restartScenario(t, 'SIGKILL', 100001)
  assert.equal(marks.exit.signal, 'SIGKILL')
  assert.ok(ctx.server.alive, 'the restarted server runs (it stopped the orphaned postmaster)')
  assert.deepEqual(failures, [], 'every change committed before and during the outage delivered exactly once, in order')
})
