'use strict'
// Server contract: without HERALD_JWT_SECRET the server generates a secret in HERALD_DATA_DIR and prints
// usable `anon key:` / `service_role key:` JWTs; the secret and the keys survive a restart on the same data dir (the
// keys are minted once and stored beside the secret, so every start prints the same ones).

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const h = require('../lib/harness')

function claimsOf(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'))
}

test('generated secret: printed anon/service_role keys work for WebSocket and REST, and survive a restart', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-e2e-keys-'))
  const servers = []
  const ctx = { server: null, track: (fn) => cleanups.push(fn) }
  const cleanups = []
  t.after(async () => {
    await Promise.allSettled(cleanups.map((fn) => h.withTimeout(Promise.resolve().then(fn), 5000, 'cleanup')))
    for (const s of servers) await s.stop()
    fs.rmSync(dataDir, { recursive: true, force: true })
  })

  const s1 = await h.startServer({ HERALD_JWT_SECRET: null, HERALD_DATA_DIR: dataDir })
  servers.push(s1)
  ctx.server = s1
  assert.ok(s1.anonKey, `no "anon key:" line in output:\n${s1.logs()}`)
  assert.ok(s1.serviceKey, `no "service_role key:" line in output:\n${s1.logs()}`)
  assert.equal(claimsOf(s1.anonKey).role, 'anon')
  assert.equal(claimsOf(s1.serviceKey).role, 'service_role')
  assert.equal(typeof claimsOf(s1.anonKey).exp, 'number')

  const client = h.createClient(ctx, { apikey: s1.anonKey })
  const ch = client.channel('generated-keys')
  const got = h.collector(ch, 'broadcast', { event: '*' })
  await h.subscribe(ch)
  const res = await h.restBroadcast(s1, [{ topic: 'generated-keys', event: 'hello', payload: { ok: true } }], { token: s1.serviceKey })
  assert.equal(res.status, 202, res.body)
  assert.deepEqual((await got.waitFor((p) => p.event === 'hello')).payload, { ok: true })
  await h.closeClient(client)
  await s1.stop()

  // restart on the same data dir: the same keys are printed, and the previously printed key is still valid
  const s2 = await h.startServer({ HERALD_JWT_SECRET: null, HERALD_DATA_DIR: dataDir })
  servers.push(s2)
  assert.equal(s2.anonKey, s1.anonKey, 'the second start prints the anon key of the first')
  assert.equal(s2.serviceKey, s1.serviceKey, 'the second start prints the service_role key of the first')
  assert.match(fs.readFileSync(path.join(dataDir, 'jwt-keys'), 'utf8'), new RegExp(`^anon=${s1.anonKey}$`, 'm'))
  const r = await h.tryUpgrade(`${s2.wsUrl}?apikey=${s1.anonKey}&vsn=2.0.0`)
  assert.equal(r.status, 101, `old anon key after restart: ${r.status} ${r.body || ''}`)
})
