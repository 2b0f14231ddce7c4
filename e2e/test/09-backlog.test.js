'use strict'
// A reader that stops reading builds a backlog: the server keeps writing to everyone else, queues for that reader,
// and when it reads again it gets every frame whole and in order (several queued frames leave in one gathered write,
// a write the socket takes only in part finishes later). Both protocol versions.

const test = require('node:test')
const assert = require('node:assert/strict')
const h = require('../lib/harness')

const ctx = h.useServer(test, { HERALD_LIMITS_MAX_EVENTS_PER_SECOND: '1000000' })

const N = 3000
// Every fifth message is 16 KB, so the backlog (about 10 MB) is more than the kernel's socket buffers hold.
const pad = (i) => (i % 5 === 0 ? `big-${i}-`.padEnd(16 * 1024, String.fromCharCode(97 + (i % 26))) : `small-${i}`)

function seqs(client, topic) {
  return client.messages
    .filter((m) => m.topic === topic && m.event === 'broadcast' && m.payload && m.payload.event === 'seq')
    .map((m) => m.payload.payload)
}

test('a paused reader gets its whole backlog in order once it reads again; others are not held up', async () => {
  const topic = 'realtime:backlog'
  const paused2 = await h.rawClient(ctx, { vsn: '2.0.0' })
  const paused1 = await h.rawClient(ctx, { vsn: '1.0.0' })
  const live = await h.rawClient(ctx, { vsn: '2.0.0' })
  const pub = await h.rawClient(ctx, { vsn: '1.0.0' })
  for (const c of [paused2, paused1, live, pub]) {
    const { reply } = await c.join(topic)
    assert.equal(reply.payload.status, 'ok', reply.raw)
  }
  paused2.ws._socket.pause()
  paused1.ws._socket.pause()

  for (let i = 0; i < N; i++) pub.push(topic, 'broadcast', { type: 'broadcast', event: 'seq', payload: { i, pad: pad(i) } })

  await h.waitFor(() => seqs(live, topic).length >= N, 30000, `the live reader gets all ${N}`)
  const seen = seqs(live, topic)
  assert.deepEqual(seen.map((p) => p.i), Array.from({ length: N }, (_, i) => i), 'live reader: in order, none twice')
  // The paused readers cannot have read everything: the backlog really built up on the server.
  assert.ok(seqs(paused2, topic).length < N && seqs(paused1, topic).length < N, 'the paused readers were behind')

  paused2.ws._socket.resume()
  paused1.ws._socket.resume()
  for (const [name, c] of [['vsn 2', paused2], ['vsn 1', paused1]]) {
    await h.waitFor(() => seqs(c, topic).length >= N, 30000, `${name} reader catches up`)
    const got = seqs(c, topic)
    assert.equal(got.length, N, `${name}: exactly ${N}`)
    got.forEach((p, i) => {
      assert.equal(p.i, i, `${name}: message ${i} in place`)
      assert.equal(p.pad, pad(i), `${name}: message ${i} intact`)
    })
    assert.ok(c.isOpen, `${name}: still connected`)
  }
})
