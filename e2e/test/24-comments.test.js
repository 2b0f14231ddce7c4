'use strict'
// The comments plugin end to end (issue 9): loaded from its own jar, REST with real JWTs, the discussion channel
// `discussion:{item_type}:{item_id}` with the real realtime-js client — comment and reaction changes reach the item's
// subscribers and no other item's, typing indicators (clients/js/herald-typing.js) reach the others but not the
// sender and expire without a refresh, only the author edits or deletes, a reaction twice is one row.

const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { Client: PgClient } = require('pg')
const h = require('../lib/harness')
const { pluginsFolder } = require('../lib/plugin-jars')
const { rest } = require('../lib/plugin-rest')
const { attachTyping } = require(path.join(h.REPO_ROOT, 'clients', 'js', 'herald-typing.js'))

const folder = pluginsFolder('comments')
test.after(() => folder.remove())

let db = null
const ctx = h.useServer(test, { HERALD_CDC_ENABLED: 'true', HERALD_PLUGINS_DIR: folder.dir, HERALD_PLUGINS_COMMENTS_MAX_BODY_LENGTH: '200' }, {
  setup: async (server) => {
    db = new PgClient({ connectionString: server.dbUrl, connectionTimeoutMillis: 5000 })
    db.on('error', () => {})
    await h.withTimeout(db.connect(), 8000, 'pg connect')
  },
  teardown: async () => { if (db) await db.end().catch(() => {}) },
})

const token = (sub) => h.mintToken(ctx.server.secret, { sub, role: 'authenticated' })
const call = (method, p, opts) => rest(ctx, method, p, opts)
let seq = 0
const freshItem = () => `${Date.now()}${seq++}`

/** A user joined to the discussion channel of `type`/`id`, collecting comment and reaction changes and typing. */
async function join(sub, type, id, typingOptions) {
  const tok = await token(sub)
  const client = h.createClient(ctx, { apikey: tok })
  const ch = client.channel(`discussion:${type}:${id}`)
  const comments = h.collector(ch, 'postgres_changes', { event: '*', schema: 'public', table: 'comments' })
  const reactions = h.collector(ch, 'postgres_changes', { event: '*', schema: 'public', table: 'comment_reactions' })
  const typingRaw = h.collector(ch, 'broadcast', { event: 'typing' })
  const system = h.collector(ch, 'system', {})
  const changes = []
  const typing = attachTyping(ch, { user: sub, onChange: (users) => changes.push(users), ...(typingOptions || {}) })
  ctx.track(() => typing.dispose())
  await h.subscribe(ch)
  await system.waitFor((p) => p.extension === 'postgres_changes' && p.status === 'ok', 10000)
  return { sub, tok, ch, comments, reactions, typingRaw, typing, changes }
}

test('the plugin is discovered, migrated, and its tables are published', async () => {
  assert.match(ctx.server.logs(), /plugin comments \S+ found/)
  const pub = await db.query("SELECT tablename FROM pg_publication_tables WHERE tablename IN ('comments', 'comment_reactions') ORDER BY 1")
  assert.deepEqual(pub.rows.map((r) => r.tablename), ['comment_reactions', 'comments'])
})

test('a comment posted through REST reaches the item\'s discussion subscribers and no other item\'s', async () => {
  const id = freshItem()
  const a = await join('user-a', 'challenge', id)
  const b = await join('user-b', 'challenge', id)
  const other = await join('user-c', 'challenge', `${id}9`) // another challenge
  const otherType = await join('user-d', 'event', id) // same id, another item type

  const posted = await call('POST', `/plugins/comments/items/challenge/${id}/comments`, { tok: a.tok, body: { body: 'first!' } })
  assert.equal(posted.status, 201, posted.text)
  assert.equal(posted.json.author, 'user-a')
  assert.equal(posted.json.parent_id, null)
  const reply = await call('POST', `/plugins/comments/items/challenge/${id}/comments`, { tok: b.tok, body: { body: 'a reply', parent_id: posted.json.id } })
  assert.equal(reply.status, 201, reply.text)
  assert.equal(reply.json.parent_id, posted.json.id)
  // noise on the other items
  for (const [type, item] of [['challenge', `${id}9`], ['event', id]]) {
    assert.equal((await call('POST', `/plugins/comments/items/${type}/${item}/comments`, { tok: a.tok, body: { body: `elsewhere ${type}` } })).status, 201)
  }

  for (const u of [a, b]) {
    await u.comments.waitFor((p) => p.eventType === 'INSERT' && p.new.body === 'a reply', 10000, `${u.sub} gets the reply`)
    assert.deepEqual(u.comments.items.map((p) => [p.eventType, p.new.body, p.new.parent_id ?? null]),
      [['INSERT', 'first!', null], ['INSERT', 'a reply', posted.json.id]])
  }
  await other.comments.waitFor((p) => p.new.body === 'elsewhere challenge', 10000)
  await otherType.comments.waitFor((p) => p.new.body === 'elsewhere event', 10000)
  await h.sleep(500) // a leak would have arrived by now
  assert.deepEqual(other.comments.items.map((p) => p.new.body), ['elsewhere challenge'])
  assert.deepEqual(otherType.comments.items.map((p) => p.new.body), ['elsewhere event'])

  // the REST listing shows the thread
  const list = await call('GET', `/plugins/comments/items/challenge/${id}/comments`, { tok: b.tok })
  assert.deepEqual(list.json.map((c) => [c.body, c.parent_id]), [['first!', null], ['a reply', posted.json.id]])
  // a parent from another item is refused and stores nothing
  const cross = await call('POST', `/plugins/comments/items/challenge/${id}9/comments`, { tok: a.tok, body: { body: 'x', parent_id: posted.json.id } })
  assert.equal(cross.status, 400)
  assert.equal(cross.json.error, 'InvalidInput')
  assert.match(cross.json.message, /parent_id \d+ is not a comment of challenge/)
})

test('typing indicators reach the others and not the sender, and expire without a refresh', async () => {
  const id = freshItem()
  const a = await join('user-a', 'challenge', id, { expiresInMs: 800, refreshMs: 200 })
  const b = await join('user-b', 'challenge', id, { expiresInMs: 800, refreshMs: 200 })
  const c = await join('user-c', 'challenge', id, { expiresInMs: 800, refreshMs: 200 })

  assert.equal(await a.typing.typing(), 'ok')
  await h.waitFor(() => b.typing.users().includes('user-a') && c.typing.users().includes('user-a'), 5000, 'b and c see a typing')
  const raw = b.typingRaw.items[0].payload
  assert.deepEqual(raw, { user: 'user-a', typing: true, expires_in_ms: 800 })
  const shownAt = Date.now()
  // No refresh: the indicator is still there a little later, then gone after expires_in_ms.
  await h.sleep(300)
  assert.deepEqual(b.typing.users(), ['user-a'])
  await h.waitFor(() => b.typing.users().length === 0, 3000, 'the indicator expires')
  const expiredAfter = Date.now() - shownAt
  assert.ok(expiredAfter >= 600, `expired after ${expiredAfter} ms, before expires_in_ms`)
  assert.deepEqual(b.changes, [['user-a'], []])
  // The sender never receives its own indicator (self: false) and never shows itself.
  assert.equal(a.typingRaw.items.length, 0)
  assert.deepEqual(a.typing.users(), [])

  // Refreshing while typing keeps the indicator up continuously (2 s, longer than two expiries).
  const until = Date.now() + 2000
  while (Date.now() < until) {
    await b.typing.typing()
    await h.sleep(50)
  }
  assert.deepEqual(c.changes, [['user-a'], [], ['user-b']], 'one appearance for the whole refreshed stretch')
  assert.ok(a.typingRaw.items.length >= 5 && a.typingRaw.items.length <= 15, `throttled refreshes: ${a.typingRaw.items.length}`)
  // stop() clears it at once for everybody
  assert.equal(await b.typing.stop(), 'ok')
  await h.waitFor(() => c.typing.users().length === 0 && a.typing.users().length === 0, 2000, 'stop clears at once')
  assert.deepEqual(b.typing.users(), [])
})

test('only the author may edit or delete; a refused edit changes nothing; deletes are soft', async () => {
  const id = freshItem()
  const watcher = await join('user-w', 'event', id)
  const a = await token('user-a')
  const b = await token('user-b')
  const c = await call('POST', `/plugins/comments/items/event/${id}/comments`, { tok: a, body: { body: 'original' } })
  assert.equal(c.status, 201)

  const refused = await call('PATCH', `/plugins/comments/comments/${c.json.id}`, { tok: b, body: { body: 'hijacked' } })
  assert.equal(refused.status, 403)
  assert.deepEqual(refused.json, { error: 'Forbidden', message: `only the author of comment ${c.json.id} may change it` })
  const refusedDelete = await call('DELETE', `/plugins/comments/comments/${c.json.id}`, { tok: b })
  assert.equal(refusedDelete.status, 403)
  const row = await db.query('SELECT body, edited_at, deleted_at FROM comments WHERE id = $1', [c.json.id])
  assert.deepEqual(row.rows[0], { body: 'original', edited_at: null, deleted_at: null })

  const edited = await call('PATCH', `/plugins/comments/comments/${c.json.id}`, { tok: a, body: { body: 'edited' } })
  assert.equal(edited.status, 200, edited.text)
  assert.equal(edited.json.body, 'edited')
  assert.ok(edited.json.edited_at)
  const deleted = await call('DELETE', `/plugins/comments/comments/${c.json.id}`, { tok: a })
  assert.equal(deleted.status, 200, deleted.text)
  assert.equal(deleted.json.deleted, true)
  assert.equal(deleted.json.body, '')
  await watcher.comments.waitFor((p) => p.eventType === 'UPDATE' && p.new.deleted_at, 10000, 'the soft delete as an UPDATE')
  assert.deepEqual(watcher.comments.items.map((p) => [p.eventType, p.new.body]), [['INSERT', 'original'], ['UPDATE', 'edited'], ['UPDATE', '']])
  // a deleted comment can be neither edited nor deleted again
  assert.equal((await call('PATCH', `/plugins/comments/comments/${c.json.id}`, { tok: a, body: { body: 'again' } })).status, 404)
  assert.equal((await call('DELETE', `/plugins/comments/comments/${c.json.id}`, { tok: a })).status, 404)
  assert.equal((await call('PATCH', '/plugins/comments/comments/999999999', { tok: a, body: { body: 'x' } })).status, 404)
})

test('a reaction twice is one row; reactions reach the discussion channel', async () => {
  const id = freshItem()
  const watcher = await join('user-w', 'challenge', id)
  const a = await token('user-a')
  const b = await token('user-b')
  const c = await call('POST', `/plugins/comments/items/challenge/${id}/comments`, { tok: a, body: { body: 'react to me' } })
  const thumbs = encodeURIComponent('👍')
  const first = await call('PUT', `/plugins/comments/comments/${c.json.id}/reactions/${thumbs}`, { tok: b })
  assert.deepEqual(first.json, { comment_id: c.json.id, emoji: '👍', added: true, count: 1 })
  const again = await call('PUT', `/plugins/comments/comments/${c.json.id}/reactions/${thumbs}`, { tok: b })
  assert.equal(again.status, 200)
  assert.deepEqual(again.json, { comment_id: c.json.id, emoji: '👍', added: false, count: 1 })
  const rows = await db.query('SELECT user_id, emoji FROM comment_reactions WHERE comment_id = $1', [c.json.id])
  assert.deepEqual(rows.rows, [{ user_id: 'user-b', emoji: '👍' }])
  assert.deepEqual((await call('PUT', `/plugins/comments/comments/${c.json.id}/reactions/${thumbs}`, { tok: a })).json.count, 2)
  const list = await call('GET', `/plugins/comments/items/challenge/${id}/comments`, { tok: a })
  assert.deepEqual(list.json[0].reactions, { '👍': 2 })
  await watcher.reactions.waitFor((p) => p.eventType === 'INSERT' && p.new.user_id === 'user-a', 10000)
  assert.equal(watcher.reactions.items.length, 2, 'the idempotent repeat produced no change')
  const removed = await call('DELETE', `/plugins/comments/comments/${c.json.id}/reactions/${thumbs}`, { tok: b })
  assert.deepEqual(removed.json, { comment_id: c.json.id, emoji: '👍', removed: true, count: 1 })
  await watcher.reactions.waitFor((p) => p.eventType === 'DELETE', 10000)
  const bad = await call('PUT', `/plugins/comments/comments/${c.json.id}/reactions/like`, { tok: b })
  assert.equal(bad.status, 400)
  assert.equal(bad.json.error, 'InvalidInput')
})

test('bad requests get clear 4xx JSON errors and change nothing', async () => {
  const a = await token('user-a')
  const anon = await h.mintToken(ctx.server.secret, { role: 'anon' })
  const before = (await db.query('SELECT count(*)::int AS n FROM comments')).rows[0].n
  const cases = [
    [{ tok: a, raw: '{"body":' }, 400, /not valid JSON/],
    [{ tok: a, body: { body: '   ' } }, 400, /body is required/],
    [{ tok: a, body: { body: 'x'.repeat(201) } }, 400, /longer than 200/],
    [{ tok: a, body: { body: 'x', colour: 'red' } }, 400, /unknown field 'colour'/],
    [{ tok: a, body: { body: 'x', parent_id: 'one' } }, 400, /parent_id must be a comment id/],
    [{ tok: anon, body: { body: 'x' } }, 403, /signed-in user/],
  ]
  for (const [opts, status, message] of cases) {
    const r = await call('POST', '/plugins/comments/items/challenge/1/comments', opts)
    assert.equal(r.status, status, r.text)
    assert.match(r.json.message, message)
  }
  const badItem = await call('POST', '/plugins/comments/items/Challenge/1/comments', { tok: a, body: { body: 'x' } })
  assert.equal(badItem.status, 400)
  assert.match(badItem.json.message, /item type/)
  assert.equal((await call('GET', '/plugins/comments/items/challenge/1/comments')).status, 401)
  const notANumber = await call('PATCH', '/plugins/comments/comments/abc', { tok: a, body: { body: 'x' } })
  assert.deepEqual([notANumber.status, notANumber.json.message], [400, 'comment id must be a whole number'])
  const badLimit = await call('GET', '/plugins/comments/items/challenge/1/comments?limit=0', { tok: a })
  assert.deepEqual([badLimit.status, badLimit.json.error], [400, 'InvalidInput'])
  assert.equal((await db.query('SELECT count(*)::int AS n FROM comments')).rows[0].n, before)
})
