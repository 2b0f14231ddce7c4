'use strict'
// The challenges plugin end to end (docs/plugins/challenges.md): three collaborators on `challenge:{id}` with presence
// (who edits which section) and cursor broadcasts, live submissions over postgres_changes (default filter
// challenge_id=eq.{id}), and the owner's notification reaching the owner only; refusals change nothing.

const test = require('node:test')
const assert = require('node:assert/strict')
const h = require('../lib/harness')
const { usePluginServer, assertError, subscribeChanges, subscribeExpectError, LEAK_WAIT_MS } = require('../lib/plugin-server')

const ctx = usePluginServer(test, ['challenges'])
const BASE = '/plugins/challenges'
const SUBMISSIONS = { event: '*', schema: 'public', table: 'challenge_submissions' }
const NOTIFICATIONS = { event: '*', schema: 'public', table: 'challenge_notifications' }

async function createChallenge(token, body) {
  const r = await ctx.rest(token, 'POST', `${BASE}/challenges`, body)
  assert.equal(r.status, 201, JSON.stringify(r.body))
  return r.body
}

/** A collaborator on private `challenge:<id>` with presence key `name`, collecting cursor broadcasts. */
async function collaborator(name, challengeId) {
  const client = await ctx.clientFor(await ctx.user(name))
  const ch = client.channel(`challenge:${challengeId}`, { config: { private: true, presence: { key: name }, broadcast: { self: false } } })
  const leaves = []
  ch.on('presence', { event: 'leave' }, (p) => leaves.push(p))
  const cursors = h.collector(ch, 'broadcast', { event: 'cursor' })
  await h.subscribe(ch)
  /** key → section, from the presence state this client sees. */
  const editing = () => Object.fromEntries(Object.entries(ch.presenceState()).sort(([a], [b]) => a.localeCompare(b))
    .map(([k, metas]) => [k, metas.map((m) => m.section).join('|')]))
  return { name, client, ch, cursors, leaves, editing }
}

test('presence on challenge:{id} with three collaborators shows who edits which section, and the leave on disconnect', async () => {
  const owner = await ctx.user('author')
  const c = await createChallenge(owner, { title: 'Bridge design', sections: ['intro', 'rules', 'scoring'] })
  const other = await createChallenge(owner, { title: 'Other challenge' })
  const [alice, bob, carol] = [await collaborator('alice', c.id), await collaborator('bob', c.id), await collaborator('carol', c.id)]
  const outsider = await collaborator('dave', other.id)

  await alice.ch.track({ section: 'intro' })
  await bob.ch.track({ section: 'rules' })
  await carol.ch.track({ section: 'scoring' })
  const expected = { alice: 'intro', bob: 'rules', carol: 'scoring' }
  for (const m of [alice, bob, carol]) {
    await h.waitFor(() => JSON.stringify(m.editing()) === JSON.stringify(expected), 8000, `${m.name} sees who edits what (${JSON.stringify(m.editing())})`)
  }

  // Bob moves to another section: the others see the new section.
  await bob.ch.track({ section: 'intro' })
  for (const m of [alice, carol]) {
    await h.waitFor(() => m.editing().bob === 'intro', 8000, `${m.name} sees bob on intro`)
  }

  // Cursor positions go over broadcast (high-frequency data stays out of presence).
  for (let i = 0; i < 20; i++) await alice.ch.send({ type: 'broadcast', event: 'cursor', payload: { user: 'alice', section: 'intro', pos: i } })
  for (const m of [bob, carol]) {
    await h.waitFor(() => m.cursors.items.length >= 20, 8000, `${m.name} gets alice's 20 cursor moves`)
    assert.deepEqual(m.cursors.items.map((b) => b.payload.pos), Array.from({ length: 20 }, (_, i) => i), 'in order, each once')
  }

  // Carol's socket goes away without leaving: the others see her leave.
  await h.closeClient(carol.client, { leave: false })
  for (const m of [alice, bob]) {
    await h.waitFor(() => m.leaves.some((p) => p.key === 'carol'), 10000, `${m.name} sees carol leave`)
    await h.waitFor(() => JSON.stringify(m.editing()) === JSON.stringify({ alice: 'intro', bob: 'intro' }), 8000, `${m.name}'s state without carol`)
  }

  await h.sleep(LEAK_WAIT_MS)
  assert.deepEqual(Object.keys(outsider.ch.presenceState()), [], `nobody of challenge:${c.id} appears on challenge:${other.id}`)
  assert.deepEqual(outsider.cursors.items, [], `no cursor of challenge:${c.id} reaches challenge:${other.id}`)

  // Anonymous users cannot join a private challenge channel.
  assert.match(await subscribeExpectError(h.createClient(ctx).channel(`challenge:${c.id}`, { config: { private: true } })), /^Unauthorized: /)
})

test("submissions reach that challenge's subscribers only; the notification reaches the owner only", async () => {
  const [owner, submitter, viewer] = [await ctx.user('owner-1'), await ctx.user('submitter-1'), await ctx.user('viewer-1')]
  const c = await createChallenge(owner, { title: 'Logo contest' })
  const other = await createChallenge(owner, { title: 'Slogan contest' })

  const viewerClient = await ctx.clientFor(viewer)
  const onC = viewerClient.channel(`challenge:${c.id}`, { config: { private: true } })
  const live = h.collector(onC, 'postgres_changes', SUBMISSIONS)
  await subscribeChanges(onC)
  const onOther = viewerClient.channel(`challenge:${other.id}`, { config: { private: true } })
  const otherLive = h.collector(onOther, 'postgres_changes', SUBMISSIONS)
  await subscribeChanges(onOther)

  const inbox = async (token, sub) => {
    const client = await ctx.clientFor(token)
    const ch = client.channel(`challenge-notifications:${sub}`, { config: { private: true } })
    const items = h.collector(ch, 'postgres_changes', NOTIFICATIONS)
    await subscribeChanges(ch)
    return items
  }
  const ownerInbox = await inbox(owner, 'owner-1')
  const submitterInbox = await inbox(submitter, 'submitter-1')
  // The viewer tries to read every notification: unfiltered on a public channel, and the owner's private topic.
  const snoopChannel = viewerClient.channel('snoop-notifications')
  const snooped = h.collector(snoopChannel, 'postgres_changes', NOTIFICATIONS)
  await subscribeChanges(snoopChannel)
  assert.match(await subscribeExpectError(viewerClient.channel('challenge-notifications:owner-1', { config: { private: true } })), /^Unauthorized: /)

  const sub = await ctx.rest(submitter, 'POST', `${BASE}/challenges/${c.id}/submissions`, { content: 'my logo' })
  assert.equal(sub.status, 201, JSON.stringify(sub.body))
  assert.equal(sub.body.status, 'submitted')
  const ins = await live.waitFor((p) => p.eventType === 'INSERT', 8000, 'submission INSERT on the challenge channel')
  assert.equal(ins.new.id, sub.body.id)
  assert.equal(ins.new.content, 'my logo')
  const note = await ownerInbox.waitFor((p) => p.eventType === 'INSERT', 8000, "owner's notification")
  assert.equal(note.new.user_id, 'owner-1')
  assert.equal(note.new.kind, 'submission_received')
  assert.equal(note.new.submission_id, sub.body.id)
  assert.equal(note.new.message, 'submitter-1 submitted to "Logo contest"')

  // The owner accepts: the submission's UPDATE on the challenge channel, and a notification for the submitter only.
  const reviewed = await ctx.rest(owner, 'PATCH', `${BASE}/submissions/${sub.body.id}`, { status: 'accepted' })
  assert.equal(reviewed.status, 200, JSON.stringify(reviewed.body))
  await live.waitFor((p) => p.eventType === 'UPDATE' && p.new.status === 'accepted', 8000, 'submission UPDATE')
  const back = await submitterInbox.waitFor((p) => p.eventType === 'INSERT', 8000, "submitter's notification")
  assert.equal(back.new.kind, 'submission_reviewed')

  // Marking read is an UPDATE that reaches the owner's inbox only.
  const read = await ctx.rest(owner, 'POST', `${BASE}/notifications/${note.new.id}/read`)
  assert.equal(read.status, 200)
  assert.ok(read.body.read_at)
  await ownerInbox.waitFor((p) => p.eventType === 'UPDATE' && p.new.read_at, 8000, 'read UPDATE')

  await h.sleep(LEAK_WAIT_MS)
  assert.deepEqual(live.items.map((p) => p.eventType), ['INSERT', 'UPDATE'])
  assert.deepEqual(otherLive.items, [], `no submission of challenge ${c.id} reaches challenge:${other.id}`)
  assert.deepEqual(ownerInbox.items.map((p) => p.eventType), ['INSERT', 'UPDATE'], 'the owner sees only their notification')
  assert.deepEqual(submitterInbox.items.map((p) => [p.eventType, p.new.user_id]), [['INSERT', 'submitter-1']], 'the submitter sees only theirs')
  assert.deepEqual(snooped.items, [], 'nobody else receives any notification, even unfiltered')
  assert.deepEqual(await ctx.sql('SELECT user_id, kind FROM public.challenge_notifications WHERE challenge_id = $1 ORDER BY id', [c.id]),
    [{ user_id: 'owner-1', kind: 'submission_received' }, { user_id: 'submitter-1', kind: 'submission_reviewed' }])

  const mine = await ctx.rest(owner, 'GET', `${BASE}/challenges/mine`)
  assert.deepEqual(mine.body.map((x) => x.id).sort(), [c.id, other.id].sort(), '"my challenges" lists the creator\'s challenges')
  assert.deepEqual((await ctx.rest(submitter, 'GET', `${BASE}/challenges/mine`)).body, [])
})

test('invalid requests get a clear 4xx JSON error and change nothing', async () => {
  const [owner, submitter] = [await ctx.user('owner-2'), await ctx.user('submitter-2')]
  const c = await createChallenge(owner, { title: 'Closed soon' })
  const sub = await ctx.rest(submitter, 'POST', `${BASE}/challenges/${c.id}/submissions`, { content: 'first' })
  assert.equal(sub.status, 201)
  assert.equal((await ctx.rest(owner, 'PATCH', `${BASE}/submissions/${sub.body.id}`, { status: 'rejected' })).status, 200)
  const closed = await createChallenge(owner, { title: 'Closed' })
  assert.equal((await ctx.rest(owner, 'PATCH', `${BASE}/challenges/${closed.id}`, { status: 'closed' })).status, 200)
  const [note] = await ctx.sql(`SELECT id FROM public.challenge_notifications WHERE user_id = 'owner-2'`)
  const snapshot = async () => ({
    challenges: await ctx.sql('SELECT id, created_by, title, description, sections, status, updated_at FROM public.challenges ORDER BY id'),
    submissions: await ctx.sql('SELECT id, challenge_id, submitted_by, content, status, reviewed_at FROM public.challenge_submissions ORDER BY id'),
    notifications: await ctx.sql('SELECT id, user_id, kind, read_at FROM public.challenge_notifications ORDER BY id'),
  })
  const before = await snapshot()

  assertError(await ctx.rest(owner, 'POST', `${BASE}/challenges`, { description: 'no title' }), 400, 'InvalidInput', /title is required/)
  assertError(await ctx.rest(owner, 'POST', `${BASE}/challenges`, { title: 'x', sections: 'intro' }), 400, 'InvalidInput', /sections must be an array/)
  assertError(await ctx.rest(owner, 'POST', `${BASE}/challenges`, { title: 'x', created_by: 'someone' }), 400, 'InvalidInput', /unknown field/)
  assertError(await ctx.rest(submitter, 'POST', `${BASE}/challenges/${c.id}/submissions`, {}), 400, 'InvalidInput', /content is required/)
  assertError(await ctx.rest(submitter, 'POST', `${BASE}/challenges/999999/submissions`, { content: 'x' }), 404, 'NotFound', /no challenge with id 999999/)
  assertError(await ctx.rest(submitter, 'POST', `${BASE}/challenges/${closed.id}/submissions`, { content: 'late' }), 409, 'Conflict', /closed for submissions/)
  assertError(await ctx.rest(submitter, 'PATCH', `${BASE}/submissions/${sub.body.id}`, { status: 'accepted' }), 403, 'Forbidden', /only the challenge's creator/)
  assertError(await ctx.rest(owner, 'PATCH', `${BASE}/submissions/${sub.body.id}`, { status: 'accepted' }), 409, 'Conflict', /already rejected/)
  assertError(await ctx.rest(owner, 'PATCH', `${BASE}/submissions/${sub.body.id}`, { status: 'maybe' }), 400, 'InvalidInput', /status must be one of \[accepted, rejected\]/)
  assertError(await ctx.rest(owner, 'PATCH', `${BASE}/submissions/999999`, { status: 'accepted' }), 404, 'NotFound')
  assertError(await ctx.rest(submitter, 'PATCH', `${BASE}/challenges/${c.id}`, { title: 'mine' }), 403, 'Forbidden', /belongs to another user/)
  assertError(await ctx.rest(owner, 'PATCH', `${BASE}/challenges/${c.id}`, { status: 'archived' }), 400, 'InvalidInput', /status must be one of \[open, closed\]/)
  assertError(await ctx.rest(submitter, 'DELETE', `${BASE}/challenges/${c.id}`), 403, 'Forbidden')
  assertError(await ctx.rest(submitter, 'POST', `${BASE}/notifications/${note.id}/read`), 403, 'Forbidden', /belongs to another user/)
  assertError(await ctx.rest(submitter, 'POST', `${BASE}/notifications/999999/read`), 404, 'NotFound')
  assertError(await ctx.rest(owner, 'GET', `${BASE}/challenges/abc`), 404, 'NotFound', /no challenge with id 'abc'/)
  assertError(await ctx.rest(ctx.server.anonKey, 'POST', `${BASE}/challenges`, { title: 'anon' }), 403, 'Forbidden', /no sub/)
  assert.deepEqual(await snapshot(), before, 'the tables are unchanged')
})
