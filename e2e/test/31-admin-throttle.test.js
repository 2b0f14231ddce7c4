'use strict'
// The admin credential cannot be guessed quickly or from a web page: failed logins (and failed HTTP Basic calls) are
// throttled per address and overall with growing delays, the login takes JSON only, and /admin has no CORS.
const test = require('node:test')
const assert = require('node:assert/strict')
const h = require('../lib/harness')

const PASSWORD = 'throttle-test-password-1234'
// Small figures so the file runs in about half a minute; the defaults are 100 ms and 10,000 ms.
const STEP_MS = 1
const MAX_MS = 60
const FREE = 5

const ctx = h.useServer(test, {
  HERALD_ADMIN_PASSWORD: PASSWORD,
  HERALD_ADMIN_LOGIN_THROTTLE_STEP_MS: String(STEP_MS),
  HERALD_ADMIN_LOGIN_THROTTLE_MAX_MS: String(MAX_MS),
}, { deadlineMs: 240000 })

async function login(password, headers = { 'content-type': 'application/json' }, body) {
  const res = await h.fetchT(`${ctx.server.httpUrl}/admin/api/login`, {
    method: 'POST',
    headers,
    body: body !== undefined ? body : JSON.stringify({ username: 'admin', password }),
  }, 120000)
  return { status: res.status, headers: res.headers, text: await res.text() }
}

/** The least time n failed attempts from one address take: sum over k of min(max, step × k) beyond the free ones. */
function documentedMinimumMs(n) {
  let total = 0
  for (let k = 1; k <= n - FREE; k++) total += Math.min(MAX_MS, STEP_MS * k)
  return total
}

test('a cross-origin text/plain login is refused, and the admin API sends no CORS headers', async () => {
  // What a web page can send without a preflight: text/plain with a JSON-looking body.
  const r = await login(null, { 'content-type': 'text/plain', origin: 'https://evil.example' }, JSON.stringify({ password: PASSWORD }))
  assert.equal(r.status, 415, r.text)
  assert.equal(r.headers.get('access-control-allow-origin'), null)
  const pre = await h.fetchT(`${ctx.server.httpUrl}/admin/api/login`, {
    method: 'OPTIONS',
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  })
  assert.equal(pre.headers.get('access-control-allow-origin'), null, 'no preflight grant for /admin')
  assert.equal(pre.headers.get('access-control-allow-headers'), null)
  // The public REST API keeps its open CORS.
  const rest = await h.fetchT(`${ctx.server.realtimeUrl}/api/broadcast`, { method: 'OPTIONS', headers: { origin: 'https://app.example' } })
  assert.equal(rest.headers.get('access-control-allow-origin'), '*')
})

test('500 wrong logins take at least the documented throttle time; the right password still works after', async () => {
  const n = 500
  const started = Date.now()
  for (let i = 0; i < n; i++) {
    const r = await login(`wrong-${i}`)
    assert.equal(r.status, 401, `attempt ${i}: ${r.text}`)
  }
  const took = Date.now() - started
  const minimum = documentedMinimumMs(n)
  if (process.env.HERALD_E2E_VERBOSE) console.log(`${n} wrong logins took ${took} ms (documented minimum ${minimum} ms)`)
  assert.ok(took >= minimum, `${n} wrong logins took ${took} ms < ${minimum} ms`)
  // While the address is throttled, a Basic call is refused unchecked, even with the right password.
  const basic = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`
  const throttled = await h.fetchT(`${ctx.server.httpUrl}/admin/api/overview`, { headers: { authorization: basic } })
  assert.equal(throttled.status, 429)
  assert.ok(Number(throttled.headers.get('retry-after')) >= 1)
  assert.match((await throttled.json()).message, /^TooManyAttempts: /)
  // The login queues behind the delay, then succeeds and clears the address.
  const ok = await login(PASSWORD)
  assert.equal(ok.status, 200, ok.text)
  assert.ok(JSON.parse(ok.text).token)
  await h.sleep(MAX_MS * 2)
  const after = await h.fetchT(`${ctx.server.httpUrl}/admin/api/overview`, { headers: { authorization: basic } })
  assert.equal(after.status, 200)
  assert.ok((await h.readMetric(ctx.server, 'herald_drops_total', { reason: 'admin_login_throttled' })) >= 1)
})

test('concurrent wrong logins queue instead of running in parallel', async () => {
  // A fresh run of failures from this address: 60 at once still take their turns one after the other.
  const started = Date.now()
  const results = await Promise.all(Array.from({ length: 60 }, (_, i) => login(`parallel-${i}`)))
  const took = Date.now() - started
  for (const r of results) assert.equal(r.status, 401, r.text)
  assert.ok(took >= documentedMinimumMs(60), `60 concurrent wrong logins took ${took} ms < ${documentedMinimumMs(60)} ms`)
  // Other endpoints are not held up meanwhile (no request thread waits).
  const live = await h.fetchT(`${ctx.server.httpUrl}/health/live`, {}, 1000)
  assert.equal(live.status, 200)
})
