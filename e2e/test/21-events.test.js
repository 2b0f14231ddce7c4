'use strict'
// The events plugin end to end (docs/plugins/events.md): joins and leaves through REST with real JWTs; the live
// participant count (table hook → broadcast `participant_count` on `event:{id}`, and the events row over
// postgres_changes) reaches that event's subscribers only; capacity holds under concurrent joins; refusals change nothing.

const test = require('node:test')
const assert = require('node:assert/strict')
const h = require('../lib/harness')
const { usePluginServer, assertError, subscribeChanges, LEAK_WAIT_MS } = require('../lib/plugin-server')

const ctx = usePluginServer(test, ['events'])
const BASE = '/plugins/events'

async function createEvent(token, body) {
  const r = await ctx.rest(token, 'POST', `${BASE}/events`, body)
  assert.equal(r.status, 201, JSON.stringify(r.body))
  return r.body
}

/** A client watching `event:<id>`: the participant_count broadcasts and the event row's changes. */
async function watcher(token, eventId, { isPrivate = false } = {}) {
  const client = await ctx.clientFor(token)
  const ch = client.channel(`event:${eventId}`, { config: { private: isPrivate } })
  const counts = h.collector(ch, 'broadcast', { event: 'participant_count' })
  const rows = h.collector(ch, 'postgres_changes', { event: 'UPDATE', schema: 'public', table: 'events' })
  await subscribeChanges(ch)
  return { client, ch, counts, rows, seq: () => counts.items.map((m) => m.payload.participant_count) }
}

async function dbCount(eventId) {
  const [row] = await ctx.sql(`SELECT e.participant_count AS counter, (SELECT count(*)::int FROM public.event_participants p WHERE p.event_id = e.id) AS rows
    FROM public.events e WHERE e.id = $1`, [eventId])
  return row
}

test("participant counts reach that event's subscribers (public and private channel) and no other event's", async () => {
  const owner = await ctx.user('owner')
  const e1 = await createEvent(owner, { title: 'Meetup', capacity: 3, starts_at: '2026-12-01T18:00:00Z' })
  const e2 = await createEvent(owner, { title: 'Other meetup', capacity: 3 })
  const viewer = await ctx.user('viewer')
  const w1 = await watcher(viewer, e1.id)
  const w1private = await watcher(viewer, e1.id, { isPrivate: true })
  const w2 = await watcher(viewer, e2.id)

  const [u1, u2] = [await ctx.user('u1'), await ctx.user('u2')]
  const j1 = await ctx.rest(u1, 'POST', `${BASE}/events/${e1.id}/join`)
  assert.equal(j1.status, 201)
  assert.deepEqual(j1.body, { event_id: e1.id, user_id: 'u1', joined: true, participant_count: 1, capacity: 3 })
  const j1again = await ctx.rest(u1, 'POST', `${BASE}/events/${e1.id}/join`)
  assert.equal(j1again.status, 200, 'joining twice is idempotent')
  assert.equal(j1again.body.participant_count, 1)
  assert.equal((await ctx.rest(u2, 'POST', `${BASE}/events/${e1.id}/join`)).status, 201)
  const left = await ctx.rest(u1, 'POST', `${BASE}/events/${e1.id}/leave`)
  assert.equal(left.status, 200)
  assert.deepEqual(left.body, { event_id: e1.id, user_id: 'u1', joined: false, participant_count: 1, capacity: 3 })

  for (const [name, w] of [['public', w1], ['private', w1private]]) {
    await h.waitFor(() => w.counts.items.length >= 3, 8000, `three counts on the ${name} event:${e1.id} (got ${w.seq()})`)
    assert.deepEqual(w.counts.items[0].payload, { event_id: e1.id, participant_count: 1, capacity: 3 })
    await h.waitFor(() => w.rows.items.length >= 3, 8000, `three events-row updates on ${name} event:${e1.id}`)
  }
  await h.sleep(LEAK_WAIT_MS)
  assert.deepEqual(w1.seq(), [1, 2, 1], 'exact counts in commit order, each once (the idempotent re-join pushes nothing)')
  assert.deepEqual(w1private.seq(), [1, 2, 1])
  assert.deepEqual(w1.rows.items.map((p) => p.new.participant_count), [1, 2, 1], 'the counter column over postgres_changes')
  assert.ok(w1.rows.items.every((p) => p.new.id === e1.id))
  assert.deepEqual(w2.counts.items, [], `no count of event ${e1.id} reaches event:${e2.id}`)
  assert.deepEqual(w2.rows.items, [], `no row of event ${e1.id} reaches event:${e2.id}`)
  assert.deepEqual(await dbCount(e1.id), { counter: 1, rows: 1 })
  assert.deepEqual((await ctx.rest(viewer, 'GET', `${BASE}/events/${e1.id}/participants`)).body.map((p) => p.user_id), ['u2'])
  assert.deepEqual((await ctx.rest(u2, 'GET', `${BASE}/events/joined`)).body.map((e) => e.id), [e1.id])
  assert.deepEqual((await ctx.rest(u1, 'GET', `${BASE}/events/joined`)).body, [], 'u1 left')
  assert.deepEqual((await ctx.rest(owner, 'GET', `${BASE}/events/mine`)).body.map((e) => e.id), [e1.id, e2.id], 'the creator\'s events, dated first')

  // The other event's own count reaches its own channel.
  assert.equal((await ctx.rest(u1, 'POST', `${BASE}/events/${e2.id}/join`)).status, 201)
  await w2.counts.waitFor((m) => m.payload.participant_count === 1, 8000, 'count on the second event')
  await h.sleep(300)
  assert.deepEqual(w1.seq(), [1, 2, 1], 'the second event does not leak into the first')
})

test('capacity holds under 40 concurrent joins of 5 places: exactly 5 succeed, the count is exact and pushed', async () => {
  const owner = await ctx.user('owner')
  const ev = await createEvent(owner, { title: 'Small room', capacity: 5 })
  const w = await watcher(await ctx.user('viewer'), ev.id)
  const tokens = await Promise.all(Array.from({ length: 40 }, (_, i) => ctx.user(`racer-${i}`)))
  const results = await Promise.all(tokens.map((t) => ctx.rest(t, 'POST', `${BASE}/events/${ev.id}/join`)))
  const statuses = results.map((r) => r.status).sort()
  assert.deepEqual(statuses, [...Array(5).fill(201), ...Array(35).fill(409)], JSON.stringify(results.map((r) => r.body)))
  for (const r of results.filter((r) => r.status === 409)) assertError(r, 409, 'Conflict', new RegExp(`event ${ev.id} is full \\(5 of 5 places taken\\)`))
  assert.deepEqual(results.filter((r) => r.status === 201).map((r) => r.body.participant_count).sort(), [1, 2, 3, 4, 5])
  assert.deepEqual(await dbCount(ev.id), { counter: 5, rows: 5 })
  await h.waitFor(() => w.counts.items.length >= 5, 8000, `five counts (got ${w.seq()})`)
  await h.sleep(LEAK_WAIT_MS)
  assert.deepEqual(w.seq(), [1, 2, 3, 4, 5], 'every committed count once, in commit order, never above capacity')

  // A leave frees a place; the next join takes it.
  assert.equal((await ctx.rest(tokens[results.findIndex((r) => r.status === 201)], 'POST', `${BASE}/events/${ev.id}/leave`)).status, 200)
  assert.equal((await ctx.rest(tokens[results.findIndex((r) => r.status === 409)], 'POST', `${BASE}/events/${ev.id}/join`)).status, 201)
  await h.waitFor(() => w.counts.items.length >= 7, 8000, 'leave and join counts')
  assert.deepEqual(w.seq().slice(5), [4, 5])
  assert.deepEqual(await dbCount(ev.id), { counter: 5, rows: 5 })
})

test('joins queued behind a held row lock still respect capacity (the capacity check happens under the lock)', async () => {
  // Deterministic contention: the test holds the event's row lock, joins pile up behind it, then it lets go. A
  // capacity check made before taking the lock would pass for every waiting join and over-book (or trip the CHECK:
  // a 500). The server's REST workers bound how many wait at once, so the place count is 1 and two waiters suffice.
  const ev = await createEvent(await ctx.user('owner-l'), { title: 'Queued', capacity: 1 })
  const tokens = await Promise.all(Array.from({ length: 4 }, (_, i) => ctx.user(`queued-${i}`)))
  await ctx.sql('BEGIN')
  let pending
  try {
    await ctx.sql('SELECT id FROM public.events WHERE id = $1 FOR UPDATE', [ev.id])
    pending = tokens.map((t) => ctx.rest(t, 'POST', `${BASE}/events/${ev.id}/join`))
    await h.waitFor(async () => {
      // Inside a transaction pg_stat_activity is a snapshot taken at first use; clear it to see the current waits.
      await ctx.sql('SELECT pg_stat_clear_snapshot()')
      const [{ n }] = await ctx.sql(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%events%'`)
      return n >= 2
    }, 8000, 'joins waiting for the row lock')
  } finally {
    await ctx.sql('COMMIT')
  }
  const results = await Promise.all(pending)
  assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409, 409], JSON.stringify(results.map((r) => r.body)))
  assert.deepEqual(await dbCount(ev.id), { counter: 1, rows: 1 })
})

test('invalid requests get a clear 4xx JSON error and change nothing', async () => {
  const owner = await ctx.user('owner-x')
  const other = await ctx.user('other-x')
  const ev = await createEvent(owner, { title: 'Tiny', capacity: 1 })
  assert.equal((await ctx.rest(owner, 'POST', `${BASE}/events/${ev.id}/join`)).status, 201)
  const snapshot = async () => ({
    events: await ctx.sql('SELECT id, created_by, title, description, starts_at, capacity, participant_count FROM public.events ORDER BY id'),
    participants: await ctx.sql('SELECT event_id, user_id FROM public.event_participants ORDER BY event_id, user_id'),
  })
  const before = await snapshot()

  assertError(await ctx.rest(owner, 'POST', `${BASE}/events`, { capacity: 3 }), 400, 'InvalidInput', /title is required/)
  assertError(await ctx.rest(owner, 'POST', `${BASE}/events`, { title: 'x' }), 400, 'InvalidInput', /capacity is required/)
  assertError(await ctx.rest(owner, 'POST', `${BASE}/events`, { title: 'x', capacity: 0 }), 400, 'InvalidInput', /capacity must be between 1 and 100000/)
  assertError(await ctx.rest(owner, 'POST', `${BASE}/events`, { title: 'x', capacity: '5' }), 400, 'InvalidInput', /capacity must be a whole number/)
  assertError(await ctx.rest(owner, 'POST', `${BASE}/events`, { title: 'x', capacity: 5, starts_at: 'soon' }), 400, 'InvalidInput', /starts_at must be an ISO-8601/)
  assertError(await ctx.rest(owner, 'POST', `${BASE}/events`, { title: 'x', capacity: 5, participant_count: 4 }), 400, 'InvalidInput', /unknown field/)
  assertError(await ctx.rest(other, 'POST', `${BASE}/events/${ev.id}/join`), 409, 'Conflict', new RegExp(`event ${ev.id} is full`))
  assertError(await ctx.rest(other, 'POST', `${BASE}/events/${ev.id}/leave`), 409, 'Conflict', /you have not joined/)
  assertError(await ctx.rest(other, 'POST', `${BASE}/events/999999/join`), 404, 'NotFound', /no event with id 999999/)
  assertError(await ctx.rest(other, 'POST', `${BASE}/events/nope/join`), 404, 'NotFound', /no event with id 'nope'/)
  assertError(await ctx.rest(other, 'GET', `${BASE}/events/999999`), 404, 'NotFound')
  assertError(await ctx.rest(other, 'PATCH', `${BASE}/events/${ev.id}`, { title: 'mine now' }), 403, 'Forbidden', /belongs to another user/)
  assertError(await ctx.rest(other, 'DELETE', `${BASE}/events/${ev.id}`), 403, 'Forbidden')
  assertError(await ctx.rest(owner, 'PATCH', `${BASE}/events/${ev.id}`, {}), 400, 'InvalidInput', /nothing to change/)
  assertError(await ctx.rest(owner, 'PATCH', `${BASE}/events/${ev.id}`, { capacity: 0 }), 400, 'InvalidInput')
  assertError(await ctx.rest(ctx.server.anonKey, 'POST', `${BASE}/events/${ev.id}/join`), 403, 'Forbidden', /no sub/)
  assert.deepEqual(await snapshot(), before, 'the tables are unchanged')

  // A legal resize and a refused one below the joined count.
  const bigger = await ctx.rest(owner, 'PATCH', `${BASE}/events/${ev.id}`, { capacity: 2 })
  assert.equal(bigger.status, 200)
  assert.equal(bigger.body.capacity, 2)
  assert.equal((await ctx.rest(other, 'POST', `${BASE}/events/${ev.id}/join`)).status, 201)
  assertError(await ctx.rest(owner, 'PATCH', `${BASE}/events/${ev.id}`, { capacity: 1 }), 409, 'Conflict', /capacity 1 is below the 2 participants/)
  assert.deepEqual(await ctx.sql('SELECT capacity, participant_count FROM public.events WHERE id = $1', [ev.id]), [{ capacity: 2, participant_count: 2 }])
})

test('clients may not broadcast on an event channel (only the plugin publishes counts)', async () => {
  const owner = await ctx.user('owner-b')
  const ev = await createEvent(owner, { title: 'No spoofing', capacity: 2 })
  const listener = await watcher(await ctx.user('listener'), ev.id)
  const spoofer = await ctx.clientFor(await ctx.user('spoofer'))
  const ch = spoofer.channel(`event:${ev.id}`, { config: { broadcast: { ack: true } } })
  await h.subscribe(ch)
  const reply = await ch.send({ type: 'broadcast', event: 'participant_count', payload: { participant_count: 999 } })
  assert.notEqual(reply, 'ok', 'a spoofed count is not acknowledged')
  await h.sleep(LEAK_WAIT_MS)
  assert.deepEqual(listener.counts.items, [], 'the spoofed count reaches nobody')
})
