'use strict'
// The campaigns plugin end to end (docs/plugins/campaigns.md): the approval workflow through REST with real JWTs
// (approvers carry app_metadata.roles), the state machine's refusals (409 illegal move, 403 wrong actor), and the
// `campaign:{id}` channel carrying that campaign's changes only.

const test = require('node:test')
const assert = require('node:assert/strict')
const h = require('../lib/harness')
const { usePluginServer, assertError, subscribeChanges, subscribeExpectError, LEAK_WAIT_MS } = require('../lib/plugin-server')

const ctx = usePluginServer(test, ['campaigns'])
const BASE = '/plugins/campaigns'
const approver = (sub) => ctx.user(sub, { app_metadata: { roles: ['campaign_approver'] } })

async function createCampaign(token, body) {
  const r = await ctx.rest(token, 'POST', `${BASE}/campaigns`, body)
  assert.equal(r.status, 201, JSON.stringify(r.body))
  return r.body
}

async function move(token, id, status, reason) {
  return ctx.rest(token, 'POST', `${BASE}/campaigns/${id}/status`, reason === undefined ? { status } : { status, reason })
}

async function watcher(token, id) {
  const client = await ctx.clientFor(token)
  const ch = client.channel(`campaign:${id}`, { config: { private: true } })
  const changes = h.collector(ch, 'postgres_changes', { event: '*', schema: 'public', table: 'campaigns' })
  await subscribeChanges(ch)
  return { changes, statuses: () => changes.items.map((p) => p.new.status) }
}

test('the approval workflow through REST; each update reaches campaign:{id} subscribers only', async () => {
  const owner = await ctx.user('marketer')
  const boss = await approver('boss')
  const c1 = await createCampaign(owner, { name: 'Spring launch', description: 'New app', budget: 1500.5 })
  assert.equal(c1.status, 'draft')
  assert.deepEqual(c1.next_statuses, ['pending_approval'])
  const c2 = await createCampaign(owner, { name: 'Autumn launch' })
  const viewer = await ctx.user('viewer')
  const w1 = await watcher(viewer, c1.id)
  const w1b = await watcher(boss, c1.id)
  const w2 = await watcher(viewer, c2.id)
  // Private campaign channels need a signed-in user.
  const anonClient = h.createClient(ctx)
  assert.match(await subscribeExpectError(anonClient.channel(`campaign:${c1.id}`, { config: { private: true } })), /^Unauthorized: /)

  let r = await move(owner, c1.id, 'pending_approval')
  assert.equal(r.status, 200, JSON.stringify(r.body))
  r = await move(boss, c1.id, 'approved', 'looks good')
  assert.equal(r.status, 200, JSON.stringify(r.body))
  assert.equal(r.body.decided_by, 'boss')
  assert.equal(r.body.decision_note, 'looks good')
  r = await move(owner, c1.id, 'active')
  assert.equal(r.status, 200)
  r = await ctx.rest(owner, 'POST', `${BASE}/campaigns/${c1.id}/metrics`, { impressions: 1000, clicks: 30 })
  assert.equal(r.status, 200, JSON.stringify(r.body))
  assert.deepEqual([r.body.impressions, r.body.clicks, r.body.conversions], [1000, 30, 0])
  r = await move(owner, c1.id, 'paused')
  assert.equal(r.status, 200)

  const expected = ['pending_approval', 'approved', 'active', 'active', 'paused']
  for (const w of [w1, w1b]) await h.waitFor(() => w.changes.items.length >= 5, 8000, `five updates on campaign:${c1.id} (got ${w.statuses()})`)
  await h.sleep(LEAK_WAIT_MS)
  for (const w of [w1, w1b]) {
    assert.deepEqual(w.statuses(), expected, 'every change of the campaign, in order')
    assert.ok(w.changes.items.every((p) => p.eventType === 'UPDATE' && p.new.id === c1.id))
  }
  assert.equal(w1.changes.items[3].new.impressions, 1000, 'metrics arrive over the channel')
  assert.deepEqual(w2.changes.items, [], `no change of campaign ${c1.id} reaches campaign:${c2.id}`)

  // And the other way round.
  assert.equal((await ctx.rest(owner, 'PATCH', `${BASE}/campaigns/${c2.id}`, { name: 'Autumn launch v2' })).status, 200)
  await w2.changes.waitFor((p) => p.new.name === 'Autumn launch v2', 8000, 'c2 rename on its channel')
  await h.sleep(300)
  assert.equal(w1.changes.items.length, 5, `campaign:${c1.id} got nothing of campaign ${c2.id}`)
})

test('rejection needs a reason; a rejected campaign goes back to draft and can be resubmitted', async () => {
  const owner = await ctx.user('marketer-2')
  const boss = await approver('boss-2')
  const c = await createCampaign(owner, { name: 'Risky' })
  assert.equal((await move(owner, c.id, 'pending_approval')).status, 200)
  assertError(await move(boss, c.id, 'rejected'), 400, 'InvalidInput', /reason is required/)
  const rejected = await move(boss, c.id, 'rejected', 'budget missing')
  assert.equal(rejected.status, 200)
  assert.equal(rejected.body.decision_note, 'budget missing')
  const fixed = await ctx.rest(owner, 'PATCH', `${BASE}/campaigns/${c.id}`, { budget: 200 })
  assert.equal(fixed.status, 200, 'a rejected campaign may be edited')
  assert.equal(Number(fixed.body.budget), 200)
  assertError(await move(owner, c.id, 'pending_approval'), 409, 'Conflict', /from rejected it may go to \[draft\]/)
  assert.equal((await move(owner, c.id, 'draft')).status, 200)
  const again = await move(owner, c.id, 'pending_approval')
  assert.equal(again.status, 200)
  assert.deepEqual(again.body.next_statuses, ['draft', 'approved', 'rejected'])
})

test('illegal transitions, wrong actors and bad input get a clear 4xx JSON error and change nothing', async () => {
  const owner = await ctx.user('marketer-3')
  const stranger = await ctx.user('stranger')
  const selfApprover = await approver('marketer-4')
  const draft = await createCampaign(owner, { name: 'Draft one' })
  const own = await createCampaign(selfApprover, { name: 'My own' })
  assert.equal((await move(selfApprover, own.id, 'pending_approval')).status, 200)
  const snapshot = () => ctx.sql('SELECT id, created_by, name, description, status, budget, impressions, clicks, conversions, decided_by, decision_note, updated_at FROM public.campaigns ORDER BY id')
  const before = await snapshot()

  assertError(await move(owner, draft.id, 'active'), 409, 'Conflict', /cannot go from draft to active; from draft it may go to \[pending_approval\]/)
  assertError(await move(owner, draft.id, 'completed'), 409, 'Conflict', /cannot go from draft to completed/)
  assertError(await move(owner, draft.id, 'draft'), 409, 'Conflict')
  assertError(await move(owner, draft.id, 'launched'), 400, 'InvalidInput', /status must be one of \[draft, pending_approval, approved, rejected, active, paused, completed\]/)
  assertError(await ctx.rest(owner, 'POST', `${BASE}/campaigns/${draft.id}/status`, {}), 400, 'InvalidInput', /status is required/)
  assertError(await move(stranger, draft.id, 'pending_approval'), 403, 'Forbidden', /only the campaign's creator/)
  assertError(await move(owner, own.id, 'approved'), 403, 'Forbidden', /only an approver/)
  assertError(await move(selfApprover, own.id, 'approved'), 403, 'Forbidden', /may not decide on a campaign they created/)
  assertError(await ctx.rest(owner, 'POST', `${BASE}/campaigns/${draft.id}/metrics`, { clicks: 1 }), 409, 'Conflict', /only while a campaign is active/)
  assertError(await ctx.rest(owner, 'POST', `${BASE}/campaigns/${draft.id}/metrics`, { clicks: -1 }), 400, 'InvalidInput', /clicks must be between 0/)
  assertError(await ctx.rest(owner, 'POST', `${BASE}/campaigns/${draft.id}/metrics`, {}), 400, 'InvalidInput', /at least one of/)
  assertError(await ctx.rest(selfApprover, 'PATCH', `${BASE}/campaigns/${own.id}`, { name: 'late edit' }), 409, 'Conflict', /only be edited in draft or rejected/)
  assertError(await ctx.rest(stranger, 'PATCH', `${BASE}/campaigns/${draft.id}`, { name: 'hijack' }), 403, 'Forbidden')
  assertError(await ctx.rest(owner, 'POST', `${BASE}/campaigns`, { description: 'no name' }), 400, 'InvalidInput', /name is required/)
  assertError(await ctx.rest(owner, 'POST', `${BASE}/campaigns/${draft.id}/status`, '{"status":'), 400, 'InvalidInput', /not valid JSON/)
  assertError(await ctx.rest(owner, 'POST', `${BASE}/campaigns`, { name: 'x', budget: -5 }), 400, 'InvalidInput', /budget must be at least 0/)
  assertError(await ctx.rest(owner, 'POST', `${BASE}/campaigns`, { name: 'x', status: 'active' }), 400, 'InvalidInput', /unknown field\(s\) \[status\]/)
  assertError(await move(owner, 999999, 'pending_approval'), 404, 'NotFound', /no campaign with id 999999/)
  assertError(await ctx.rest(owner, 'GET', `${BASE}/campaigns/999999`), 404, 'NotFound')
  assertError(await ctx.rest(owner, 'GET', `${BASE}/campaigns?status=live`), 400, 'InvalidInput')
  assertError(await ctx.rest(stranger, 'DELETE', `${BASE}/campaigns/${draft.id}`), 403, 'Forbidden')
  assert.deepEqual(await snapshot(), before, 'the table is unchanged')

  // The last legal path to the end, and completed is final.
  const boss = await approver('boss-3')
  for (const [who, to] of [[owner, 'pending_approval'], [boss, 'approved'], [owner, 'active'], [owner, 'completed']]) {
    const r = await move(who, draft.id, to)
    assert.equal(r.status, 200, `${to}: ${JSON.stringify(r.body)}`)
  }
  assertError(await move(owner, draft.id, 'active'), 409, 'Conflict', /completed is final/)
  assertError(await ctx.rest(owner, 'DELETE', `${BASE}/campaigns/${draft.id}`), 409, 'Conflict')
})
