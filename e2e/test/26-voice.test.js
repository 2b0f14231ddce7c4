'use strict'
// The voice plugin (issue 10) end to end, in both dialects of the OpenAI Realtime API. The plugin is loaded from its
// own jar as an operator would; the upstream is the local stand-in voice-upstream.js, which speaks the Realtime
// protocol and refuses a session update of the wrong dialect or with an unknown field. One Herald per dialect, plus
// one without an API key.

const test = require('node:test')
const { describe } = test
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const WebSocket = require('ws')
const { Client: PgClient } = require('pg')
const h = require('../lib/harness')
const { startUpstream } = require('../lib/voice-upstream')
const { pluginsFolder } = require('../lib/plugin-jars')

const API_KEY = `sk-herald-test-${crypto.randomBytes(16).toString('hex')}`
const CONFIG = {
  voice: 'verse',
  instructions: 'Answer like a lighthouse keeper: "short", and kind.',
  transcription: 'whisper-1',
  threshold: 0.42,
  prefix: 120,
  silence: 150,
}

// A plugins folder holding only the voice plugin's jar.
const { dir: folder, remove: removeFolder } = pluginsFolder('voice', { prefix: 'herald-voice-' })
test.after(() => removeFolder())

/** The session the relay must send, written out independently of the plugin's code. */
function expectedSession(flavour, model) {
  const turn = { type: 'server_vad', threshold: CONFIG.threshold, prefix_padding_ms: CONFIG.prefix, silence_duration_ms: CONFIG.silence }
  if (flavour === 'ga') {
    return {
      type: 'realtime', model, instructions: CONFIG.instructions,
      audio: {
        input: { format: { type: 'audio/pcm', rate: 24000 }, transcription: { model: CONFIG.transcription }, turn_detection: turn },
        output: { format: { type: 'audio/pcm', rate: 24000 }, voice: CONFIG.voice },
      },
    }
  }
  return {
    modalities: ['audio', 'text'], instructions: CONFIG.instructions, voice: CONFIG.voice,
    input_audio_format: 'pcm16', output_audio_format: 'pcm16',
    input_audio_transcription: { model: CONFIG.transcription }, turn_detection: turn,
  }
}

/** Herald's environment for one dialect; `key`: 'env', 'file' or none. */
function voiceEnv(upstream, flavour, key, model) {
  const env = {
    HERALD_CDC_ENABLED: 'true',
    HERALD_PLUGINS_DIR: folder,
    HERALD_PLUGINS_VOICE_UPSTREAM_URL: upstream.url,
    HERALD_PLUGINS_VOICE_FLAVOUR: flavour,
    HERALD_PLUGINS_VOICE_VOICE: CONFIG.voice,
    HERALD_PLUGINS_VOICE_INSTRUCTIONS: CONFIG.instructions,
    HERALD_PLUGINS_VOICE_TRANSCRIPTION_MODEL: CONFIG.transcription,
    HERALD_PLUGINS_VOICE_VAD_THRESHOLD: String(CONFIG.threshold),
    HERALD_PLUGINS_VOICE_VAD_PREFIX_PADDING_MS: String(CONFIG.prefix),
    HERALD_PLUGINS_VOICE_VAD_SILENCE_DURATION_MS: String(CONFIG.silence),
    HERALD_PLUGINS_VOICE_MAX_SESSIONS_PER_USER: '1',
  }
  if (model) env.HERALD_PLUGINS_VOICE_MODEL = model
  if (key === 'env') env.HERALD_PLUGINS_VOICE_API_KEY = API_KEY
  if (key === 'file') {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'herald-voice-key-')), 'openai.key')
    fs.writeFileSync(file, `${API_KEY}\n`, { mode: 0o600 })
    env.HERALD_PLUGINS_VOICE_API_KEY_FILE = file
  }
  return env
}

/**
 * Opens the relay as a browser would: the JWT as `access_token` or as a `herald-jwt.` subprotocol. Records every frame
 * exactly as received.
 */
async function openRelay(server, token, via = 'query') {
  const base = `ws://127.0.0.1:${server.port}/plugins/voice/relay`
  const ws = via === 'query' ? new WebSocket(`${base}?access_token=${token}`) : new WebSocket(base, [`herald-jwt.${token}`])
  const relay = { ws, frames: [], events: [] }
  relay.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })))
  ws.on('message', (data, isBinary) => {
    const buf = Buffer.from(data)
    relay.frames.push({ data: buf, isBinary })
    if (!isBinary) try { relay.events.push(JSON.parse(buf.toString('utf8'))) } catch {}
  })
  ws.on('error', () => {})
  await h.withTimeout(new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('unexpected-response', (q, res) => reject(new Error(`upgrade refused: ${res.statusCode}`))) }), 8000, 'relay open')
  relay.waitEvent = (type, ms = 8000) => h.waitFor(() => relay.events.find((e) => e.type === type), ms, `event ${type}`)
  return relay
}

/** 16-bit PCM "speech": the stand-in transcribes bytes as Latin-1 text. */
const speech = (text) => Buffer.from(text, 'latin1').toString('base64')

const userToken = (server, sub) => h.mintToken(server.secret, { sub, role: 'authenticated' })

async function rest(server, method, p, { tok } = {}) {
  const headers = {}
  if (tok) headers.authorization = `Bearer ${tok}`
  const res = await h.fetchT(`${server.httpUrl}${p}`, { method, headers })
  const text = await res.text()
  let json = null
  try { json = JSON.parse(text) } catch {}
  return { status: res.status, json, text, headers: res.headers }
}

function flavourSuite(flavour) {
  const model = flavour === 'ga' ? 'gpt-realtime-2025-08-28' : null
  const effectiveModel = model || 'gpt-4o-realtime-preview'
  const audioDelta = flavour === 'ga' ? 'response.output_audio.delta' : 'response.audio.delta'
  const transcriptDelta = flavour === 'ga' ? 'response.output_audio_transcript.delta' : 'response.audio_transcript.delta'
  const transcriptDone = flavour === 'ga' ? 'response.output_audio_transcript.done' : 'response.audio_transcript.done'

  describe(`${flavour} flavour`, () => {
    let upstream = null
    let db = null
    const ctx = h.useServer(test, async () => {
      upstream = await startUpstream({ apiKey: API_KEY })
      // GA reads the key from the environment, beta from a file: both ways an operator may choose.
      const env = voiceEnv(upstream, flavour, flavour === 'ga' ? 'env' : 'file', model)
      // Short limits for the beta server's timing tests (every other session there ends well within them).
      if (flavour === 'beta') Object.assign(env, { HERALD_PLUGINS_VOICE_MAX_SESSION_SECONDS: '6', HERALD_PLUGINS_VOICE_CONNECT_TIMEOUT_MS: '2000' })
      return env
    }, {
      setup: async (server) => {
        db = new PgClient({ connectionString: server.dbUrl, connectionTimeoutMillis: 5000 })
        db.on('error', () => {})
        await h.withTimeout(db.connect(), 8000, 'pg connect')
      },
      teardown: async () => {
        if (db) await db.end().catch(() => {})
        if (upstream) await upstream.close()
      },
    })

    test('the plugin starts with its table, channel, REST and relay; the key is never logged', async () => {
      const logs = ctx.server.logs()
      assert.match(logs, /plugin voice \S+ found/)
      assert.match(logs, /plugin voice started: .*REST \/plugins\/voice, WebSocket \[\/plugins\/voice\/relay\]/)
      assert.ok(!logs.includes(API_KEY), 'the API key appears in the server output')
      const pub = await db.query("SELECT count(*)::int AS n FROM pg_publication_tables WHERE tablename = 'voice_transcripts'")
      assert.equal(pub.rows[0].n, 1)
    })

    test('REST: a client secret minted with the server key, and nothing else', async () => {
      const tok = await userToken(ctx.server, 'rest-user')
      const before = upstream.rest.length
      const r = await rest(ctx.server, 'POST', '/plugins/voice/session', { tok })
      assert.equal(r.status, 200, r.text)
      assert.deepEqual(Object.keys(r.json).sort(), ['client_secret', 'expires_at', 'model', 'voice'])
      assert.match(r.json.client_secret, /^ek_[0-9a-f]{24}$/)
      assert.equal(r.json.model, effectiveModel)
      assert.equal(r.json.voice, CONFIG.voice)
      assert.ok(r.json.expires_at > Date.now() / 1000, 'expiry in the future')
      assert.ok(!r.text.includes(API_KEY))
      assert.equal(r.headers.get('cache-control'), 'no-store')
      // What the stand-in got: the server's key, this dialect's endpoint, header and body.
      assert.equal(upstream.rest.length, before + 1)
      const got = upstream.rest[before]
      assert.equal(got.status, 200)
      assert.equal(got.headers.authorization, `Bearer ${API_KEY}`)
      if (flavour === 'ga') {
        assert.equal(got.path, '/v1/realtime/client_secrets')
        assert.equal(got.headers['openai-beta'], undefined)
        assert.deepEqual(got.body, { expires_after: { anchor: 'created_at', seconds: 600 }, session: expectedSession('ga', effectiveModel) })
      } else {
        assert.equal(got.path, '/v1/realtime/sessions')
        assert.equal(got.headers['openai-beta'], 'realtime=v1')
        assert.deepEqual(got.body, { model: effectiveModel, ...expectedSession('beta') })
      }
      // No JWT: 401; a token without a user: 403.
      const none = await rest(ctx.server, 'POST', '/plugins/voice/session')
      assert.equal(none.status, 401)
      const anon = await rest(ctx.server, 'POST', '/plugins/voice/session', { tok: ctx.server.anonKey })
      assert.equal(anon.status, 403)
      assert.deepEqual(anon.json, { error: 'Forbidden', message: 'voice sessions belong to a signed-in user (the token has no sub)' })
      assert.equal(upstream.rest.length, before + 1, 'refused requests never reach the upstream')
    })

    test('REST: upstream failures become a 502 with a safe message', async () => {
      const tok = await userToken(ctx.server, 'rest-user')
      upstream.rejectNext.rest = 401 // the stand-in's 401 quotes part of the key it got, like the service's
      const wrong = await rest(ctx.server, 'POST', '/plugins/voice/session', { tok })
      assert.equal(wrong.status, 502)
      assert.deepEqual(wrong.json, { error: 'Unavailable', message: 'the voice service refused the request (HTTP 401, invalid_api_key)' })
      upstream.rejectNext.rest = 500 // this one quotes the whole key
      const broken = await rest(ctx.server, 'POST', '/plugins/voice/session', { tok })
      assert.equal(broken.status, 502)
      assert.deepEqual(broken.json, { error: 'Unavailable', message: 'the voice service refused the request (HTTP 500)' })
      for (const r of [wrong, broken]) {
        assert.ok(!r.text.includes(API_KEY) && !r.text.includes(API_KEY.slice(-4)), 'nothing of the key or the upstream message leaks')
      }
    })

    test('relay: session.created, the configured session.update, audio in, audio and transcripts out, byte for byte; transcripts reach their owner only', async () => {
      const [a, b] = [`voice-a-${flavour}`, `voice-b-${flavour}`]
      const [tokA, tokB] = [await userToken(ctx.server, a), await userToken(ctx.server, b)]
      // Both users watch their own channel for transcripts (default filter user_id=eq.{sub}, row policy user_id = sub).
      const watchers = {}
      for (const [who, tok] of [[a, tokA], [b, tokB]]) {
        const client = h.createClient(ctx, { apikey: tok })
        const ch = client.channel(`voice:${who}`)
        const rows = h.collector(ch, 'postgres_changes', { event: 'INSERT', schema: 'public', table: 'voice_transcripts' })
        const system = h.collector(ch, 'system', {})
        await h.subscribe(ch)
        await system.waitFor((p) => p.extension === 'postgres_changes' && p.status === 'ok', 10000)
        watchers[who] = rows
      }
      // A spy on b's transcripts through a's channel: the row policy must withhold them.
      const spyClient = h.createClient(ctx, { apikey: tokA })
      const spyCh = spyClient.channel(`voice:${a}:spy`)
      const spy = h.collector(spyCh, 'postgres_changes', { event: 'INSERT', schema: 'public', table: 'voice_transcripts', filter: `user_id=eq.${b}` })
      const spySystem = h.collector(spyCh, 'system', {})
      await h.subscribe(spyCh) // outside voice:{sub}, so no channel rule applies: only the row policy stands between
      await spySystem.waitFor((p) => p.extension === 'postgres_changes' && p.status === 'ok', 10000)

      const conversations = {}
      for (const [who, tok, words, via] of [[a, tokA, 'alpha one', 'query'], [b, tokB, 'bravo two', 'subprotocol']]) {
        const n = upstream.connections.length + 1
        const relay = await openRelay(ctx.server, tok, via)
        ctx.track(() => relay.ws.terminate())
        if (via === 'subprotocol') assert.equal(relay.ws.protocol, `herald-jwt.${tok}`)
        const up = await upstream.connection(n)
        assert.equal(up.flavour, flavour, 'the relay speaks the configured dialect')
        assert.equal(up.headers.authorization, `Bearer ${API_KEY}`)
        assert.equal(up.model, effectiveModel)
        await relay.waitEvent('session.created')
        await relay.waitEvent('session.updated')
        assert.deepEqual(up.sessionUpdates, [expectedSession(flavour, effectiveModel)], 'exactly the configured session update')
        if (flavour === 'beta') assert.equal(up.headers['openai-beta'], 'realtime=v1')
        else assert.equal(up.headers['openai-beta'], undefined)

        // Audio in: text frames with unusual spacing and escapes arrive unchanged; so does a binary frame.
        const half = Math.ceil(words.length / 2)
        const appends = [
          `{ "type" : "input_audio_buffer.append" ,\n "audio":"${speech(words.slice(0, half))}", "event_id":"evt_\\u00e9_1" }`,
          `{"event_id":"evt_ü_2","audio":"${speech(words.slice(half))}","type":"input_audio_buffer.append"}`,
        ]
        const binary = crypto.randomBytes(333)
        relay.ws.send(appends[0])
        relay.ws.send(binary, { binary: true })
        relay.ws.send(appends[1])
        await relay.waitEvent('response.done', 10000)
        const inbound = up.frames.filter((f) => f.dir === 'in')
        assert.equal(inbound.length, 4, 'session.update plus three client frames')
        assert.equal(inbound[0].isBinary, false)
        assert.equal(JSON.parse(inbound[0].data).type, 'session.update', 'the session update goes first')
        assert.deepEqual(inbound.slice(1).map((f) => [f.isBinary, f.data]),
          [[false, Buffer.from(appends[0])], [true, binary], [false, Buffer.from(appends[1])]])

        // Out: a binary frame from upstream, then compare everything the client got with what the stand-in sent.
        const blob = crypto.randomBytes(517)
        up.sendRaw(blob, true)
        up.sendRaw('{"type":"rate_limits.updated",  "rate_limits":[],"note":"\\u2603 ☃"}', false)
        await h.waitFor(() => relay.frames.length === up.frames.filter((f) => f.dir === 'out').length, 5000, 'all upstream frames relayed')
        const outbound = up.frames.filter((f) => f.dir === 'out')
        assert.deepEqual(relay.frames.map((f) => [f.isBinary, f.data]), outbound.map((f) => [f.isBinary, f.data]), 'byte-for-byte, in order')

        const types = relay.events.map((e) => e.type)
        for (const t of ['session.created', 'session.updated', 'conversation.item.input_audio_transcription.completed', audioDelta, transcriptDelta, transcriptDone, 'response.done']) {
          assert.ok(types.includes(t), `the client got ${t}`)
        }
        assert.ok(types.indexOf('session.created') < types.indexOf('session.updated'))
        assert.ok(types.indexOf(transcriptDone) < types.indexOf('response.done'))
        assert.equal(relay.events.find((e) => e.type === 'conversation.item.input_audio_transcription.completed').transcript, words)
        const audioOut = Buffer.concat(relay.events.filter((e) => e.type === audioDelta).map((e) => Buffer.from(e.delta, 'base64')))
        assert.equal(audioOut.toString('latin1'), words, 'the assistant audio (the echo) arrived whole')
        assert.equal(relay.events.find((e) => e.type === transcriptDone).transcript, `You said: ${words}`)
        assert.equal(up.failed, false, `the stand-in refused something: ${JSON.stringify(up.errors.map((e) => e.message))}`)
        const everything = Buffer.concat(relay.frames.map((f) => f.data)).toString('latin1')
        assert.ok(!everything.includes(API_KEY), 'the key never reaches the client')
        conversations[who] = { relay, up, words }
      }

      // Transcripts: in the table, and live to their owner only.
      for (const [who, other] of [[a, b], [b, a]]) {
        const words = conversations[who].words
        await watchers[who].waitFor((p) => p.new.role === 'assistant', 10000, `assistant transcript for ${who}`)
        const got = watchers[who].items.map((p) => [p.new.user_id, p.new.role, p.new.text])
        assert.deepEqual(got, [[who, 'user', words], [who, 'assistant', `You said: ${words}`]])
        assert.ok(!watchers[who].items.some((p) => p.new.user_id === other))
        const sessionId = conversations[who].up.session.id
        assert.ok(watchers[who].items.every((p) => p.new.session_id === sessionId), 'rows carry the upstream session id')
      }
      const rows = await db.query('SELECT user_id, role, text FROM voice_transcripts WHERE user_id = ANY($1) ORDER BY id', [[a, b]])
      assert.deepEqual(rows.rows.filter((r) => r.user_id === a).map((r) => [r.role, r.text]), [['user', 'alpha one'], ['assistant', 'You said: alpha one']])
      assert.deepEqual(rows.rows.filter((r) => r.user_id === b).map((r) => [r.role, r.text]), [['user', 'bravo two'], ['assistant', 'You said: bravo two']])
      await h.sleep(500) // a leak would arrive within this
      assert.equal(spy.items.length, 0, "user a never sees user b's transcripts")

      // Closing the browser side closes the upstream side, with the same code and reason.
      conversations[a].relay.ws.close(4001, 'user hung up')
      const upClosed = await h.withTimeout(conversations[a].up.closed, 5000, 'upstream closed after the client')
      assert.deepEqual(upClosed, { code: 4001, reason: 'user hung up' })
      // Closing the upstream side closes the browser side.
      conversations[b].up.close(4002, 'upstream finished')
      const clientClosed = await h.withTimeout(conversations[b].relay.closed, 5000, 'client closed after the upstream')
      assert.deepEqual(clientClosed, { code: 4002, reason: 'upstream finished' })
      // Usage of each ended session (also handed to the analytics plugin's UsageSink when one is installed).
      for (const who of [a, b]) {
        const { up, words } = conversations[who]
        const framesOut = up.frames.filter((f) => f.dir === 'out').length
        await h.waitFor(() => new RegExp(`voice: session ${up.session.id} of ${who} ended after [0-9.]+ s: audio bytes in ${words.length}, out ${words.length}; frames in 3, out ${framesOut}`).test(ctx.server.logs()),
          5000, `usage line of ${who}`)
      }
    })

    test('a second session of the same user over the limit is refused; the slot comes back on close', async () => {
      const user = `limit-${flavour}`
      const tok = await userToken(ctx.server, user)
      const first = await openRelay(ctx.server, tok)
      ctx.track(() => first.ws.terminate())
      await first.waitEvent('session.updated')
      const upstreams = upstream.connections.length
      const second = await openRelay(ctx.server, tok, 'subprotocol')
      ctx.track(() => second.ws.terminate())
      const closed = await h.withTimeout(second.closed, 5000, 'refused session closed')
      assert.equal(closed.code, 1008)
      assert.equal(closed.reason, 'VoiceSessionLimit: at most 1 concurrent voice session(s) per user')
      assert.deepEqual(second.events, [{ type: 'error', error: { type: 'server_error', code: 'VoiceSessionLimit', message: 'at most 1 concurrent voice session(s) per user' } }])
      assert.equal(upstream.connections.length, upstreams, 'a refused session never reaches the upstream')
      // Another user is not affected.
      const other = await openRelay(ctx.server, await userToken(ctx.server, `${user}-other`))
      ctx.track(() => other.ws.terminate())
      await other.waitEvent('session.updated')
      other.ws.close(1000)
      // Once the first session ends, the user may start another.
      first.ws.close(1000)
      await h.withTimeout(first.closed, 5000, 'first closed')
      await h.waitFor(async () => {
        const again = await openRelay(ctx.server, tok)
        ctx.track(() => again.ws.terminate())
        const ok = await Promise.race([again.waitEvent('session.updated', 3000).then(() => true), again.closed.then(() => false)]).catch(() => false)
        again.ws.close(1000)
        return ok
      }, 8000, 'a new session after the first closed')
    })

    test('without a valid JWT the relay refuses the upgrade; a token without a user is refused after it', async () => {
      const url = `ws://127.0.0.1:${ctx.server.port}/plugins/voice/relay`
      const before = upstream.connections.length
      const missing = await h.tryUpgrade(url)
      assert.equal(missing.status, 401)
      assert.deepEqual(missing.json, { error: 'API key is missing' })
      const wrong = await h.tryUpgrade(`${url}?access_token=${await h.tokens.wrongSecret()}`)
      assert.equal(wrong.status, 401)
      const anon = await openRelay(ctx.server, ctx.server.anonKey)
      const closed = await h.withTimeout(anon.closed, 5000, 'anon closed')
      assert.equal(closed.code, 1008)
      assert.match(closed.reason, /^VoiceSignInRequired: /)
      assert.equal(upstream.connections.length, before, 'refused connections never reach the upstream')
    })

    test('an upstream that refuses the connection closes the relay with a clear, safe reason', async () => {
      upstream.rejectNext.upgrade = 401
      const relay = await openRelay(ctx.server, await userToken(ctx.server, `refused-${flavour}`))
      const closed = await h.withTimeout(relay.closed, 8000, 'relay closed')
      assert.equal(closed.code, 1011)
      assert.equal(closed.reason, 'VoiceUpstreamFailed: HTTP 401')
      assert.deepEqual(relay.events, [{ type: 'error', error: { type: 'server_error', code: 'VoiceUpstreamFailed', message: 'the voice service refused the connection: HTTP 401' } }])
      assert.ok(!Buffer.concat(relay.frames.map((f) => f.data)).toString('latin1').includes(API_KEY.slice(-4)))
    })

    if (flavour === 'beta') {
      test('a service that never sends session.created is given up after connect-timeout-ms', async () => {
        // Every new upstream connection is silent during this test: a late connection of an earlier test's relay
        // (its client already gone) must not take the silence meant for this one.
        upstream.rejectNext.silentAll = true
        try {
          const n = upstream.connections.length + 1
          const relay = await openRelay(ctx.server, await userToken(ctx.server, 'silent-upstream'))
          relay.ws.send('{"type":"input_audio_buffer.append","audio":""}')
          const closed = await h.withTimeout(relay.closed, 8000, 'relay closed')
          assert.deepEqual(closed, { code: 1011, reason: 'VoiceUpstreamFailed: no session.created within 2000 ms' })
          assert.equal(relay.events[0].error.code, 'VoiceUpstreamFailed')
          // This relay's upstream is the one it gave up on (1011); a stray would have been closed as "client closed".
          const up = await h.waitFor(() => upstream.connections.slice(n - 1).find((c) => c.closeInfo && c.closeInfo.code === 1011),
            5000, 'the given-up upstream connection closed with 1011')
          assert.equal(up.frames.filter((f) => f.dir === 'in').length, 0, 'held frames are dropped, not sent unconfigured')
        } finally {
          upstream.rejectNext.silentAll = false
        }
      })

      test('a session ends at max-session-seconds, on both sides', async () => {
        const n = upstream.connections.length + 1
        const relay = await openRelay(ctx.server, await userToken(ctx.server, 'long-talker'))
        await relay.waitEvent('session.updated')
        const up = await upstream.connection(n)
        const started = Date.now()
        const closed = await h.withTimeout(relay.closed, 10000, 'relay closed by the time limit')
        assert.deepEqual(closed, { code: 1008, reason: 'VoiceSessionExpired: the session reached 6 s' })
        assert.ok(Date.now() - started > 4000, 'not before the limit')
        assert.deepEqual(await h.withTimeout(up.closed, 5000, 'upstream closed'), closed)
      })
    }
  })
}

describe('the stand-in is strict', () => {
  // Proof that the double would catch a relay sending the wrong dialect: the same updates the relay sends, crossed.
  for (const [dialect, wrong, message] of [
    ['ga', expectedSession('beta'), "Unknown parameter: 'session.modalities'."],
    ['beta', expectedSession('ga', 'gpt-realtime'), "Unknown parameter: 'session.type'."],
    ['ga', { ...expectedSession('ga', 'gpt-realtime'), temperature: 0.8 }, "Unknown parameter: 'session.temperature'."],
  ]) {
    test(`${dialect} refuses ${message}`, async () => {
      const upstream = await startUpstream({ apiKey: API_KEY })
      try {
        const headers = { authorization: `Bearer ${API_KEY}`, ...(dialect === 'beta' ? { 'OpenAI-Beta': 'realtime=v1' } : {}) }
        const ws = new WebSocket(`ws://127.0.0.1:${upstream.port}/v1/realtime?model=m`, { headers })
        const events = []
        ws.on('message', (d) => events.push(JSON.parse(d)))
        await h.withTimeout(new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject) }), 5000, 'stand-in open')
        await h.waitFor(() => events.length === 1, 3000, 'session.created')
        ws.send(JSON.stringify({ type: 'session.update', event_id: 'evt_x', session: wrong }))
        const err = await h.waitFor(() => events.find((e) => e.type === 'error'), 3000, 'error event')
        assert.equal(err.error.message, message)
        assert.equal(err.error.code, 'unknown_parameter')
        assert.equal(err.error.event_id, 'evt_x')
        assert.equal((await upstream.connection(1)).failed, true)
        ws.terminate()
        const bad = await h.tryUpgrade(`ws://127.0.0.1:${upstream.port}/v1/realtime?model=m`)
        assert.equal(bad.status, 401, 'no key, no upgrade')
      } finally {
        await upstream.close()
      }
    })
  }
})

flavourSuite('ga')
flavourSuite('beta')

describe('mint limits: a slow upstream starves nothing, one user cannot mint without bound', () => {
  let upstream = null
  const ctx = h.useServer(test, async () => {
    upstream = await startUpstream({ apiKey: API_KEY })
    return { ...voiceEnv(upstream, 'ga', 'env'), HERALD_PLUGINS_VOICE_CONNECT_TIMEOUT_MS: '5000' }
  }, { teardown: async () => { if (upstream) await upstream.close() } })

  test('8 concurrent mints against a slow upstream: /health/live and REST broadcast answer in < 1 s', async () => {
    upstream.rejectNext.restDelayMs = 3000
    try {
      const toks = await Promise.all(Array.from({ length: 8 }, (_, i) => userToken(ctx.server, `slow-${i}`)))
      const started = Date.now()
      const mints = toks.map((tok) => rest(ctx.server, 'POST', '/plugins/voice/session', { tok }))
      await h.sleep(300) // the mints are now waiting on the upstream
      const probes = []
      for (let i = 0; i < 5; i++) {
        const t0 = Date.now()
        const live = await h.fetchT(`${ctx.server.httpUrl}/health/live`, {}, 1000)
        assert.equal(live.status, 200)
        const b = await h.restBroadcast(ctx.server, [{ topic: 'while-minting', event: 'e', payload: { i } }])
        assert.equal(b.status, 202, b.body)
        probes.push(Date.now() - t0)
      }
      for (const ms of probes) assert.ok(ms < 1000, `health + broadcast took ${ms} ms while mints waited: ${probes}`)
      const results = await Promise.all(mints)
      for (const r of results) assert.equal(r.status, 200, r.text)
      assert.ok(Date.now() - started >= 3000, 'the mints did wait on the slow upstream')
    } finally {
      upstream.rejectNext.restDelayMs = 0
    }
  })

  test('200 mints by one user reach the upstream no more often than the per-user limit (10 a minute)', async () => {
    const tok = await userToken(ctx.server, 'greedy')
    const before = upstream.rest.length
    const statuses = []
    for (let i = 0; i < 200; i++) statuses.push((await rest(ctx.server, 'POST', '/plugins/voice/session', { tok })).status)
    const calls = upstream.rest.length - before
    assert.ok(calls <= 10, `${calls} upstream calls for one user`)
    assert.equal(statuses.filter((s) => s === 200).length, calls)
    assert.equal(statuses.filter((s) => s === 429).length, 200 - calls)
    const refused = await rest(ctx.server, 'POST', '/plugins/voice/session', { tok })
    assert.equal(refused.status, 429)
    assert.equal(refused.json.error, 'TooManyRequests')
    // Another user is not affected.
    const other = await rest(ctx.server, 'POST', '/plugins/voice/session', { tok: await userToken(ctx.server, 'modest') })
    assert.equal(other.status, 200, other.text)
  })
})

describe('without an API key', () => {
  let upstream = null
  const ctx = h.useServer(test, async () => {
    upstream = await startUpstream({ apiKey: API_KEY })
    return voiceEnv(upstream, 'ga', null)
  }, { teardown: async () => { if (upstream) await upstream.close() } })

  test('REST answers 503 and the relay refuses with a clear reason; nothing reaches the upstream', async () => {
    assert.match(ctx.server.logs(), /voice: .*no API key: sessions will be refused/)
    const tok = await userToken(ctx.server, 'nokey')
    const r = await rest(ctx.server, 'POST', '/plugins/voice/session', { tok })
    assert.equal(r.status, 503)
    assert.deepEqual(r.json, { error: 'Unavailable', message: 'the voice service has no API key configured (HERALD_PLUGINS_VOICE_API_KEY or api-key-file)' })
    const relay = await openRelay(ctx.server, tok)
    const closed = await h.withTimeout(relay.closed, 5000, 'relay closed')
    assert.equal(closed.code, 1011)
    assert.equal(closed.reason, 'VoiceNotConfigured: the voice service has no API key configured (HERALD_PLUGINS_VOICE_API_KEY or api-key-file)')
    assert.equal(relay.events[0].error.code, 'VoiceNotConfigured')
    assert.equal(upstream.connections.length + upstream.rest.length, 0)
  })
})
