'use strict'
// Acceptance 5: unsubscribe → CLOSED, and /metrics herald_channels_joined returns to 0.

const test = require('node:test')
const assert = require('node:assert/strict')
const h = require('../lib/harness')

const ctx = h.useServer(test)

test('/metrics serves Prometheus text with the herald_* metrics', async () => {
  const res = await h.fetchT(`${ctx.server.httpUrl}/metrics`)
  assert.equal(res.status, 200)
  assert.match(String(res.headers.get('content-type')), /text\/plain/)
  const text = await res.text()
  for (const name of ['herald_connections', 'herald_channels_joined', 'herald_messages_in_total', 'herald_messages_out_total']) {
    assert.notEqual(h.metricValue(text, name), undefined, `metric ${name} missing`)
  }
})

test('unsubscribe reports CLOSED and herald_channels_joined returns to 0 (vsn 2 and vsn 1)', async () => {
  assert.equal(await h.readMetric(ctx.server, 'herald_channels_joined'), 0, 'baseline channels')
  const a = h.createClient(ctx, { vsn: '2.0.0' })
  const b = h.createClient(ctx, { vsn: '1.0.0' })
  const ca1 = a.channel('unsub-1')
  const ca2 = a.channel('unsub-2')
  const cb1 = b.channel('unsub-1')
  await Promise.all([ca1, ca2, cb1].map((c) => h.subscribe(c)))
  await h.waitFor(async () => (await h.readMetric(ctx.server, 'herald_channels_joined')) === 3, 3000, 'herald_channels_joined == 3')
  assert.equal(await h.readMetric(ctx.server, 'herald_connections'), 2)

  for (const ch of [ca1, ca2, cb1]) {
    const r = await h.withTimeout(ch.unsubscribe(), 6000, `unsubscribe ${ch.topic}`)
    assert.equal(r, 'ok')
    assert.equal(ch.state, 'closed')
    assert.ok(ch.__statuses.some((s) => s.status === 'CLOSED'), `CLOSED callback for ${ch.topic}: ${JSON.stringify(ch.__statuses)}`)
  }
  await h.waitFor(async () => (await h.readMetric(ctx.server, 'herald_channels_joined')) === 0, 3000, 'herald_channels_joined back to 0')
  // sockets are still up (client only left its channels)
  assert.equal(await h.readMetric(ctx.server, 'herald_connections'), 2)
  await h.closeClient(a, { leave: false })
  await h.closeClient(b, { leave: false })
  await h.waitFor(async () => (await h.readMetric(ctx.server, 'herald_connections')) === 0, 3000, 'herald_connections back to 0')
})

test('socket close without leaving also returns herald_channels_joined to 0', async () => {
  const c = await h.rawClient(ctx, { vsn: '2.0.0' })
  await c.join('realtime:abrupt-1')
  await c.join('realtime:abrupt-2')
  await h.waitFor(async () => (await h.readMetric(ctx.server, 'herald_channels_joined')) === 2, 3000, 'herald_channels_joined == 2')
  c.close()
  await h.waitFor(async () => (await h.readMetric(ctx.server, 'herald_channels_joined')) === 0, 3000, 'herald_channels_joined back to 0 after abrupt close')
  await h.waitFor(async () => (await h.readMetric(ctx.server, 'herald_connections')) === 0, 3000, 'herald_connections back to 0')
})

test('messages in/out counters move with broadcast traffic', async () => {
  const before = await h.fetchMetrics(ctx.server)
  const inBefore = h.metricValue(before, 'herald_messages_in_total')
  const outBefore = h.metricValue(before, 'herald_messages_out_total')
  const a = h.createClient(ctx)
  const b = h.createClient(ctx, { vsn: '1.0.0' })
  const ca = a.channel('metrics-room', { config: { broadcast: { ack: true } } })
  const cb = b.channel('metrics-room')
  const got = h.collector(cb, 'broadcast', { event: 'm' })
  await Promise.all([h.subscribe(ca), h.subscribe(cb)])
  for (let i = 0; i < 5; i++) assert.equal(await ca.send({ type: 'broadcast', event: 'm', payload: { i } }), 'ok')
  await h.waitFor(() => got.items.length === 5, 3000, 'five deliveries')
  const after = await h.fetchMetrics(ctx.server)
  assert.ok(h.metricValue(after, 'herald_messages_in_total') >= inBefore + 5, 'messages_in grew by >= 5')
  assert.ok(h.metricValue(after, 'herald_messages_out_total') >= outBefore + 5, 'messages_out grew by >= 5')
})
