'use strict'
// Acceptance 2: presence sync/join/leave with explicit keys; untrack and disconnect produce leave.

const test = require('node:test')
const assert = require('node:assert/strict')
const h = require('../lib/harness')

const ctx = h.useServer(test)

function presenceMember(name, vsn, topic) {
  const client = h.createClient(ctx, { vsn })
  const channel = client.channel(topic, { config: { presence: { key: name } } })
  const events = { sync: 0, join: [], leave: [] }
  const waiters = []
  const notify = () => {
    for (const w of waiters.slice()) {
      if (w.pred()) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve()
      }
    }
  }
  channel.on('presence', { event: 'sync' }, () => { events.sync++; notify() })
  channel.on('presence', { event: 'join' }, (p) => { events.join.push(p); notify() })
  channel.on('presence', { event: 'leave' }, (p) => { events.leave.push(p); notify() })
  const until = (pred, ms = 6000, label = 'presence condition') => {
    if (pred()) return Promise.resolve()
    const d = h.deferred()
    waiters.push({ pred, resolve: d.resolve })
    return h.withTimeout(d.promise, ms, `${name}: ${label}`)
  }
  return { name, vsn, client, channel, events, until, keys: () => Object.keys(channel.presenceState()).sort() }
}

test('three clients track: sync/join fire with the explicit keys; untrack and disconnect produce leave', async () => {
  const topic = 'presence-room'
  const alice = presenceMember('alice', '2.0.0', topic)
  const bob = presenceMember('bob', '1.0.0', topic)
  const carol = presenceMember('carol', '2.0.0', topic)
  const all = [alice, bob, carol]
  await Promise.all(all.map((m) => h.subscribe(m.channel)))

  // presence_state arrives after join (empty): sync fires even with nobody present
  await Promise.all(all.map((m) => m.until(() => m.events.sync >= 1, 5000, 'initial sync (presence_state)')))

  for (const m of all) {
    const status = await h.withTimeout(m.channel.track({ name: m.name, online_at: 1700000000 }), 6000, `${m.name} track`)
    assert.equal(status, 'ok', `${m.name} track reply`)
  }

  for (const m of all) {
    await m.until(() => m.keys().join(',') === 'alice,bob,carol', 6000, 'all three keys in presenceState')
    const state = m.channel.presenceState()
    for (const k of ['alice', 'bob', 'carol']) {
      assert.equal(state[k].length, 1, `${m.name} sees one meta under ${k}`)
      assert.equal(state[k][0].name, k, `${m.name}: meta of ${k}`)
      assert.equal(state[k][0].online_at, 1700000000)
      assert.equal(typeof state[k][0].presence_ref, 'string', 'presence_ref (phx_ref) present')
      assert.ok(state[k][0].presence_ref.length > 0)
    }
    const joinedKeys = [...new Set(m.events.join.map((e) => e.key))].sort()
    assert.deepEqual(joinedKeys, ['alice', 'bob', 'carol'], `${m.name} join events keys`)
    for (const e of m.events.join) {
      assert.ok(Array.isArray(e.newPresences) && e.newPresences.length >= 1)
      assert.equal(e.newPresences[0].name, e.key)
    }
    assert.ok(m.events.sync >= 2, `${m.name} sync fired after diffs`)
  }
  // tracker receives its own join
  assert.ok(alice.events.join.some((e) => e.key === 'alice'), 'tracker sees its own join')

  // bob (v1) untracks -> leave for bob everywhere (incl. bob himself)
  assert.equal(await h.withTimeout(bob.channel.untrack(), 6000, 'bob untrack'), 'ok')
  for (const m of all) {
    await m.until(() => m.events.leave.some((e) => e.key === 'bob'), 6000, 'leave for bob after untrack')
    await m.until(() => m.keys().join(',') === 'alice,carol', 6000, 'state without bob')
    const ev = m.events.leave.find((e) => e.key === 'bob')
    assert.equal(ev.leftPresences[0].name, 'bob')
  }

  // carol's socket closes -> leave for carol at alice and bob
  await h.closeClient(carol.client, { leave: false }) // socket close, no phx_leave
  for (const m of [alice, bob]) {
    await m.until(() => m.events.leave.some((e) => e.key === 'carol'), 8000, 'leave for carol after disconnect')
    await m.until(() => m.keys().join(',') === 'alice', 6000, 'state with only alice')
  }
  assert.equal(alice.events.leave.filter((e) => e.key === 'alice').length, 0, 'alice never left')
})

test('track update replaces the meta (join of new + leave of old) and a late joiner gets presence_state', async () => {
  const topic = 'presence-update'
  const dave = presenceMember('dave', '2.0.0', topic)
  const erin = presenceMember('erin', '1.0.0', topic)
  await Promise.all([dave, erin].map((m) => h.subscribe(m.channel)))
  assert.equal(await dave.channel.track({ mood: 'happy' }), 'ok')
  await erin.until(() => (erin.channel.presenceState().dave || [])[0]?.mood === 'happy', 6000, 'dave happy')
  assert.equal(await dave.channel.track({ mood: 'sleepy' }), 'ok')
  await erin.until(() => {
    const metas = erin.channel.presenceState().dave || []
    return metas.length === 1 && metas[0].mood === 'sleepy'
  }, 6000, 'dave updated to sleepy (one meta)')
  await dave.until(() => {
    const metas = dave.channel.presenceState().dave || []
    return metas.length === 1 && metas[0].mood === 'sleepy'
  }, 6000, 'tracker sees its own update')

  // late joiner (v1) sees the current state through presence_state
  const frank = presenceMember('frank', '1.0.0', topic)
  await h.subscribe(frank.channel)
  await frank.until(() => (frank.channel.presenceState().dave || [])[0]?.mood === 'sleepy', 6000, 'presence_state with dave')
  assert.ok(frank.events.join.some((e) => e.key === 'dave'))
})
