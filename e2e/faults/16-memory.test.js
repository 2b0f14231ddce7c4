'use strict'
// Memory stays bounded under hostile traffic (the server runs with -Xmx512m): REST floods of 1 MB broadcasts to a new
// topic each, paused readers of 1 MB broadcasts, 10,000 topics joined, used and left, and refused joins. The heap is
// read after a full GC (jcmd GC.run, then GC.heap_info) while the flood runs and after it.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const h = require('../lib/harness')

const MB = 1024 * 1024
const MAX_HEAP_MB = 512
const MAX_AGE_MS = 8000
const ADMIN_PASSWORD = 'memory-test-password-1234'
const verbose = !!process.env.HERALD_E2E_VERBOSE
const log = (...a) => { if (verbose) console.log(...a) }

const ctx = h.useServer(test, {
  HERALD_REPLAY_MAX_AGE_MS: String(MAX_AGE_MS),
  HERALD_ADMIN_PASSWORD: ADMIN_PASSWORD,
  HERALD_LIMITS_MAX_JOINS_PER_SECOND: '0',
}, { deadlineMs: 420000 })

/** Heap used after a full GC, in MB. */
function heapAfterGcMb(server) {
  execFileSync('jcmd', [String(server.proc.pid), 'GC.run'], { timeout: 30000 })
  const info = execFileSync('jcmd', [String(server.proc.pid), 'GC.heap_info'], { timeout: 30000 }).toString()
  const m = info.match(/used (\d+)K/)
  if (!m) throw new Error(`no heap figure in: ${info}`)
  if (process.env.HERALD_E2E_HISTOGRAM) {
    console.log(execFileSync('jcmd', [String(server.proc.pid), 'GC.class_histogram'], { timeout: 30000 }).toString().split('\n').slice(0, 14).join('\n'))
  }
  return Number(m[1]) / 1024
}

const big = 'x'.repeat(MB)

async function restSend(topic, token) {
  const r = await h.restBroadcast(ctx.server, [{ topic, event: 'flood', payload: { t: big } }], { token })
  assert.equal(r.status, 202, r.body)
}

test('a REST flood of 1 MB broadcasts to new topics keeps the heap bounded, and it returns after max-age', async () => {
  const server = ctx.server
  const baseline = heapAfterGcMb(server)
  let peak = 0
  const N = 300
  for (let i = 0; i < N; i += 4) {
    await Promise.all([0, 1, 2, 3].map((k) => restSend(`flood-${i + k}`, server.anonKey)))
    if (i % 60 === 0) peak = Math.max(peak, heapAfterGcMb(server))
  }
  peak = Math.max(peak, heapAfterGcMb(server))
  log(`REST flood: baseline ${baseline.toFixed(1)} MB, peak after GC ${peak.toFixed(1)} MB`)
  assert.ok(peak <= MAX_HEAP_MB / 2, `heap after GC during the flood ${peak.toFixed(1)} MB > 50 % of ${MAX_HEAP_MB} MB`)
  assert.ok(server.alive)
  // Nobody touches these topics again: the timer alone must age them out.
  await h.sleep(MAX_AGE_MS + 2500)
  const after = heapAfterGcMb(server)
  log(`REST flood: after max-age + sweep ${after.toFixed(1)} MB`)
  assert.ok(after <= baseline + 32, `heap after max-age ${after.toFixed(1)} MB > baseline ${baseline.toFixed(1)} + 32 MB`)
})

test('paused readers of 1 MB broadcasts are closed with 1008 before the heap fills, the others keep receiving', async () => {
  const server = ctx.server
  const baseline = heapAfterGcMb(server)
  const paused = []
  for (let i = 0; i < 16; i++) {
    const c = await h.rawClient(ctx, { vsn: '1.0.0' })
    await c.join(`realtime:paused-${i}`)
    c.ws._socket.pause()
    paused.push(c)
  }
  const active = await h.rawClient(ctx, { vsn: '1.0.0' })
  await active.join('realtime:active')
  let peak = 0
  let sentActive = 0
  for (let round = 0; round < 16; round++) {
    await Promise.all(paused.map((_, i) => restSend(`paused-${i}`)))
    await h.restBroadcast(server, [{ topic: 'active', event: 'tick', payload: { n: round } }])
    sentActive++
    if (round % 4 === 3) peak = Math.max(peak, heapAfterGcMb(server))
  }
  peak = Math.max(peak, heapAfterGcMb(server))
  log(`paused readers: baseline ${baseline.toFixed(1)} MB, peak after GC ${peak.toFixed(1)} MB`)
  assert.ok(server.alive, 'the server survived')
  assert.ok(peak <= MAX_HEAP_MB / 2, `heap after GC during the flood ${peak.toFixed(1)} MB > 50 % of ${MAX_HEAP_MB} MB`)
  // A paused socket reads nothing, so its close frame is only seen once it reads again.
  for (const c of paused) c.ws._socket.resume()
  const closes = await Promise.all(paused.map((c) => h.withTimeout(c.closed.promise, 20000, 'close of a paused reader').catch(() => null)))
  const byBudget = closes.filter((c) => c && c.code === 1008)
  log(`paused readers: ${byBudget.length} of 16 closed with 1008 (${[...new Set(byBudget.map((c) => c.reason))].join(' | ')})`)
  assert.ok(byBudget.length >= 1, `no paused reader was closed with 1008: ${JSON.stringify(closes)}`)
  for (const c of byBudget) assert.match(c.reason, /^SlowConsumer/)
  await active.waitFor((m) => m.event === 'broadcast' && m.payload.payload.n === sentActive - 1, 10000, 'the active reader got every tick')
  assert.equal(active.messages.filter((m) => m.event === 'broadcast').length, sentActive)
  assert.ok(active.isOpen, 'the active reader is still connected')
  const drops = await h.readMetric(server, 'herald_drops_total', { reason: 'outbound_budget_exceeded' })
  assert.ok(drops >= 1, `herald_drops_total{reason="outbound_budget_exceeded"} = ${drops}`)
  await h.sleep(MAX_AGE_MS + 2500)
  const after = heapAfterGcMb(server)
  log(`paused readers: after max-age + sweep ${after.toFixed(1)} MB`)
  assert.ok(after <= baseline + 32, `heap after max-age ${after.toFixed(1)} MB > baseline ${baseline.toFixed(1)} + 32 MB`)
})

test('10,000 topics joined, used and left return their memory; refused joins leave no trace in the admin API', async () => {
  const server = ctx.server
  const baseline = heapAfterGcMb(server)
  const clients = []
  for (let k = 0; k < 4; k++) clients.push(await h.rawClient(ctx, { vsn: '1.0.0' }))
  const TOPICS = 10000
  for (let i = 0; i < TOPICS; i += 200) {
    await Promise.all(clients.map(async (c, k) => {
      const refs = []
      for (let j = i + k; j < i + 200 && j < TOPICS; j += clients.length) {
        const topic = `realtime:used-${j}`
        const ref = c.nextRef()
        c.push(topic, 'phx_join', { config: { broadcast: { self: false } } }, ref, ref)
        c.push(topic, 'broadcast', { type: 'broadcast', event: 'e', payload: { j } }, c.nextRef(), ref)
        refs.push(c.push(topic, 'phx_leave', {}, c.nextRef(), ref))
      }
      await c.reply(refs[refs.length - 1], 10000)
      c.messages.length = 0
    }))
  }
  // Refused joins: private topics nobody may read (no policy file), any names.
  const refused = await h.rawClient(ctx, { vsn: '1.0.0' })
  for (let i = 0; i < 50; i++) {
    const { reply } = await refused.join(`realtime:secret-${i}`, { private: true })
    assert.equal(reply.payload.status, 'error')
  }
  const basic = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`
  const channels = await (await h.fetchT(`${server.httpUrl}/admin/api/channels`, { headers: { authorization: basic } })).json()
  const names = JSON.stringify(channels)
  assert.ok(!names.includes('secret-'), `refused joins show up in the admin API: ${names.slice(0, 300)}`)
  await h.sleep(MAX_AGE_MS + 2500)
  const after = heapAfterGcMb(server)
  log(`10,000 topics: baseline ${baseline.toFixed(1)} MB, after ${after.toFixed(1)} MB`)
  // What stays: the console's records of the 4,096 most recent unsubscribed topics (about 1.4 KB each) until its
  // 5-minute activity window passes.
  assert.ok(after <= baseline + 8, `heap after leaving ${after.toFixed(1)} MB > baseline ${baseline.toFixed(1)} + 8 MB`)
})
