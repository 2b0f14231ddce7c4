'use strict'
// Gapless resume (issue 6) with the real realtime-js 2.119.0 plus the client helper clients/js/herald-resume.js.
//
//  1. The helper against a scripted server (no Herald): positions read from JSON, binary kind-4 and postgres_changes
//     frames (vsn 2 and 1), `config.broadcast.herald_resume` in every rejoin (after a drop, a setAuth, a join error),
//     stale frames ignored, onRecovery, keepOnClose, stillMatches.
//  2. Drops mid-stream (one server, change capture on): a 2,000-broadcast JSON stream (REST), a 2,000-broadcast binary
//     stream (kind 3 in, kind 4 out) and a 2,000-change stream; clients dropped from the client side (socket
//     terminated) and from the server side (heartbeats paused → idle timeout) receive every message exactly once,
//     in order.
//  3. Retention and no leaks (change capture on, HERALD_REPLAY_MAX_MESSAGES=300, a policy file): within the window →
//     recovered:true with the exact count; beyond it → recovered:false ("Could not recover…"); replayed changes
//     re-filtered and re-authorised (row policy, PostgreSQL RLS, a token changed to another user, a private channel).
//  4. Slow consumer and age (no change capture, HERALD_OUTBOUND_QUEUE_MAX_MESSAGES small, HERALD_REPLAY_MAX_AGE_MS
//     2 s): one paused socket is closed 1008 "SlowConsumer" while 200 realtime-js clients receive everything (p99
//     reported); a position older than the age bound → recovered:false, an idle channel → recovered:true, 0.
//
// Figures (sent / received / duplicated / lost, recovery times) are printed as test diagnostics.

const test = require('node:test')
const { describe } = test
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const WebSocket = require('ws')
const { Client: PgClient } = require('pg')
const { RealtimeClient } = require('@supabase/realtime-js')
const h = require('../lib/harness')
const { attachResume, onRecovery, stillMatches, readPosition } = require('../../clients/js/herald-resume')

// CI size of the drop streams; HERALD_E2E_STREAM_N=10000 runs the bench size (the file deadline grows with it)
const N = Number(process.env.HERALD_E2E_STREAM_N) || 2000

function report(t, label, obj) {
  const line = `${label}: ${JSON.stringify(obj)}`
  t.diagnostic(line)
  if (process.env.HERALD_E2E_VERBOSE) console.log(line)
}

// ---------------------------------------------------------------------------------------------------------------
// 1. the helper against a scripted server

/** A tiny Phoenix-like server: answers heartbeats, joins (recording their payloads) and leaves; sends what it is told. */
async function scriptedServer() {
  const port = await h.freePort()
  const wss = new WebSocket.Server({ host: '127.0.0.1', port })
  const srv = {
    port,
    url: `http://127.0.0.1:${port}/realtime/v1`,
    conns: [],
    joins: [],
    /** join reply: (topic, payload, joinCount) → {status, response} */
    joinReply: (topic, payload) => ({
      status: 'ok',
      response: { postgres_changes: (payload.config.postgres_changes || []).map((f, i) => ({ ...f, id: 1000 + srv.joins.length * 10 + i })) },
    }),
    close: () => new Promise((resolve) => {
      for (const c of wss.clients) c.terminate()
      wss.close(() => resolve())
    }),
  }
  wss.on('connection', (ws, req) => {
    const v1 = !/vsn=2\.0\.0/.test(req.url)
    const conn = { ws, v1, topics: new Map() }
    srv.conns.push(conn)
    conn.send = (joinRef, ref, topic, event, payload) => {
      ws.send(JSON.stringify(v1 ? { topic, event, payload, ref } : [joinRef, ref, topic, event, payload]))
    }
    /** kind-4 user broadcast with `meta` (object) and a JSON payload */
    conn.sendKind4 = (topic, event, meta, payload) => {
      const t = Buffer.from(topic), e = Buffer.from(event), m = Buffer.from(meta ? JSON.stringify(meta) : ''), p = Buffer.from(JSON.stringify(payload))
      ws.send(Buffer.concat([Buffer.from([4, t.length, e.length, m.length, 1]), t, e, m, p]))
    }
    ws.on('message', (data, isBinary) => {
      if (isBinary) return
      let m
      try { m = JSON.parse(String(data)) } catch { return }
      const [joinRef, ref, topic, event, payload] = Array.isArray(m) ? m : [m.join_ref, m.ref, m.topic, m.event, m.payload]
      if (topic === 'phoenix' && event === 'heartbeat') return conn.send(null, ref, 'phoenix', 'phx_reply', { status: 'ok', response: {} })
      if (event === 'phx_join') {
        srv.joins.push({ topic, payload, joinRef, conn })
        const reply = srv.joinReply(topic, payload, srv.joins.length)
        if (reply) {
          conn.topics.set(topic, joinRef)
          conn.send(joinRef, ref, topic, 'phx_reply', reply)
        }
        return
      }
      if (event === 'phx_leave') {
        conn.topics.delete(topic)
        return conn.send(joinRef, ref, topic, 'phx_reply', { status: 'ok', response: {} })
      }
      if (event === 'access_token') return
    })
  })
  await new Promise((resolve) => wss.on('listening', resolve))
  return srv
}

function scriptedClient(srv, extra = {}) {
  return new RealtimeClient(srv.url, {
    transport: WebSocket,
    params: { apikey: 'scripted' },
    vsn: '2.0.0',
    timeout: 3000,
    reconnectAfterMs: () => 100,
    heartbeatIntervalMs: 30000,
    ...extra,
  })
}

function joinsFor(srv, topic) {
  return srv.joins.filter((j) => j.topic === topic)
}

function pgFrame(ids, id, pos) {
  return {
    ids,
    data: {
      schema: 'public', table: 't', commit_timestamp: '2026-01-01T00:00:00.000Z', type: 'INSERT',
      columns: [{ name: 'id', type: 'int4' }], record: { id }, errors: null,
    },
    ...(pos ? { herald_pos: pos } : {}),
  }
}

describe('herald-resume helper against a scripted server', () => {
  let srv
  const clients = []
  test.before(async () => { srv = await scriptedServer() })
  test.after(async () => {
    for (const c of clients) await h.closeClient(c, { leave: false }).catch(() => {})
    await srv.close()
  })

  test('vsn 2: positions from JSON, kind-4 and postgres_changes frames go into every rejoin; config kept', async () => {
    const client = scriptedClient(srv)
    clients.push(client)
    const resume = attachResume(client)
    assert.equal(attachResume(client), resume, 'attachResume is idempotent per client')
    const ch = client.channel('room', { config: { broadcast: { ack: false, self: true, custom: 'kept' } } })
    const got = []
    ch.on('broadcast', { event: '*' }, (p) => got.push(p))
    ch.on('postgres_changes', { event: 'INSERT', schema: 'public', table: 't', filter: 'id=gt.0' }, (p) => got.push(p))
    await h.subscribe(ch)
    const first = joinsFor(srv, 'realtime:room')
    assert.equal(first.length, 1)
    assert.equal(first[0].payload.config.broadcast.herald_resume, undefined, 'no resume key before any position')
    const { conn } = first[0]
    const pgId = ch.bindings.postgres_changes[0].id // the id the scripted join reply gave the binding
    conn.send(null, null, 'realtime:room', 'broadcast', { type: 'broadcast', event: 'e', payload: { n: 1 }, meta: { herald_pos: 'b:E:1' } })
    conn.sendKind4('realtime:room', 'e', { herald_pos: 'b:E:2' }, { n: 2 })
    conn.send(null, null, 'realtime:room', 'postgres_changes', pgFrame([pgId], 7, 'c:00000000016B3748:00000000016B3790'))
    // not recorded: another topic, a stale join_ref, no position
    conn.send(null, null, 'realtime:other', 'broadcast', { type: 'broadcast', event: 'e', payload: {}, meta: { herald_pos: 'b:E:99' } })
    conn.send('stale', null, 'realtime:room', 'broadcast', { type: 'broadcast', event: 'e', payload: {}, meta: { herald_pos: 'b:E:98' } })
    conn.send(null, null, 'realtime:room', 'broadcast', { type: 'broadcast', event: 'e', payload: { n: 3 } })
    await h.waitFor(() => got.length === 4, 3000, 'four deliveries')
    assert.deepEqual(resume.positions(ch), { broadcast: 'b:E:2', changes: 'c:00000000016B3748:00000000016B3790' })
    assert.deepEqual(resume.positions('room'), resume.positions(ch), 'by name too')
    assert.equal(got[2].new.id, 7, 'the postgres_changes callback still gets the realtime-js payload')

    // drop from the server side: realtime-js reconnects and rejoins with the positions
    conn.ws.terminate()
    await h.waitFor(() => joinsFor(srv, 'realtime:room').length === 2, 5000, 'rejoin')
    const re = joinsFor(srv, 'realtime:room')[1].payload
    assert.deepEqual(re.config.broadcast, { ack: false, self: true, custom: 'kept', herald_resume: { broadcast: 'b:E:2', changes: 'c:00000000016B3748:00000000016B3790' } })
    assert.deepEqual(re.config.postgres_changes, [{ event: 'INSERT', schema: 'public', table: 't', filter: 'id=gt.0' }])
    assert.equal(re.config.private, false)
    assert.equal(ch.params.config.broadcast.herald_resume, undefined, "the channel's own config object is not modified")

    // setAuth replaces the join payload function: the next join still carries the latest positions
    await h.waitFor(() => ch.state === 'joined', 3000, 'joined again')
    const conn2 = joinsFor(srv, 'realtime:room')[1].conn
    conn2.sendKind4('realtime:room', 'e', { herald_pos: 'b:E:3' }, { n: 4 })
    await h.waitFor(() => resume.positions(ch).broadcast === 'b:E:3', 3000, 'position b:E:3')
    await client.setAuth('token-2')
    conn2.ws.terminate()
    await h.waitFor(() => joinsFor(srv, 'realtime:room').length === 3, 5000, 'second rejoin')
    const re2 = joinsFor(srv, 'realtime:room')[2].payload
    assert.equal(re2.access_token, 'token-2')
    assert.deepEqual(re2.config.broadcast.herald_resume, { broadcast: 'b:E:3', changes: 'c:00000000016B3748:00000000016B3790' })

    // forget(): the next join starts live, although setAuth stored a payload read with the old positions in it
    await h.waitFor(() => ch.state === 'joined', 3000, 'joined a third time')
    resume.forget(ch)
    joinsFor(srv, 'realtime:room')[2].conn.ws.terminate()
    await h.waitFor(() => joinsFor(srv, 'realtime:room').length === 4, 5000, 'third rejoin')
    assert.deepEqual(joinsFor(srv, 'realtime:room')[3].payload.config.broadcast, { ack: false, self: true, custom: 'kept' })
  })

  test('a join refused then retried (rejoin timer, socket up) carries the latest positions', async () => {
    const client = scriptedClient(srv)
    clients.push(client)
    const resume = attachResume(client)
    const ch = client.channel('retry')
    ch.on('broadcast', { event: '*' }, () => {})
    await h.subscribe(ch)
    const { conn } = joinsFor(srv, 'realtime:retry')[0]
    conn.send(null, null, 'realtime:retry', 'broadcast', { type: 'broadcast', event: 'e', payload: {}, meta: { herald_pos: 'b:R:5' } })
    await h.waitFor(() => resume.positions(ch).broadcast === 'b:R:5', 3000, 'position')
    // the server errors the channel; its rejoin is refused once, then accepted
    let refusals = 0
    const base = srv.joinReply
    srv.joinReply = (topic, payload, n) => (topic === 'realtime:retry' && refusals++ === 0 ? { status: 'error', response: { reason: 'try again' } } : base(topic, payload, n))
    try {
      const jr = joinsFor(srv, 'realtime:retry')[0].joinRef
      conn.send(jr, jr, 'realtime:retry', 'phx_error', {})
      await h.waitFor(() => joinsFor(srv, 'realtime:retry').length >= 3, 8000, 'refused rejoin, then a retry')
    } finally {
      srv.joinReply = base
    }
    for (const j of joinsFor(srv, 'realtime:retry').slice(1)) {
      assert.deepEqual(j.payload.config.broadcast.herald_resume, { broadcast: 'b:R:5' })
    }
  })

  test('vsn 1: positions from object frames; onRecovery after the app listener; removeChannel forgets, keepOnClose keeps', async () => {
    const client = scriptedClient(srv, { vsn: '1.0.0' })
    clients.push(client)
    const resume = attachResume(client)
    const ch = client.channel('v1room')
    const order = []
    ch.on('system', {}, (p) => order.push(`app:${p.stream}`))
    const notices = []
    const off = onRecovery(ch, (info) => { order.push(`helper:${info.stream}`); notices.push(info) })
    ch.on('broadcast', { event: '*' }, () => {})
    await h.subscribe(ch)
    const { conn, joinRef } = joinsFor(srv, 'realtime:v1room')[0]
    conn.send(null, null, 'realtime:v1room', 'broadcast', { type: 'broadcast', event: 'e', payload: {}, meta: { herald_pos: 'b:V:1' } })
    conn.send(joinRef, null, 'realtime:v1room', 'system', { extension: 'system', status: 'ok', message: 'Recovered 12 messages', channel: 'v1room', recovered: true, stream: 'broadcast' })
    conn.send(joinRef, null, 'realtime:v1room', 'system', { extension: 'system', status: 'ok', message: 'Could not recover: outside the window', channel: 'v1room', recovered: false, stream: 'changes' })
    await h.waitFor(() => notices.length === 2, 3000, 'two notices')
    assert.deepEqual(order, ['app:broadcast', 'helper:broadcast', 'app:changes', 'helper:changes'])
    assert.deepEqual(notices.map(({ recovered, stream, count }) => ({ recovered, stream, count })),
      [{ recovered: true, stream: 'broadcast', count: 12 }, { recovered: false, stream: 'changes', count: 0 }])
    off()
    assert.deepEqual(resume.positions(ch), { broadcast: 'b:V:1' })

    // a new channel on the same topic after removeChannel starts live
    await client.removeChannel(ch)
    const again = client.channel('v1room')
    again.on('broadcast', { event: '*' }, () => {})
    await h.subscribe(again)
    const joins = joinsFor(srv, 'realtime:v1room')
    assert.equal(joins[joins.length - 1].payload.config.broadcast.herald_resume, undefined)
    await client.removeChannel(again)

    // keepOnClose: a new channel resumes where the old one stopped; setPositions seeds a topic
    const client2 = scriptedClient(srv)
    clients.push(client2)
    const keep = attachResume(client2, { keepOnClose: true })
    keep.setPositions('seeded', { broadcast: 'b:S:40', changes: 'c:1:2' })
    const seeded = client2.channel('seeded')
    seeded.on('broadcast', { event: '*' }, () => {})
    await h.subscribe(seeded)
    assert.deepEqual(joinsFor(srv, 'realtime:seeded')[0].payload.config.broadcast.herald_resume, { broadcast: 'b:S:40', changes: 'c:1:2' })
    await client2.removeChannel(seeded)
    const seeded2 = client2.channel('seeded')
    seeded2.on('broadcast', { event: '*' }, () => {})
    await h.subscribe(seeded2)
    assert.deepEqual(joinsFor(srv, 'realtime:seeded')[1].payload.config.broadcast.herald_resume, { broadcast: 'b:S:40', changes: 'c:1:2' })
  })

  test('a join reply carrying herald_pos seeds a stream the channel listens to and has no position for', async () => {
    const client = scriptedClient(srv)
    clients.push(client)
    const resume = attachResume(client)
    const base = srv.joinReply
    srv.joinReply = (topic, payload, n) => {
      const r = base(topic, payload, n)
      if (topic === 'realtime:seed-reply') r.response.herald_pos = { broadcast: 'b:J:10', changes: 'c:J:20' }
      return r
    }
    try {
      const ch = client.channel('seed-reply')
      ch.on('broadcast', { event: '*' }, () => {})
      await h.subscribe(ch)
      // no postgres_changes binding: the changes stream is not resumed (Herald would announce a recovery nobody sees)
      assert.deepEqual(resume.positions(ch), { broadcast: 'b:J:10' })
      const { conn } = joinsFor(srv, 'realtime:seed-reply')[0]
      conn.sendKind4('realtime:seed-reply', 'e', { herald_pos: 'b:J:11' }, {})
      await h.waitFor(() => resume.positions(ch).broadcast === 'b:J:11', 3000, 'b:J:11')
      conn.ws.terminate()
      await h.waitFor(() => joinsFor(srv, 'realtime:seed-reply').length === 2, 5000, 'rejoin')
      // the reply to the resumed join does not move positions back to the head
      assert.deepEqual(joinsFor(srv, 'realtime:seed-reply')[1].payload.config.broadcast.herald_resume, { broadcast: 'b:J:11' })
      await h.waitFor(() => ch.state === 'joined', 3000, 'joined')
      assert.deepEqual(resume.positions(ch), { broadcast: 'b:J:11' })

      // a channel with only postgres_changes bindings resumes only the changes stream
      const pg = client.channel('seed-reply-pg')
      pg.on('postgres_changes', { event: 'INSERT', schema: 'public', table: 't' }, () => {})
      srv.joinReply = (topic, payload, n) => {
        const r = base(topic, payload, n)
        r.response.herald_pos = { broadcast: 'b:J:10', changes: 'c:J:20' }
        return r
      }
      await h.subscribe(pg)
      assert.deepEqual(resume.positions(pg), { changes: 'c:J:20' })
      joinsFor(srv, 'realtime:seed-reply-pg')[0].conn.ws.terminate()
      await h.waitFor(() => joinsFor(srv, 'realtime:seed-reply-pg').length === 2, 5000, 'rejoin pg')
      assert.deepEqual(joinsFor(srv, 'realtime:seed-reply-pg')[1].payload.config.broadcast.herald_resume, { changes: 'c:J:20' })
    } finally {
      srv.joinReply = base
    }
  })

  test('readPosition and stillMatches', () => {
    assert.deepEqual(readPosition({ event: 'broadcast', payload: { meta: { herald_pos: 'b:x:1' } } }), { kind: 'broadcast', position: 'b:x:1' })
    assert.deepEqual(readPosition({ event: 'postgres_changes', payload: { ids: [1], data: {}, herald_pos: 'c:1:2' } }), { kind: 'changes', position: 'c:1:2' })
    assert.equal(readPosition({ event: 'presence_diff', payload: { herald_pos: 'b:x:1' } }), null)
    const cases = [
      ['room=eq.1', { room: 1 }, true],
      ['room=eq.1', { room: 2 }, false],
      ['room=eq.1', { room: null }, false],
      ['room=not.eq.1', { room: null }, false], // NULL: unknown, also negated
      ['room=neq.1', { room: 2 }, true],
      ['room=eq.1', {}, false], // column not in the row
      ['n=gt.5,n=lte.10', { n: 10 }, true],
      ['n=gt.5,n=lte.10', { n: 11 }, false],
      ['n=lt.2.5', { n: 2.4 }, true],
      ['n=gte.abc', { n: 1 }, false],
      ['s=in.(a,"b,c", d )', { s: 'b,c' }, true],
      ['s=in.(a,"b,c", d )', { s: 'd' }, true],
      ['s=in.(a,b)', { s: 'z' }, false],
      ['s=not.in.(a,b)', { s: 'z' }, true],
      ['s=not.in.(a,NULL)', { s: 'z' }, false], // x <> ALL('{a,NULL}') is NULL
      ['s=in.(a,NULL)', { s: 'a' }, true],
      ['s=is.null', { s: null }, true],
      ['s=not.is.null', { s: null }, false],
      ['s=not.is.null', { s: 'x' }, true],
      ['b=is.true', { b: true }, true],
      ['b=is.false', { b: true }, false],
      ['b=not.is.true', { b: null }, true], // NULL IS NOT TRUE
      ['b=is.unknown', { b: null }, true],
      ['b=eq.t', { b: true }, true],
      ['t=lt.b', { t: 'a' }, true],
      ['t=gt.Z', { t: 'a' }, true], // code point order: 'a' (97) > 'Z' (90)
      ['t=gt.\uFFFF', { t: '\u{1F600}' }, true], // code points, not UTF-16 units
      ['t=eq."a.b"', { t: 'a.b' }, true],
      ['t=eq."say \\"hi\\""', { t: 'say "hi"' }, true],
      ['u=eq.6B1D0F3E-0000-4000-8000-000000000001', { u: '6b1d0f3e-0000-4000-8000-000000000001' }, true],
      ['at=gt.2026-01-01 00:00:00', { at: '2026-01-01T00:00:00.5' }, true],
      ['at=lt.2026-01-01T00:00:00+00:00', { at: '2025-12-31T23:30:00-01:00' }, false], // 00:30 UTC
      ['', { x: 1 }, true],
    ]
    for (const [filter, row, want] of cases) {
      assert.equal(stillMatches(filter, row), want, `${filter} on ${JSON.stringify(row)}`)
    }
    assert.throws(() => stillMatches('t=like.a%', { t: 'ab' }), /not supported/)
    assert.throws(() => stillMatches('j=eq.1', { j: { a: 1 } }), /only numbers, booleans and text/)
    assert.throws(() => stillMatches('x=in.1,2', { x: 1 }), /parentheses/)
    assert.equal(stillMatches({ build: () => 'id=eq.3' }, { id: 3 }), true, 'filter builder')
  })
})

// ---------------------------------------------------------------------------------------------------------------
// shared by the Herald sections

const PG_OK = 'Subscribed to PostgreSQL'
const DEADLINE_MS = 300000 + (N > 2000 ? (N / 2000) * 60000 : 0) // the whole file, from each server's start

/** Subscribe, keeping every status with its time in `rec.statuses`; resolves on the first SUBSCRIBED. */
function subscribeTracked(ch, rec, ms = 10000) {
  const d = h.deferred()
  ch.subscribe((status, err) => {
    rec.statuses.push({ status, at: Date.now(), err: err && err.message })
    if (status === 'SUBSCRIBED') {
      rec.joinedAt.push(Date.now())
      rec.receivedAtJoin = rec.seqs.length
      d.resolve()
    } else if (rec.statuses.filter((s) => s.status === 'SUBSCRIBED').length === 0) {
      d.reject(new Error(`${ch.topic}: ${status}${err ? ` ${err.message}` : ''}`))
    }
  })
  return h.withTimeout(d.promise, ms, `SUBSCRIBED on ${ch.topic}`)
}

/**
 * One stream on one channel of a client: `kind` 'broadcast' (event 'm', payload {seq}) or 'changes' (INSERTs on
 * `table`, seq = id - 1). Records seqs in arrival order, the system messages and the recovery notices (with how many
 * messages arrived between the join reply and the notice).
 */
function streamChannel(client, resume, name, kind, table) {
  const rec = { name, kind, seqs: [], at: [], system: [], notices: [], statuses: [], joinedAt: [], receivedAtJoin: 0 }
  const ch = client.channel(name)
  if (kind === 'broadcast') {
    ch.on('broadcast', { event: 'm' }, (p) => {
      rec.seqs.push(p.payload.seq)
      rec.at.push(Date.now())
    })
  } else {
    ch.on('postgres_changes', { event: 'INSERT', schema: 'public', table }, (p) => {
      rec.seqs.push(p.new.id - 1)
      rec.at.push(Date.now())
    })
  }
  ch.on('system', {}, (p) => rec.system.push({ ...p, at: Date.now() }))
  resume.onRecovery(ch, (info) => {
    rec.notices.push({
      stream: info.stream,
      recovered: info.recovered,
      count: info.count,
      message: info.message,
      at: Date.now(),
      afterJoinMs: rec.joinedAt.length ? Date.now() - rec.joinedAt[rec.joinedAt.length - 1] : undefined,
      sinceJoin: rec.seqs.length - rec.receivedAtJoin,
    })
  })
  rec.ch = ch
  return rec
}

function pgSystemOk(rec, since = 0) {
  return rec.system.slice(since).some((p) => p.extension === 'postgres_changes' && p.status === 'ok' && p.message === PG_OK)
}

/** A pg client on the server's embedded database (bounded queries). */
async function pgConnect(url) {
  const db = new PgClient({ connectionString: url, connectionTimeoutMillis: 5000 })
  db.on('error', () => {})
  await h.withTimeout(db.connect(), 8000, 'pg connect')
  db.q = (text, params) => h.withTimeout(db.query(text, params), 15000, `SQL: ${text.slice(0, 80)}`)
  return db
}

// ---------------------------------------------------------------------------------------------------------------
// 2. drops mid-stream

describe('drops mid-stream: 2,000 JSON broadcasts, 2,000 binary broadcasts, 2,000 changes — exactly once, in order', () => {
  const IDLE_MS = 1500
  const HEARTBEAT_MS = 500
  let db = null
  const ctx = h.useServer(
    test,
    { HERALD_CDC_ENABLED: 'true', HERALD_WS_IDLE_TIMEOUT_MS: String(IDLE_MS) },
    {
      deadlineMs: DEADLINE_MS,
      setup: async (server) => {
        db = await pgConnect(server.dbUrl)
        await db.q('CREATE TABLE public.resume_items (id int PRIMARY KEY, note text)')
      },
      teardown: async () => { if (db) await h.withTimeout(db.end(), 5000, 'pg end').catch(() => {}) },
    }
  )

  /** A receiving client on the three stream channels, behind a gate. */
  async function receiver(label, vsn) {
    const gate = await h.createGate()
    const client = h.createClient(ctx, { vsn, transport: gate.transport, heartbeatIntervalMs: HEARTBEAT_MS })
    const resume = attachResume(client)
    const streams = {
      json: streamChannel(client, resume, 'res-json', 'broadcast'),
      bin: streamChannel(client, resume, 'res-bin', 'broadcast'),
      pg: streamChannel(client, resume, 'res-pg', 'changes', 'resume_items'),
    }
    await Promise.all(Object.values(streams).map((r) => subscribeTracked(r.ch, r)))
    await h.waitFor(() => pgSystemOk(streams.pg), 10000, `${label}: ${PG_OK}`)
    return { label, vsn, gate, client, resume, streams, planned: [] }
  }

  test('client-side drops (socket terminated) and server-side drops (idle timeout) while three streams run', async (t) => {
    const server = ctx.server
    // publisher of the binary stream: realtime-js sends kind 3, vsn-2 subscribers get kind 4 with herald_pos metadata
    const pubClient = h.createClient(ctx, { heartbeatIntervalMs: HEARTBEAT_MS })
    const pubCh = pubClient.channel('res-bin')
    await h.subscribe(pubCh)

    const victims = {
      control: await receiver('control v2 (no planned drop)', '2.0.0'),
      clientV2: await receiver('client-side drops v2', '2.0.0'),
      clientV1: await receiver('client-side drops v1', '1.0.0'),
      serverV2: await receiver('server-side drops v2 (idle timeout)', '2.0.0'),
    }
    const all = Object.values(victims)

    // server-side drop: stop heartbeats until the server closes the socket as idle
    function pauseHeartbeats(v) {
      const sock = v.client.socketAdapter.getSocket()
      const original = sock.sendHeartbeat
      const closesBefore = v.gate.closes.length
      sock.sendHeartbeat = () => {}
      v.planned.push({ kind: 'server', at: Date.now() })
      const timer = setInterval(() => {
        if (v.gate.closes.length > closesBefore) {
          sock.sendHeartbeat = original
          clearInterval(timer)
        }
      }, 20)
    }
    function clientDrop(v) {
      v.planned.push({ kind: 'client', at: Date.now() })
      v.gate.drop()
    }
    const at = (k) => Math.round((k * N) / 2000) // positions in the JSON stream, scaled for HERALD_E2E_STREAM_N
    const triggers = [
      { v: victims.clientV2, at: at(400), fire: clientDrop },
      { v: victims.clientV2, at: at(1300), fire: clientDrop },
      { v: victims.clientV1, at: at(700), fire: clientDrop },
      { v: victims.clientV1, at: at(1500), fire: clientDrop },
      { v: victims.serverV2, at: at(300), fire: pauseHeartbeats },
      { v: victims.serverV2, at: at(1200), fire: pauseHeartbeats },
    ]
    const monitor = setInterval(() => {
      for (const tr of triggers) {
        // one drop at a time per client: the previous one has closed the socket and every channel is joined again
        const busy = tr.v.gate.closes.length < tr.v.planned.length || Object.values(tr.v.streams).some((r) => r.ch.state !== 'joined')
        if (!tr.done && !busy && tr.v.streams.json.seqs.length >= tr.at) {
          tr.done = true
          tr.fire(tr.v)
        }
      }
    }, 5)

    const BATCH = 20
    const TICK_MS = 50
    const started = Date.now()
    const publishers = [
      (async () => { // JSON broadcasts through the REST batch endpoint (text frames, meta.herald_pos)
        for (let i = 0; i < N; i += BATCH) {
          const messages = []
          for (let s = i; s < Math.min(N, i + BATCH); s++) messages.push({ topic: 'res-json', event: 'm', payload: { seq: s } })
          const r = await h.restBroadcast(server, messages)
          assert.equal(r.status, 202, r.body)
          await h.sleep(TICK_MS)
        }
      })(),
      (async () => { // user broadcasts over the websocket (kind 3 in, kind 4 out to vsn 2, JSON to vsn 1)
        for (let i = 0; i < N; i += BATCH) {
          for (let s = i; s < Math.min(N, i + BATCH); s++) {
            assert.equal(await pubCh.send({ type: 'broadcast', event: 'm', payload: { seq: s } }), 'ok')
          }
          await h.sleep(TICK_MS)
        }
      })(),
      (async () => { // committed changes, BATCH rows per transaction
        for (let i = 0; i < N; i += BATCH) {
          await db.q('INSERT INTO public.resume_items (id) SELECT g FROM generate_series($1::int, $2::int) g', [i + 1, Math.min(N, i + BATCH)])
          await h.sleep(TICK_MS)
        }
      })(),
    ]
    try {
      await h.withTimeout(Promise.all(publishers), 60000 + N * 20, 'publishers')
      const publishedIn = Date.now() - started
      const settled = (v) => v.gate.closes.length >= v.planned.length && Object.values(v.streams).every((r) => r.ch.state === 'joined')
      const complete = () => triggers.every((tr) => tr.done) && all.every((v) => settled(v) && Object.values(v.streams).every((r) => new Set(r.seqs).size >= N))
      await h.waitFor(complete, 30000 + N * 5, 'every receiver complete on every stream').catch(() => {})
      await h.sleep(500) // late duplicates would show up here
      report(t, 'publish duration ms', publishedIn)
    } finally {
      clearInterval(monitor)
    }

    // figures
    const failures = []
    for (const v of all) {
      const drops = v.gate.closes.map((c) => ({ code: c.code, at: c.at - started }))
      const recovery = v.gate.closes.map((c) => {
        const next = {}
        for (const [key, r] of Object.entries(v.streams)) {
          const n = r.notices.find((x) => x.at >= c.at)
          next[key] = n ? { ms: n.at - c.at, joinToNoticeMs: n.afterJoinMs, recovered: n.recovered, count: n.count, sinceJoin: n.sinceJoin } : null
        }
        return next
      })
      report(t, `${v.label}: socket closes (code, ms after start)`, drops)
      report(t, `${v.label}: planned drops`, v.planned.map((p) => ({ kind: p.kind, at: p.at - started })))
      report(t, `${v.label}: per close, per stream: close → recovery notice (ms), join reply → notice (ms), recovered, count, messages between join reply and notice`, recovery)
      for (const [key, r] of Object.entries(v.streams)) {
        const tally = h.tallySequence(r.seqs, N)
        report(t, `${v.label} ${key}`, tally)
        if (tally.duplicated || tally.lost || tally.outOfOrder || tally.unexpected) failures.push(`${v.label} ${key}: ${JSON.stringify(tally)}`)
        for (const n of r.notices) {
          if (!n.recovered) failures.push(`${v.label} ${key}: recovered:false (${n.message})`)
        }
      }
    }
    assert.deepEqual(failures, [], 'every message exactly once, in order, on every stream of every client')

    for (const v of all) {
      // every planned drop ended in a reconnect, and every rejoin stated its positions
      assert.equal(v.planned.length, v === victims.control ? 0 : 2, `${v.label}: planned drops fired`)
      assert.ok(v.gate.closes.length >= v.planned.length, `${v.label}: closes ${v.gate.closes.length}`)
      if (v === victims.serverV2) {
        assert.ok(v.gate.closes.length >= 2, 'server-side drops happened')
      }
      for (const [key, r] of Object.entries(v.streams)) {
        const joins = v.gate.joins.filter((j) => j.topic === r.ch.topic)
        assert.equal(joins.length, v.gate.closes.length + 1, `${v.label} ${key}: one join per connection`)
        assert.equal(joins[0].payload.config.broadcast.herald_resume, undefined, `${v.label} ${key}: first join without resume`)
        for (const j of joins.slice(1)) {
          const hr = j.payload.config.broadcast.herald_resume
          assert.ok(hr && typeof hr[r.kind] === 'string', `${v.label} ${key}: rejoin carried herald_resume.${r.kind}: ${JSON.stringify(j.payload.config.broadcast)}`)
        }
        assert.equal(r.notices.length, v.gate.closes.length, `${v.label} ${key}: one recovery notice per rejoin: ${JSON.stringify(r.notices)}`)
      }
    }

    // the notice comes after the replay and before any live message: messages between the join reply and the
    // notice must equal the replayed count
    const early = []
    for (const v of all) {
      for (const [key, r] of Object.entries(v.streams)) {
        for (const n of r.notices) if (n.recovered && n.sinceJoin !== n.count) early.push(`${v.label} ${key}: notice says ${n.count}, ${n.sinceJoin} arrived between join reply and notice`)
      }
    }
    assert.deepEqual(early, [], 'live messages arrived before the recovery notice')
  })
})

// ---------------------------------------------------------------------------------------------------------------
// 3. retention window and no leaks

/** A realtime-js client behind a gate that reconnects every 200 ms (controlled outages), with the helper. */
async function gatedClient(ctx, extra = {}) {
  const gate = await h.createGate()
  const client = h.createClient(ctx, { transport: gate.transport, reconnectAfterMs: () => 200, ...extra })
  const resume = attachResume(client)
  return { gate, client, resume }
}

/** Cut the gate and wait until the socket is gone and every channel of the client has noticed. */
async function goOffline(c) {
  const before = c.gate.closes.length
  c.gate.cut()
  await h.waitFor(() => c.gate.closes.length > before, 5000, 'socket closed')
  await h.waitFor(() => c.client.getChannels().every((ch) => ch.state !== 'joined'), 5000, 'channels errored')
}

/** Restore the gate and wait for `n` more recovery notices on `rec` (bounded). */
async function comeBack(c, recs, ms = 15000) {
  const before = recs.map((r) => r.notices.length)
  c.gate.restore()
  await h.waitFor(() => recs.every((r, i) => r.notices.length > before[i]), ms, `recovery notices on ${recs.map((r) => r.name).join(', ')}`).catch((e) => {
    const state = { opens: c.gate.opens.length, closes: c.gate.closes, joins: c.gate.joins.length, channels: recs.map((r) => ({ name: r.name, state: r.ch.state, statuses: r.statuses.map((s) => s.status + (s.err ? `(${s.err})` : '')), system: r.system })) }
    throw new Error(`${e.message}; ${JSON.stringify(state)}`)
  })
  return recs.map((r, i) => r.notices.slice(before[i]))
}

const POLICY = {
  comment: 'e2e 14-resume',
  channels: [{ topic: 'inbox:{sub}', read: { roles: ['authenticated'] } }],
  rows: [{ table: 'public.notes', column: 'owner', claim: 'sub' }],
}

describe('retention window (HERALD_REPLAY_MAX_MESSAGES=300) and resume never leaks', () => {
  let db = null
  const ctx = h.useServer(
    test,
    { HERALD_CDC_ENABLED: 'true', HERALD_REPLAY_MAX_MESSAGES: '300' },
    {
      deadlineMs: DEADLINE_MS,
      beforeStart: (dataDir) => {
        const file = path.join(dataDir, 'policies.json')
        fs.writeFileSync(file, JSON.stringify(POLICY, null, 2))
        return { HERALD_POLICY_FILE: file }
      },
      setup: async (server) => {
        db = await pgConnect(server.dbUrl)
        await db.q(`
          CREATE TABLE public.ret_items (id int PRIMARY KEY);
          CREATE TABLE public.notes (id int PRIMARY KEY, owner text, body text);
          GRANT SELECT ON public.notes TO authenticated;
          CREATE TABLE public.rls_notes (id int PRIMARY KEY, owner text, body text);
          ALTER TABLE public.rls_notes ENABLE ROW LEVEL SECURITY;
          CREATE POLICY rls_notes_own ON public.rls_notes FOR SELECT TO authenticated USING (owner = auth.jwt() ->> 'sub');
          GRANT SELECT ON public.rls_notes TO authenticated;
        `)
      },
      teardown: async () => { if (db) await h.withTimeout(db.end(), 5000, 'pg end').catch(() => {}) },
    }
  )

  async function publish(server, topic, from, to, extra = {}) {
    for (let i = from; i < to; i += 100) {
      const messages = []
      for (let s = i; s < Math.min(to, i + 100); s++) messages.push({ topic, event: 'm', payload: { seq: s }, ...extra })
      const r = await h.restBroadcast(server, messages)
      assert.equal(r.status, 202, r.body)
    }
  }
  const insert = (table, from, to) => db.q(`INSERT INTO public.${table} (id) SELECT g FROM generate_series($1::int, $2::int) g`, [from + 1, to])

  test('within the window: recovered:true with the exact count; beyond it: recovered:false ("Could not recover…"), then live again', async (t) => {
    const server = ctx.server
    const c = await gatedClient(ctx)
    const b = streamChannel(c.client, c.resume, 'ret', 'broadcast')
    const chg = streamChannel(c.client, c.resume, 'ret-pg', 'changes', 'ret_items')
    await Promise.all([subscribeTracked(b.ch, b), subscribeTracked(chg.ch, chg)])
    await h.waitFor(() => pgSystemOk(chg), 10000, PG_OK)
    await publish(server, 'ret', 0, 5)
    await insert('ret_items', 0, 5)
    await h.waitFor(() => b.seqs.length === 5 && chg.seqs.length === 5, 8000, 'first five of each')

    // 100 missed (< 300): everything replayed
    await goOffline(c)
    let t0 = Date.now()
    await publish(server, 'ret', 5, 105)
    await insert('ret_items', 5, 105)
    await h.sleep(300) // the change feed has them
    let [nb, nc] = await comeBack(c, [b, chg])
    report(t, 'within window (100 missed of each)', { broadcast: nb, changes: nc, outageMs: Date.now() - t0 })
    assert.deepEqual(nb.map((n) => [n.recovered, n.count]), [[true, 100]])
    assert.deepEqual(nc.map((n) => [n.recovered, n.count]), [[true, 100]])
    await h.waitFor(() => b.seqs.length >= 105 && chg.seqs.length >= 105, 5000, 'replayed messages')
    assert.deepEqual(h.tallySequence(b.seqs, 105), h.tallySequence(Array.from({ length: 105 }, (_, i) => i), 105))
    assert.deepEqual(b.seqs, Array.from({ length: 105 }, (_, i) => i))
    assert.deepEqual(chg.seqs, Array.from({ length: 105 }, (_, i) => i))

    // 400 missed (> 300): told to refetch
    await goOffline(c)
    t0 = Date.now()
    await publish(server, 'ret', 105, 505)
    await insert('ret_items', 105, 505)
    await h.sleep(300)
    ;[nb, nc] = await comeBack(c, [b, chg])
    await h.sleep(300)
    const replayedAnyway = { broadcast: b.seqs.length - 105, changes: chg.seqs.length - 105 }
    report(t, 'beyond window (400 missed of each)', { broadcast: nb, changes: nc, deliveredOfTheMissed: replayedAnyway })
    for (const [label, n] of [['broadcast', nb], ['changes', nc]]) {
      assert.equal(n.length, 1, `${label}: one notice`)
      assert.equal(n[0].recovered, false, `${label}: ${JSON.stringify(n[0])}`)
      assert.equal(n[0].stream, label)
      assert.match(n[0].message, /^Could not recover/)
    }
    assert.deepEqual(replayedAnyway, { broadcast: 0, changes: 0 }, 'nothing of the lost window is replayed with recovered:false')

    // live again; the next outage resumes from the new positions
    await publish(server, 'ret', 505, 510)
    await insert('ret_items', 505, 510)
    await h.waitFor(() => b.seqs.length === 110 && chg.seqs.length === 110, 8000, 'live after recovered:false')
    assert.deepEqual(b.seqs.slice(105), [505, 506, 507, 508, 509])
    assert.deepEqual(chg.seqs.slice(105), [505, 506, 507, 508, 509])
    await goOffline(c)
    await publish(server, 'ret', 510, 520)
    await insert('ret_items', 510, 520)
    await h.sleep(300)
    ;[nb, nc] = await comeBack(c, [b, chg])
    assert.deepEqual([nb[0].recovered, nb[0].count, nc[0].recovered, nc[0].count], [true, 10, true, 10])
    await h.waitFor(() => b.seqs.length === 120 && chg.seqs.length === 120, 5000, 'replayed after the second outage')
    assert.deepEqual(b.seqs.slice(110), Array.from({ length: 10 }, (_, i) => 510 + i))
    assert.deepEqual(chg.seqs.slice(110), Array.from({ length: 10 }, (_, i) => 510 + i))
  })

  /** notes-like row `id`s of `owner`, with every third row of each owner's body 'skip' (filtered out). */
  function noteRows(from, count) {
    const rows = []
    for (let i = 0; i < count; i++) {
      const id = from + i
      rows.push({ id, owner: i % 2 === 0 ? 'user-a' : 'user-b', body: id % 3 === 0 ? 'skip' : `note ${id}` })
    }
    return rows
  }
  async function insertNotes(table, rows) {
    for (const r of rows) await db.q(`INSERT INTO public.${table} (id, owner, body) VALUES ($1, $2, $3)`, [r.id, r.owner, r.body])
  }
  function noteChannel(c, name, table, filter) {
    const rec = { name, seqs: [], rows: [], system: [], notices: [], statuses: [], joinedAt: [], receivedAtJoin: 0 }
    const ch = c.client.channel(name)
    ch.on('postgres_changes', { event: '*', schema: 'public', table, ...(filter ? { filter } : {}) }, (p) => {
      rec.rows.push(p.new)
      rec.seqs.push(p.new.id)
    })
    ch.on('system', {}, (p) => rec.system.push(p))
    c.resume.onRecovery(ch, (info) => rec.notices.push({ ...info, channel: undefined, sinceJoin: rec.seqs.length - rec.receivedAtJoin }))
    rec.ch = ch
    return rec
  }

  for (const [table, how] of [['notes', 'row policy (policy file)'], ['rls_notes', 'PostgreSQL RLS']]) {
    test(`${how}: a resumed replay is filtered and authorised for the resuming subscriber (and a token switched to another user gets only that user's rows)`, async (t) => {
      const secret = ctx.server.secret
      const tokenA = await h.mintToken(secret, { role: 'authenticated', sub: 'user-a' })
      const tokenB = await h.mintToken(secret, { role: 'authenticated', sub: 'user-b' })
      const base = table === 'notes' ? 1000 : 2000

      const a = await gatedClient(ctx, { apikey: tokenA })
      await a.client.setAuth(tokenA)
      const recA = noteChannel(a, `${table}-a`, table, 'body=neq.skip')
      const sw = await gatedClient(ctx, { apikey: tokenA })
      await sw.client.setAuth(tokenA)
      const recSw = noteChannel(sw, `${table}-switch`, table)
      const bClient = await gatedClient(ctx, { apikey: tokenB })
      await bClient.client.setAuth(tokenB)
      const recB = noteChannel(bClient, `${table}-b`, table)
      for (const r of [recA, recSw, recB]) {
        await subscribeTracked(r.ch, r)
        await h.waitFor(() => pgSystemOk(r), 10000, `${r.name}: ${PG_OK}`)
      }

      const live = noteRows(base, 6)
      await insertNotes(table, live)
      const aLive = live.filter((r) => r.owner === 'user-a' && r.body !== 'skip').map((r) => r.id)
      await h.waitFor(() => recA.seqs.length === aLive.length && recSw.seqs.length === 3 && recB.seqs.length === 3, 8000, 'live rows')

      await Promise.all([goOffline(a), goOffline(sw)])
      await sw.client.setAuth(tokenB) // the next join of the switched client carries user-b's token
      const missed = noteRows(base + 6, 40)
      await insertNotes(table, missed)
      await h.sleep(300)
      const [[[na]], [[ns]]] = await Promise.all([comeBack(a, [recA]), comeBack(sw, [recSw])])
      await h.sleep(500)

      const aMissed = missed.filter((r) => r.owner === 'user-a' && r.body !== 'skip').map((r) => r.id)
      // the switched client resumes after the last row it received as user-a: every later row user-b may see, including
      // live ones user-a was not allowed to receive before the outage
      const lastSw = recSw.seqs[2]
      const bMissed = [...live, ...missed].filter((r) => r.id > lastSw && r.owner === 'user-b').map((r) => r.id)
      const gotA = recA.seqs.slice(aLive.length)
      const gotSw = recSw.seqs.slice(3)
      report(t, `${how}: user-a filtered resume`, { notice: { recovered: na.recovered, count: na.count }, expected: aMissed.length, got: gotA.length })
      report(t, `${how}: token switched a → b resume`, { notice: { recovered: ns.recovered, count: ns.count }, expected: bMissed.length, got: gotSw.length, ids: gotSw, owners: gotSw.map((id) => [...live, ...missed].find((r) => r.id === id).owner) })
      assert.deepEqual([na.recovered, na.count], [true, aMissed.length])
      assert.deepEqual(gotA, aMissed, 'user-a gets exactly its own unfiltered missed rows')
      assert.ok(recA.rows.every((r) => r.owner === 'user-a' && r.body !== 'skip'), 'never another owner, never a filtered row')
      assert.deepEqual([ns.recovered, ns.count], [true, bMissed.length])
      assert.deepEqual(gotSw, bMissed, "after the switch only user-b's rows")
      assert.ok(gotSw.every((id) => [...live, ...missed].find((r) => r.id === id).owner === 'user-b'), 'no row of user-a after the switch')
      assert.deepEqual(recB.seqs.slice(3), missed.filter((r) => r.owner === 'user-b').map((r) => r.id), 'live control: user-b sees its rows')
    })
  }

  test('private channel: a rejoin under another user is refused and nothing is replayed', async (t) => {
    const server = ctx.server
    const tokenA = await h.mintToken(server.secret, { role: 'authenticated', sub: 'user-a' })
    const tokenB = await h.mintToken(server.secret, { role: 'authenticated', sub: 'user-b' })
    const c = await gatedClient(ctx, { apikey: tokenA })
    await c.client.setAuth(tokenA)
    const rec = { name: 'inbox', seqs: [], at: [], system: [], notices: [], statuses: [], joinedAt: [], receivedAtJoin: 0 }
    rec.ch = c.client.channel('inbox:user-a', { config: { private: true } })
    rec.ch.on('broadcast', { event: 'm' }, (p) => rec.seqs.push(p.payload.seq))
    c.resume.onRecovery(rec.ch, (info) => rec.notices.push(info))
    await subscribeTracked(rec.ch, rec)
    await publish(server, 'inbox:user-a', 0, 3, { private: true })
    await h.waitFor(() => rec.seqs.length === 3, 5000, 'three private messages')
    assert.ok(c.resume.positions(rec.ch).broadcast, 'position recorded')

    await goOffline(c)
    await c.client.setAuth(tokenB)
    await publish(server, 'inbox:user-a', 3, 8, { private: true })
    c.gate.restore()
    await h.waitFor(() => rec.statuses.some((s) => s.status === 'CHANNEL_ERROR' && /Unauthorized/.test(s.err || '')), 10000, 'rejoin refused')
    await h.sleep(1500)
    report(t, 'private channel after the switch', { statuses: rec.statuses.map((s) => s.status), received: rec.seqs, notices: rec.notices.length })
    assert.deepEqual(rec.seqs, [0, 1, 2], 'nothing after the switch')
    assert.equal(rec.notices.length, 0)
    const joins = c.gate.joins.filter((j) => j.topic === 'realtime:inbox:user-a')
    assert.ok(joins.length >= 2 && joins.slice(1).every((j) => j.payload.config.broadcast.herald_resume), 'the refused rejoins asked to resume')
  })
})

// ---------------------------------------------------------------------------------------------------------------
// 4. slow consumer, age bound, a channel with no position yet

/** `jcmd <pid> GC.heap_info` "used" figure of the server JVM in KB, or undefined (jcmd missing). */
function heapUsedKb(server) {
  try {
    const out = require('node:child_process').execFileSync('jcmd', [String(server.proc.pid), 'GC.heap_info'], { timeout: 5000, encoding: 'utf8' })
    const m = out.match(/used (\d+)K/)
    return m ? Number(m[1]) : undefined
  } catch {
    return undefined
  }
}

describe('slow consumer (HERALD_OUTBOUND_QUEUE_MAX_MESSAGES=128) and the age bound (HERALD_REPLAY_MAX_AGE_MS=2000)', () => {
  const QUEUE = 128
  const AGE_MS = 2000
  const ctx = h.useServer(
    test,
    { HERALD_OUTBOUND_QUEUE_MAX_MESSAGES: String(QUEUE), HERALD_REPLAY_MAX_AGE_MS: String(AGE_MS) },
    { deadlineMs: DEADLINE_MS }
  )

  test('a client that stops reading is closed 1008 SlowConsumer; 200 others receive everything (p99 reported)', async (t) => {
    const server = ctx.server
    const HEALTHY = 200
    const FAN = 1000
    const healthy = []
    for (let i = 0; i < HEALTHY; i += 20) {
      await Promise.all(Array.from({ length: Math.min(20, HEALTHY - i) }, async () => {
        const client = h.createClient(ctx)
        const ch = client.channel('fan')
        const rec = { seqs: [], lat: [] }
        ch.on('broadcast', { event: 'm' }, (p) => {
          rec.seqs.push(p.payload.seq)
          rec.lat.push(Date.now() - p.payload.t)
        })
        await h.subscribe(ch)
        healthy.push(rec)
      }))
    }
    // the slow one: joined to the same topic, plus a topic of large messages that fills its socket buffers quickly
    const slow = await h.rawClient(ctx)
    await slow.join('realtime:fan')
    await slow.join('realtime:flood')
    const heapBefore = heapUsedKb(server)
    slow.ws._socket.pause()
    const pausedAt = Date.now()

    const blob = 'x'.repeat(64000)
    const flood = (async () => {
      for (let i = 0; i < 400; i += 10) {
        const messages = Array.from({ length: 10 }, (_, k) => ({ topic: 'flood', event: 'big', payload: { seq: i + k, blob } }))
        const r = await h.restBroadcast(server, messages)
        assert.equal(r.status, 202)
      }
    })()
    const fan = (async () => {
      for (let i = 0; i < FAN; i += 20) {
        const t0 = Date.now()
        const messages = Array.from({ length: 20 }, (_, k) => ({ topic: 'fan', event: 'm', payload: { seq: i + k, t: t0 } }))
        const r = await h.restBroadcast(server, messages)
        assert.equal(r.status, 202)
        await h.sleep(20)
      }
    })()
    await h.withTimeout(Promise.all([flood, fan]), 60000, 'publishers')
    const dropped = await h.waitFor(async () => (await h.readMetric(server, 'herald_drops_total', { reason: 'slow_consumer' })) >= 1, 15000, 'slow_consumer drop').then(() => Date.now()).catch(() => null)
    const heapAfter = heapUsedKb(server)
    await h.waitFor(() => healthy.every((r) => r.seqs.length >= FAN), 30000, 'healthy clients complete').catch(() => {})
    await h.sleep(300)

    // reading again: what the slow client sees at the end of its stream
    slow.ws._socket.resume()
    const close = await h.withTimeout(slow.closed.promise, 15000, 'slow client close').catch((e) => ({ code: null, reason: e.message }))
    const fanSeen = slow.messages.filter((m) => m.topic === 'realtime:fan' && m.event === 'broadcast').length

    const lat = healthy.flatMap((r) => r.lat)
    const tallies = healthy.map((r) => h.tallySequence(r.seqs, FAN))
    const bad = tallies.filter((x) => x.lost || x.duplicated || x.outOfOrder)
    report(t, 'slow consumer', {
      healthyClients: HEALTHY,
      messagesEach: FAN,
      healthyIncomplete: bad.length,
      firstBad: bad[0],
      latencyMs: { p50: h.percentile(lat, 0.5), p99: h.percentile(lat, 0.99), max: h.percentile(lat, 1) },
      slowClose: close,
      slowDisconnectedAfterMs: dropped && dropped - pausedAt,
      slowReceivedFanBeforeClose: fanSeen,
      heapUsedKb: { beforePause: heapBefore, afterFlood: heapAfter },
    })
    assert.deepEqual(bad, [], 'every healthy client received every message once, in order')
    assert.ok(dropped, 'the server counted a slow_consumer drop')
    assert.equal(close.code, 1008, `close: ${JSON.stringify(close)}`)
    assert.match(close.reason, /SlowConsumer/)
  })

  async function oneChannel(name) {
    const c = await gatedClient(ctx)
    const rec = streamChannel(c.client, c.resume, name, 'broadcast')
    await subscribeTracked(rec.ch, rec)
    return { c, rec }
  }
  const send = (topic, from, to) =>
    h.restBroadcast(ctx.server, Array.from({ length: to - from }, (_, k) => ({ topic, event: 'm', payload: { seq: from + k } })))

  test('a position older than HERALD_REPLAY_MAX_AGE_MS → recovered:false; an idle channel past it → recovered:true, 0', async (t) => {
    const idle = await oneChannel('age-idle')
    const old = await oneChannel('age-old')
    await send('age-idle', 0, 3)
    await send('age-old', 0, 3)
    await h.waitFor(() => idle.rec.seqs.length === 3 && old.rec.seqs.length === 3, 5000, 'first messages')
    await Promise.all([goOffline(idle.c), goOffline(old.c)])
    await send('age-old', 3, 13)
    await h.sleep(AGE_MS + 1000)
    const [[[ni]], [[no]]] = await Promise.all([comeBack(idle.c, [idle.rec]), comeBack(old.c, [old.rec])])
    report(t, 'age bound', { idle: { recovered: ni.recovered, count: ni.count }, aged: { recovered: no.recovered, count: no.count, message: no.message } })
    assert.deepEqual([ni.recovered, ni.count], [true, 0], 'nothing was missed on the idle channel')
    assert.equal(no.recovered, false)
    assert.match(no.message, /^Could not recover/)
    assert.deepEqual(old.rec.seqs, [0, 1, 2], 'nothing replayed with recovered:false')
  })

  test('a channel that has received nothing yet still gets what it missed during an outage (or is told to refetch)', async (t) => {
    const { c, rec } = await oneChannel('fresh')
    // nothing received yet: the position is the one the join reply stated (response.herald_pos.broadcast)
    const seeded = c.resume.positions(rec.ch)
    assert.deepEqual(Object.keys(seeded), ['broadcast'], `seeded from the join reply: ${JSON.stringify(seeded)}`)
    assert.match(seeded.broadcast, /^b:[0-9a-f]+:0$/)
    await goOffline(c)
    await send('fresh', 0, 5)
    c.gate.restore()
    await h.waitFor(() => rec.ch.state === 'joined' && c.gate.joins.filter((j) => j.topic === rec.ch.topic).length === 2, 10000, 'rejoined')
    await h.sleep(1000)
    const rejoin = c.gate.joins.filter((j) => j.topic === rec.ch.topic)[1]
    report(t, 'no position before the outage', { received: rec.seqs, notices: rec.notices, rejoinResume: rejoin.payload.config.broadcast.herald_resume || null })
    assert.deepEqual(rejoin.payload.config.broadcast.herald_resume, seeded, 'the rejoin resumed from the join reply position')
    assert.deepEqual(rec.seqs, [0, 1, 2, 3, 4], 'the 5 messages published during the outage were delivered, in order')
    assert.deepEqual(rec.notices.map((n) => [n.stream, n.recovered, n.count]), [['broadcast', true, 5]])
  })
})
