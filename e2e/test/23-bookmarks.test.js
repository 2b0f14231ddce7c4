'use strict'
// The bookmarks plugin end to end (docs/plugins/bookmarks.md): loaded from its jar, REST with real JWTs, and the real
// realtime-js client on `bookmarks:{sub}`. A user's bookmark changes reach that user's devices and nobody else, whatever
// channel or filter the other user tries; adding twice is idempotent; bad requests are refused and change nothing.

const test = require('node:test')
const assert = require('node:assert/strict')
const h = require('../lib/harness')
const { usePluginServer, assertError, subscribeChanges, subscribeExpectError, LEAK_WAIT_MS } = require('../lib/plugin-server')

const ctx = usePluginServer(test, ['bookmarks'])
const BASE = '/plugins/bookmarks'
const BINDING = { event: '*', schema: 'public', table: 'bookmarks' }

/** A device of `sub` joined to its own private bookmarks channel, collecting bookmark changes. */
async function device(token, sub) {
  const client = await ctx.clientFor(token)
  const ch = client.channel(`bookmarks:${sub}`, { config: { private: true } })
  const changes = h.collector(ch, 'postgres_changes', BINDING)
  await subscribeChanges(ch)
  return { client, ch, changes }
}

test("a user's bookmark changes reach all of that user's devices and no one else's", async () => {
  const [a, b] = [await ctx.user('user-a'), await ctx.user('user-b')]
  const a1 = await device(a, 'user-a')
  const a2 = await device(a, 'user-a')
  const b1 = await device(b, 'user-b')

  // B's attempts to see A's bookmarks: A's private topic is refused, and an unfiltered (or A-filtered) subscription
  // on a public channel is withheld by the row policy.
  const bClient = await ctx.clientFor(b)
  const refused = await subscribeExpectError(bClient.channel('bookmarks:user-a', { config: { private: true } }))
  assert.match(refused, /^Unauthorized: You do not have permissions to read from this Channel topic: bookmarks:user-a$/)
  const snoop = bClient.channel('snoop-bookmarks')
  const snooped = h.collector(snoop, 'postgres_changes', BINDING)
  await subscribeChanges(snoop)
  const aimed = bClient.channel('bookmarks:user-a') // public channel of the same name, explicit filter on A's rows
  const aimedChanges = h.collector(aimed, 'postgres_changes', { ...BINDING, filter: 'user_id=eq.user-a' })
  await subscribeChanges(aimed)

  const added = await ctx.rest(a, 'POST', `${BASE}/bookmarks`, { item_type: 'challenge', item_id: 42, note: 'read later' })
  assert.equal(added.status, 200, JSON.stringify(added.body))
  assert.deepEqual({ ...added.body, id: 0, created_at: '' },
    { id: 0, user_id: 'user-a', item_type: 'challenge', item_id: '42', note: 'read later', created_at: '' })

  for (const [name, d] of [['device 1', a1], ['device 2', a2]]) {
    const p = await d.changes.waitFor((p) => p.eventType === 'INSERT', 8000, `INSERT on A's ${name}`)
    assert.equal(p.new.id, added.body.id)
    assert.equal(p.new.user_id, 'user-a')
    assert.equal(p.new.item_id, '42')
  }

  // Idempotent add: same answer, no second row, no second change event.
  const again = await ctx.rest(a, 'POST', `${BASE}/bookmarks`, { item_type: 'challenge', item_id: '42', note: 'read later' })
  assert.equal(again.status, 200)
  assert.deepEqual(again.body, added.body, 'adding the same bookmark twice answers the same row')
  assert.deepEqual(await ctx.sql(`SELECT count(*)::int AS n FROM public.bookmarks WHERE user_id = 'user-a'`), [{ n: 1 }])

  const removed = await ctx.rest(a, 'DELETE', `${BASE}/bookmarks/${added.body.id}`)
  assert.equal(removed.status, 204)
  for (const d of [a1, a2]) {
    const p = await d.changes.waitFor((p) => p.eventType === 'DELETE', 8000, 'DELETE on A device')
    assert.equal(p.old.id, added.body.id)
  }

  // B's own bookmark reaches B only.
  const bAdded = await ctx.rest(b, 'POST', `${BASE}/bookmarks`, { item_type: 'partner', item_id: 'acme' })
  assert.equal(bAdded.status, 200)
  await b1.changes.waitFor((p) => p.eventType === 'INSERT' && p.new.id === bAdded.body.id, 8000, "INSERT on B's device")
  await snooped.waitFor((p) => p.new && p.new.id === bAdded.body.id, 8000, "B's own row on B's unfiltered channel")

  await h.sleep(LEAK_WAIT_MS)
  for (const [name, d] of [['device 1', a1], ['device 2', a2]]) {
    assert.deepEqual(d.changes.items.map((p) => p.eventType), ['INSERT', 'DELETE'], `A's ${name}: exactly one INSERT and one DELETE`)
  }
  assert.deepEqual(b1.changes.items.map((p) => p.new.id), [bAdded.body.id], "B's device sees only B's bookmark")
  assert.deepEqual(snooped.items.filter((p) => (p.new.user_id || p.old.user_id) !== 'user-b'), [], "no row of A reaches B's unfiltered subscription")
  assert.deepEqual(aimedChanges.items, [], "no row of A reaches B's subscription filtered on A's user_id")
})

test('every listed item type can be bookmarked; the list is per user and filterable', async () => {
  const c = await ctx.user('user-c')
  for (const [type, id] of [['challenge', '1'], ['idea', 'idea-9'], ['event', '3'], ['opportunity', 'op-1'], ['partner', 'p-2']]) {
    const r = await ctx.rest(c, 'POST', `${BASE}/bookmarks`, { item_type: type, item_id: id })
    assert.equal(r.status, 200, `${type}: ${JSON.stringify(r.body)}`)
  }
  const all = await ctx.rest(c, 'GET', `${BASE}/bookmarks`)
  assert.equal(all.status, 200)
  assert.equal(all.body.length, 5)
  assert.ok(all.body.every((r) => r.user_id === 'user-c'))
  const ideas = await ctx.rest(c, 'GET', `${BASE}/bookmarks?item_type=idea`)
  assert.deepEqual(ideas.body.map((r) => r.item_id), ['idea-9'])
  const other = await ctx.rest(await ctx.user('user-d'), 'GET', `${BASE}/bookmarks`)
  assert.deepEqual(other.body, [], "another user's list is empty")
  const byItem = await ctx.rest(c, 'DELETE', `${BASE}/items/idea/idea-9`)
  assert.equal(byItem.status, 204)
  assert.equal((await ctx.rest(c, 'DELETE', `${BASE}/items/idea/idea-9`)).status, 204, 'removing a missing bookmark by item is a no-op')
  assert.deepEqual(await ctx.sql(`SELECT count(*)::int AS n FROM public.bookmarks WHERE user_id = 'user-c'`), [{ n: 4 }])
})

test('invalid requests get a clear 4xx JSON error and change nothing', async () => {
  const e = await ctx.user('user-e')
  const f = await ctx.user('user-f')
  const own = await ctx.rest(e, 'POST', `${BASE}/bookmarks`, { item_type: 'event', item_id: '7' })
  assert.equal(own.status, 200)
  const before = await ctx.sql('SELECT id, user_id, item_type, item_id, note FROM public.bookmarks ORDER BY id')

  assertError(await ctx.rest(e, 'POST', `${BASE}/bookmarks`, {}), 400, 'InvalidInput', /item_type is required/)
  assertError(await ctx.rest(e, 'POST', `${BASE}/bookmarks`, '{"item_type": "idea", '), 400, 'InvalidInput', /not valid JSON/)
  assertError(await ctx.rest(e, 'POST', `${BASE}/bookmarks`, '["idea", "1"]'), 400, 'InvalidInput', /not valid JSON/)
  assertError(await ctx.rest(e, 'POST', `${BASE}/bookmarks`, { item_type: 'event' }), 400, 'InvalidInput', /item_id is required/)
  assertError(await ctx.rest(e, 'POST', `${BASE}/bookmarks`, { item_type: 'video', item_id: '1' }), 400, 'InvalidInput',
    /item_type must be one of \[challenge, idea, event, opportunity, partner\]/)
  assertError(await ctx.rest(e, 'POST', `${BASE}/bookmarks`, { item_type: 'idea', item_id: 'a b' }), 400, 'InvalidInput', /whitespace/)
  assertError(await ctx.rest(e, 'POST', `${BASE}/bookmarks`, { item_type: 'idea', item_id: '1', user_id: 'user-f' }), 400, 'InvalidInput',
    /unknown field\(s\) \[user_id\]/)
  assertError(await ctx.rest(e, 'GET', `${BASE}/bookmarks?item_type=video`), 400, 'InvalidInput', /item_type must be one of/)
  assertError(await ctx.rest(e, 'DELETE', `${BASE}/bookmarks/999999`), 404, 'NotFound', /no bookmark with id 999999/)
  assertError(await ctx.rest(e, 'DELETE', `${BASE}/bookmarks/abc`), 404, 'NotFound', /no bookmark with id 'abc'/)
  assertError(await ctx.rest(f, 'DELETE', `${BASE}/bookmarks/${own.body.id}`), 403, 'Forbidden', /belongs to another user/)
  assertError(await ctx.rest(f, 'GET', `${BASE}/bookmarks/${own.body.id}`), 403, 'Forbidden', /belongs to another user/)
  assertError(await ctx.rest(ctx.server.anonKey, 'POST', `${BASE}/bookmarks`, { item_type: 'idea', item_id: '1' }), 403, 'Forbidden', /no sub/)
  assertError(await ctx.rest(null, 'GET', `${BASE}/bookmarks`), 403, 'Forbidden', /no sub/) // the anon apikey alone
  const noKey = await h.fetchT(`${ctx.server.httpUrl}${BASE}/bookmarks`)
  assert.equal(noKey.status, 401, 'a call without any token is refused')
  assert.deepEqual(await ctx.sql('SELECT id, user_id, item_type, item_id, note FROM public.bookmarks ORDER BY id'), before, 'the table is unchanged')
})
