'use strict'
// The voice relay under load: N sessions, each streaming real-time audio (20 ms chunks of 24 kHz 16-bit PCM, 50 per
// second) through Herald's relay to the Realtime stand-in in echo mode, which returns each chunk at once as an audio
// delta. Measures the round trip browser → relay → upstream → relay → browser per chunk, next to the same round
// trip straight to the stand-in (no relay), and the relay's share. Not a test: it asserts nothing and prints a table.
//
//   node bench/voice/bench.js [sessions...]     (default: 1 20 100; DURATION_S=10)

const path = require('node:path')
const os = require('node:os')
const crypto = require('node:crypto')
const { performance } = require('node:perf_hooks')
const E2E = path.join(__dirname, '..', '..', 'e2e')
const WebSocket = require(path.join(E2E, 'node_modules', 'ws'))
const h = require(path.join(E2E, 'lib', 'harness'))
const { startUpstream } = require(path.join(E2E, 'lib', 'voice-upstream'))
const { pluginsFolder } = require(path.join(E2E, 'lib', 'plugin-jars'))

const DURATION_S = Number(process.env.DURATION_S || 10)
const CHUNK_BYTES = 960 // 20 ms of 24 kHz mono 16-bit PCM
const API_KEY = `sk-bench-${crypto.randomBytes(8).toString('hex')}`

function percentile(sorted, q) {
  if (!sorted.length) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

/** Runs `sessions` streams against `url` (already including any token); returns round-trip figures in ms. */
async function run(sessions, openUrl, headers) {
  const rtts = []
  let sent = 0
  let received = 0
  let refused = 0
  const audio = crypto.randomBytes(CHUNK_BYTES).toString('base64')
  const socks = await Promise.all(Array.from({ length: sessions }, async (_, i) => {
    const ws = new WebSocket(await openUrl(i), { headers })
    const pending = new Map()
    const s = { ws, pending, ready: h.deferred() }
    ws.on('message', (data) => {
      const text = data.toString('utf8')
      if (!s.started) {
        if (text.includes('"session.created"')) { s.started = true; s.ready.resolve() }
        return
      }
      const m = /"item_id":"(c\d+_\d+)"/.exec(text)
      if (m && pending.has(m[1])) {
        rtts.push(performance.now() - pending.get(m[1]))
        pending.delete(m[1])
        received++
      }
    })
    ws.on('close', () => { if (!s.started) { refused++; s.ready.resolve() } })
    ws.on('error', () => {})
    return s
  }))
  await h.withTimeout(Promise.all(socks.map((s) => s.ready.promise)), 30000, 'sessions started')
  await h.sleep(300) // let the relay's session.update go by
  const started = performance.now()
  let seq = 0
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      seq++
      for (let i = 0; i < socks.length; i++) {
        const s = socks[i]
        if (s.ws.readyState !== 1) continue
        const id = `c${i}_${seq}`
        s.pending.set(id, performance.now())
        s.ws.send(`{"type":"input_audio_buffer.append","event_id":"${id}","audio":"${audio}"}`)
        sent++
      }
      if (performance.now() - started >= DURATION_S * 1000) { clearInterval(timer); resolve() }
    }, 20)
  })
  await h.sleep(1000)
  for (const s of socks) s.ws.terminate()
  rtts.sort((a, b) => a - b)
  return { sessions, sent, received, refused, lost: sent - received, p50: percentile(rtts, 0.5), p99: percentile(rtts, 0.99), max: rtts[rtts.length - 1] }
}

;(async () => {
  const counts = process.argv.slice(2).map(Number).filter((n) => n > 0)
  const ladder = counts.length ? counts : [1, 20, 100]
  const upstream = await startUpstream({ apiKey: API_KEY, echo: true })
  const { dir, remove: removeDir } = pluginsFolder('voice', { prefix: 'herald-voice-bench-' })
  const server = await h.startServer({
    HERALD_CDC_ENABLED: 'true', HERALD_PLUGINS_DIR: dir, HERALD_PLUGINS_VOICE_UPSTREAM_URL: upstream.url,
    HERALD_PLUGINS_VOICE_API_KEY: API_KEY, HERALD_PLUGINS_VOICE_MAX_SESSIONS_PER_USER: '1',
  })
  const rows = []
  try {
    for (const n of ladder) {
      const direct = await run(n, () => `ws://127.0.0.1:${upstream.port}/v1/realtime?model=gpt-realtime`, { authorization: `Bearer ${API_KEY}` })
      const relayed = await run(n, async (i) => `ws://127.0.0.1:${server.port}/plugins/voice/relay?access_token=${await h.mintToken(server.secret, { sub: `bench-${n}-${i}`, role: 'authenticated' })}`)
      rows.push({ n, direct, relayed })
      console.error(`${n} session(s): direct p50 ${direct.p50.toFixed(2)} ms, relayed p50 ${relayed.p50.toFixed(2)} ms`)
    }
  } finally {
    await server.stop()
    await upstream.close()
    removeDir()
  }
  const f = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-')
  console.log(`\nVoice relay round trip, ${DURATION_S} s per step, 20 ms chunks (${CHUNK_BYTES} B PCM, ${Math.ceil(CHUNK_BYTES / 3) * 4} B base64) at 50/s per session, loopback`)
  console.log(`(${os.cpus().length} CPUs, ${os.cpus()[0].model}; client, stand-in and Herald on the same machine)\n`)
  console.log('| sessions | frames/s each way | direct p50 / p99 ms | relayed p50 / p99 / max ms | relay adds (p50) | lost |')
  console.log('|---:|---:|---:|---:|---:|---:|')
  for (const { n, direct, relayed } of rows) {
    console.log(`| ${n} | ${Math.round(relayed.sent / DURATION_S)} | ${f(direct.p50)} / ${f(direct.p99)} | ${f(relayed.p50)} / ${f(relayed.p99)} / ${f(relayed.max)} | ${f(relayed.p50 - direct.p50)} | ${relayed.lost}${relayed.refused ? `, ${relayed.refused} refused` : ''} |`)
  }
})().catch((e) => { console.error(e); process.exit(1) })
