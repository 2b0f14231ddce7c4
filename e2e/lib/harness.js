'use strict'
// Shared helpers for the Herald wire-compatibility suite.
// Every wait is bounded; every process we start is stopped by its PID.

const { spawn } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')
const WebSocket = require('ws')
const jose = require('jose')
const { RealtimeClient } = require('@supabase/realtime-js')

const REPO_ROOT = path.resolve(__dirname, '..', '..')
const DEFAULT_JAR = path.join(REPO_ROOT, 'dist', 'standalone', 'target', 'herald.jar')
const READY_PREFIX = 'Herald listening on http://127.0.0.1:'
const READY_TIMEOUT_MS = 30000
const FILE_DEADLINE_MS = 150000

// ---------------------------------------------------------------------------
// promise utilities

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Resolve/reject with `promise`, or reject after `ms` with a message naming `label`. */
function withTimeout(promise, ms, label = 'operation') {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${label}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Poll `fn` (sync or async) until it returns a truthy value; returns that value. */
async function waitFor(fn, ms = 5000, label = 'condition', intervalMs = 50) {
  const deadline = Date.now() + ms
  let lastErr
  for (;;) {
    try {
      const v = await fn()
      if (v) return v
    } catch (e) {
      lastErr = e
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${label}${lastErr ? ` (last error: ${lastErr.message})` : ''}`)
    }
    await sleep(intervalMs)
  }
}

/** A promise plus its resolve/reject. */
function deferred() {
  let resolve, reject
  const promise = new Promise((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

function randomString(len = 48) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  const bytes = crypto.randomBytes(len)
  let s = ''
  for (let i = 0; i < len; i++) s += alphabet[bytes[i] % alphabet.length]
  return s
}

// ---------------------------------------------------------------------------
// server process

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

function jarPath() {
  return process.env.HERALD_JAR ? path.resolve(process.env.HERALD_JAR) : DEFAULT_JAR
}

/**
 * Start one Herald server. `env` overrides/extends the HERALD_* variables.
 * Returns an object with urls, the JWT secret, key helpers and `stop()`.
 *
 * `opts.bare`: start with no HERALD_* variable at all except HERALD_HTTP_PORT (plus whatever `env` holds), in a
 * fresh temporary working directory (so the default data dir `herald-data` lands there, removed by `stop()`);
 * the keys are then the generated ones printed on stdout.
 * `opts.beforeStart(dataDir)`: optional (async) hook run after the data dir exists and before the JVM starts; it may
 * write files there and return extra environment variables (e.g. `{ HERALD_POLICY_FILE: <path in dataDir> }`).
 */
async function startServer(env = {}, opts = {}) {
  const jar = jarPath()
  if (!fs.existsSync(jar)) {
    throw new Error(`Herald jar not found at ${path.relative(process.cwd(), jar)}; build it first (mvn -B -q install -DskipTests)`)
  }
  // `opts.port` / `opts.dataDir`: reuse a port and data dir (restarting "the same" server, see restartServer)
  const port = opts.port || (await freePort())
  const dataDir = opts.dataDir || fs.mkdtempSync(path.join(os.tmpdir(), 'herald-e2e-'))
  let secret
  let childEnv
  if (opts.bare) {
    secret = null
    childEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HERALD_')))
    // No plugins unless a test asks for some (the data dir holds no jars; the default would be target/plugins).
    Object.assign(childEnv, { HERALD_HTTP_PORT: String(port), HERALD_PLUGINS_DIR: dataDir, ...env })
  } else {
    secret = env.HERALD_JWT_SECRET === undefined ? randomString(48) : env.HERALD_JWT_SECRET
    childEnv = {
      ...process.env,
      HERALD_HTTP_HOST: '127.0.0.1',
      HERALD_HTTP_PORT: String(port),
      HERALD_DATA_DIR: dataDir,
      HERALD_HANDSHAKE_ERROR_DELAY_MS: '100',
      // Broadcast/presence suites need no database; postgres_changes suites turn change capture back on.
      HERALD_CDC_ENABLED: 'false',
      HERALD_DB_EMBEDDED_PORT: '0',
      // No plugins unless a test asks for some (the data dir holds no jars; the default would be target/plugins).
      HERALD_PLUGINS_DIR: dataDir,
      ...env,
    }
    if (secret === null) delete childEnv.HERALD_JWT_SECRET
    else childEnv.HERALD_JWT_SECRET = secret
  }

  // `opts.beforeStart(dataDir)`: write files into the fresh data dir (e.g. a policy file) before the server starts;
  // the object it returns (if any) is merged into the server's environment.
  if (opts.beforeStart) {
    try {
      Object.assign(childEnv, (await opts.beforeStart(dataDir)) || {})
    } catch (e) {
      if (!opts.dataDir) try { fs.rmSync(dataDir, { recursive: true, force: true }) } catch {}
      throw e
    }
  }

  const javaArgs = (process.env.HERALD_JAVA_OPTS || '-Xmx512m').split(/\s+/).filter(Boolean)
  const proc = spawn('java', [...javaArgs, '-jar', jar], {
    env: childEnv,
    cwd: opts.bare ? dataDir : undefined,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output = []
  let stdoutBuf = ''
  const ready = deferred()
  const exited = deferred()
  proc.stdout.setEncoding('utf8')
  proc.stderr.setEncoding('utf8')
  proc.stdout.on('data', (chunk) => {
    output.push(chunk)
    stdoutBuf += chunk
    let idx
    while ((idx = stdoutBuf.indexOf('\n')) >= 0) {
      const line = stdoutBuf.slice(0, idx).replace(/\r$/, '')
      stdoutBuf = stdoutBuf.slice(idx + 1)
      if (line.startsWith(READY_PREFIX)) ready.resolve(line)
    }
  })
  proc.stderr.on('data', (chunk) => output.push(chunk))
  proc.on('error', (e) => ready.reject(e))
  proc.on('exit', (code, signal) => {
    exited.resolve({ code, signal })
    ready.reject(new Error(`server exited before ready (code ${code}, signal ${signal})`))
  })

  const server = {
    port,
    secret,
    dataDir,
    proc,
    startEnv: env,
    startOpts: opts,
    httpUrl: `http://127.0.0.1:${port}`,
    realtimeUrl: `http://127.0.0.1:${port}/realtime/v1`,
    wsUrl: `ws://127.0.0.1:${port}/realtime/v1/websocket`,
    logs: () => output.join(''),
    exited: exited.promise,
    get alive() {
      return proc.exitCode === null && proc.signalCode === null
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        try { process.kill(proc.pid, 'SIGTERM') } catch {}
        try {
          await withTimeout(exited.promise, 5000, 'server exit after SIGTERM')
        } catch {
          try { process.kill(proc.pid, 'SIGKILL') } catch {}
          await withTimeout(exited.promise, 3000, 'server exit after SIGKILL').catch(() => {})
        }
      }
      try { fs.rmSync(dataDir, { recursive: true, force: true }) } catch {}
    },
  }
  try {
    await withTimeout(ready.promise, READY_TIMEOUT_MS, 'server ready line')
  } catch (e) {
    await server.stop()
    throw new Error(`${e.message}\n--- server output ---\n${tail(server.logs())}`)
  }
  // embedded database (change capture on, no HERALD_DB_URL): `connect with: psql postgresql://…`
  server.dbUrl = (server.logs().match(/connect with: psql (postgresql:\/\/\S+)/) || [])[1]
  if (secret !== null) {
    server.anonKey = await mintToken(secret, { role: 'anon' })
    server.serviceKey = await mintToken(secret, { role: 'service_role' })
  } else {
    const logs = server.logs()
    server.anonKey = (logs.match(/anon key: (\S+)/) || [])[1]
    server.serviceKey = (logs.match(/service_role key: (\S+)/) || [])[1]
  }
  return server
}

function tail(text, n = 4000) {
  return text.length > n ? '…' + text.slice(-n) : text
}

/**
 * Wire a server into a node:test file: starts it in `before`, stops it in `after` (printing its
 * output if it died, or always with HERALD_E2E_SHOW_LOGS=1). Returns a holder whose `.server` is set once started,
 * plus a `track()` helper that registers cleanups (clients, sockets) run after each test.
 * `env` may be an (async) function returning the variables, evaluated in `before`.
 * `opts.deadlineMs` replaces the 150 s bound of the file (counted from this server's start) and `opts.onDeadline(server)`
 * runs when it fires (e.g. to kill processes the server left behind).
 * `opts` goes to startServer; besides, `opts.setup(server)` runs right after the start and `opts.teardown(server)`
 * right before the stop, inside the same hooks (Node 20 runs a file's top-level `before` hooks concurrently, so a
 * second `before` could not rely on the server being up).
 */
function useServer(testApi, env = {}, opts = {}) {
  const { before, after, afterEach } = testApi
  const ctx = { server: null, cleanups: [] }
  ctx.track = (fn) => {
    ctx.cleanups.push(fn)
  }
  before(async () => {
    ctx.server = await startServer(typeof env === 'function' ? await env() : env, opts)
    if (opts.setup) await opts.setup(ctx.server)
    // last-resort bound for the whole file: no test file may hang the suite
    const deadlineMs = opts.deadlineMs || FILE_DEADLINE_MS
    const watchdog = setTimeout(() => {
      console.error(`test file exceeded ${deadlineMs} ms; killing server and exiting\n${tail(ctx.server.logs())}`)
      try { process.kill(ctx.server.proc.pid, 'SIGKILL') } catch {}
      if (opts.onDeadline) try { opts.onDeadline(ctx.server) } catch {}
      process.exit(1)
    }, deadlineMs)
    watchdog.unref()
  })
  afterEach(async () => {
    const fns = ctx.cleanups.splice(0)
    await Promise.allSettled(fns.map((fn) => withTimeout(Promise.resolve().then(fn), 5000, 'cleanup')))
  })
  after(async () => {
    if (!ctx.server) return
    if (opts.teardown) {
      try {
        await withTimeout(Promise.resolve().then(() => opts.teardown(ctx.server)), 10000, 'teardown')
      } catch (e) {
        console.error(`teardown failed: ${e.message}`)
      }
    }
    if (!ctx.server.alive) {
      console.error(`server died during the test file; output:\n${tail(ctx.server.logs())}`)
    } else if (process.env.HERALD_E2E_SHOW_LOGS) {
      console.error(`--- server output ---\n${tail(ctx.server.logs(), 20000)}`)
    }
    await ctx.server.stop()
  })
  return ctx
}

// ---------------------------------------------------------------------------
// tokens (HS256 via jose)

/**
 * Mint an HS256 JWT. `claims` are merged over {role:'anon', iat, exp: now+1h};
 * pass `exp: null` / `role: null` to leave a claim out.
 */
async function mintToken(secret, claims = {}) {
  const now = Math.floor(Date.now() / 1000)
  const body = { role: 'anon', iat: now, exp: now + 3600, ...claims }
  for (const k of Object.keys(body)) if (body[k] === null || body[k] === undefined) delete body[k]
  return await new jose.SignJWT(body)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(secret))
}

const tokens = {
  anon: (secret, extra = {}) => mintToken(secret, { role: 'anon', ...extra }),
  service: (secret, extra = {}) => mintToken(secret, { role: 'service_role', ...extra }),
  expired: (secret) => {
    const now = Math.floor(Date.now() / 1000)
    return mintToken(secret, { iat: now - 7200, exp: now - 3600 })
  },
  wrongSecret: () => mintToken(randomString(48), {}),
  missingRole: (secret) => mintToken(secret, { role: null }),
  missingExp: (secret) => mintToken(secret, { exp: null }),
  /** valid now, expires `seconds` from now */
  shortLived: (secret, seconds) => mintToken(secret, { exp: Math.floor(Date.now() / 1000) + seconds }),
  garbage: () => 'this-is-not-a-jwt',
}

// ---------------------------------------------------------------------------
// realtime-js clients

/**
 * Create a RealtimeClient pointed at the server. options: vsn ('2.0.0' default), apikey
 * (default anon key), and any other RealtimeClient option. Registered for cleanup on ctx.
 */
function createClient(ctx, options = {}) {
  const { apikey, vsn, transport, ...rest } = options
  const client = new RealtimeClient(ctx.server.realtimeUrl, {
    transport: transport || WebSocket,
    params: { apikey: apikey || ctx.server.anonKey },
    vsn: vsn || '2.0.0',
    timeout: 5000,
    ...rest,
  })
  ctx.track(() => closeClient(client))
  return client
}

/**
 * Leave all channels (bounded) and close the socket. Same wire behaviour as
 * `client.removeAllChannels()` / `client.disconnect()`, but without the 10 s timer that
 * realtime-js' disconnect() leaves behind (it keeps node's test process alive).
 * With `leave: false` only the socket is closed (like `client.disconnect()`).
 */
async function closeClient(client, { leave = true } = {}) {
  if (leave) {
    await Promise.allSettled(
      client.getChannels().map(async (ch) => {
        try { await withTimeout(ch.unsubscribe(2000), 3000, 'unsubscribe') } catch {}
        try { ch.teardown() } catch {}
      })
    )
  }
  try { if (typeof client._cancelPendingDisconnect === 'function') client._cancelPendingDisconnect() } catch {}
  const socket = client.socketAdapter.getSocket()
  try {
    await withTimeout(new Promise((resolve) => socket.disconnect(resolve)), 3000, 'socket disconnect')
  } catch {}
}

/**
 * A ws subclass that counts constructions (connection attempts) and opens into `stats`.
 */
function countingTransport(stats = { attempts: 0, opens: 0, closes: [] }) {
  class CountingWebSocket extends WebSocket {
    constructor(...args) {
      super(...args)
      stats.attempts++
      this.on('open', () => stats.opens++)
      this.on('close', (code) => stats.closes.push(code))
      this.on('error', () => {})
    }
  }
  return { transport: CountingWebSocket, stats }
}

/**
 * Subscribe and resolve on SUBSCRIBED; reject on CHANNEL_ERROR / TIMED_OUT / CLOSED or timeout.
 * Status history is kept in channel.__statuses.
 */
function subscribe(channel, ms = 8000) {
  const d = deferred()
  channel.__statuses = channel.__statuses || []
  channel.subscribe((status, err) => {
    channel.__statuses.push({ status, err: err && err.message })
    if (status === 'SUBSCRIBED') d.resolve(status)
    else d.reject(new Error(`subscribe of ${channel.topic} got ${status}${err ? `: ${err.message}` : ''}`))
  })
  return withTimeout(d.promise, ms, `SUBSCRIBED on ${channel.topic}`)
}

/**
 * Collect events a realtime-js listener receives. `kind` is 'broadcast' | 'presence' | 'system';
 * `filter` its filter object. Returns { items, waitFor(pred, ms) , waitCount(n, ms) }.
 */
function collector(channel, kind, filter) {
  const items = []
  const waiters = []
  channel.on(kind, filter, (payload) => {
    items.push(payload)
    for (const w of waiters.slice()) {
      if (w.pred(payload)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(payload)
      }
    }
  })
  return {
    items,
    waitFor(pred, ms = 5000, label = `${kind} message`) {
      const found = items.find(pred)
      if (found) return Promise.resolve(found)
      const d = deferred()
      waiters.push({ pred, resolve: d.resolve })
      return withTimeout(d.promise, ms, `${label} on ${channel.topic}`)
    },
  }
}

// ---------------------------------------------------------------------------
// raw websocket client (protocol-level tests)

/**
 * Decoded server frame: { kind: 'text'|'binary', raw, json?, join_ref, ref, topic, event, payload, arrayForm? }.
 * For v2 text frames `arrayForm` is the raw array. For binary kind 4 frames
 * { binKind: 4, topic, event: 'broadcast', userEvent, encoding, meta, payloadBytes }.
 */
function decodeFrame(data, isBinary) {
  if (isBinary) {
    const buf = Buffer.isBuffer(data) ? data : Buffer.concat(data)
    const msg = { kind: 'binary', raw: buf, binKind: buf[0] }
    if (buf[0] === 4 && buf.length >= 5) {
      const topicLen = buf[1], eventLen = buf[2], metaLen = buf[3]
      msg.encoding = buf[4]
      let o = 5
      msg.topic = buf.subarray(o, o + topicLen).toString('utf8'); o += topicLen
      msg.userEvent = buf.subarray(o, o + eventLen).toString('utf8'); o += eventLen
      const metaStr = buf.subarray(o, o + metaLen).toString('utf8'); o += metaLen
      msg.meta = metaLen ? JSON.parse(metaStr) : undefined
      msg.payloadBytes = buf.subarray(o)
      msg.event = 'broadcast'
      msg.join_ref = null
      msg.ref = null
      msg.payload = {
        type: 'broadcast',
        event: msg.userEvent,
        payload: msg.encoding === 1 ? JSON.parse(msg.payloadBytes.toString('utf8')) : msg.payloadBytes,
      }
    }
    return msg
  }
  const text = data.toString('utf8')
  const msg = { kind: 'text', raw: text }
  try {
    msg.json = JSON.parse(text)
  } catch {
    return msg
  }
  if (Array.isArray(msg.json)) {
    msg.arrayForm = msg.json
    ;[msg.join_ref, msg.ref, msg.topic, msg.event, msg.payload] = msg.json
  } else if (msg.json && typeof msg.json === 'object') {
    Object.assign(msg, {
      join_ref: msg.json.join_ref,
      ref: msg.json.ref,
      topic: msg.json.topic,
      event: msg.json.event,
      payload: msg.json.payload,
    })
  }
  return msg
}

class RawClient {
  constructor(url, vsn) {
    this.url = url
    this.vsn = vsn
    this.messages = []
    this.waiters = []
    this.refCounter = 100
    this.closeInfo = null
    this.closed = deferred()
    this.ws = null
  }

  open(ms = 5000) {
    const d = deferred()
    const ws = new WebSocket(this.url, { maxPayload: 64 * 1024 * 1024 })
    this.ws = ws
    ws.on('open', () => d.resolve(this))
    ws.on('unexpected-response', (req, res) => {
      d.reject(new Error(`upgrade refused: HTTP ${res.statusCode}`))
      res.resume()
    })
    ws.on('error', (e) => d.reject(e))
    ws.on('message', (data, isBinary) => {
      const msg = decodeFrame(data, isBinary)
      msg.at = Date.now()
      this.messages.push(msg)
      for (const w of this.waiters.slice()) {
        if (w.pred(msg)) {
          this.waiters.splice(this.waiters.indexOf(w), 1)
          w.resolve(msg)
        }
      }
    })
    ws.on('close', (code, reason) => {
      this.closeInfo = { code, reason: reason.toString(), at: Date.now() }
      this.closed.resolve(this.closeInfo)
    })
    return withTimeout(d.promise, ms, `raw websocket open (${this.url})`)
  }

  get isOpen() {
    return this.ws && this.ws.readyState === WebSocket.OPEN
  }

  nextRef() {
    return String(++this.refCounter)
  }

  /** Send a message in this client's serialization. */
  push(topic, event, payload, ref = this.nextRef(), joinRef = null) {
    if (this.vsn === '1.0.0') {
      const o = { topic, event, payload, ref }
      if (joinRef !== null && joinRef !== undefined) o.join_ref = joinRef
      this.ws.send(JSON.stringify(o))
    } else {
      this.ws.send(JSON.stringify([joinRef, ref, topic, event, payload]))
    }
    return ref
  }

  sendRaw(data, opts) {
    this.ws.send(data, opts)
  }

  /** Wait for a message matching pred (searches already-received messages first, from index `from`). */
  waitFor(pred, ms = 5000, label = 'message', from = 0) {
    const found = this.messages.slice(from).find(pred)
    if (found) return Promise.resolve(found)
    const d = deferred()
    const w = { pred, resolve: d.resolve }
    this.waiters.push(w)
    return withTimeout(d.promise, ms, label).finally(() => {
      const i = this.waiters.indexOf(w)
      if (i >= 0) this.waiters.splice(i, 1)
    })
  }

  /** Wait for the reply to `ref` (phx_reply with that ref). */
  reply(ref, ms = 5000, topic) {
    return this.waitFor(
      (m) => m.event === 'phx_reply' && m.ref === ref && (topic === undefined || m.topic === topic),
      ms,
      `phx_reply to ref ${ref}${topic ? ` on ${topic}` : ''}`
    )
  }

  /** Assert no message matching pred arrives within ms (checks from index `from`). */
  async expectNone(pred, ms = 500, label = 'unexpected message', from = this.messages.length) {
    await sleep(ms)
    const found = this.messages.slice(from).find(pred)
    if (found) throw new Error(`${label}: ${found.raw instanceof Buffer ? `<binary ${found.raw.length} bytes>` : found.raw}`)
  }

  async heartbeat(ms = 3000) {
    const ref = this.push('phoenix', 'heartbeat', {})
    return await this.reply(ref, ms)
  }

  async join(topic, config = {}, extra = {}, ms = 8000) {
    const ref = this.nextRef()
    const payload = {
      config: {
        broadcast: { ack: false, self: false },
        presence: { key: '', enabled: false },
        postgres_changes: [],
        private: false,
        ...config,
      },
      ...extra,
    }
    this.push(topic, 'phx_join', payload, ref, ref)
    const reply = await this.reply(ref, ms, topic)
    return { ref, joinRef: ref, reply }
  }

  close() {
    if (this.ws && this.ws.readyState !== WebSocket.CLOSED) {
      try { this.ws.terminate() } catch {}
    }
  }
}

/** Open a raw client (vsn '2.0.0' | '1.0.0' | null for no vsn param) and register cleanup. */
async function rawClient(ctx, { vsn = '2.0.0', apikey, path: wsPath = '/realtime/v1/websocket', extraQuery = '' } = {}) {
  const key = apikey === undefined ? ctx.server.anonKey : apikey
  const q = [`apikey=${encodeURIComponent(key)}`]
  if (vsn) q.push(`vsn=${vsn}`)
  const url = `ws://127.0.0.1:${ctx.server.port}${wsPath}?${q.join('&')}${extraQuery}`
  const c = new RawClient(url, vsn || '1.0.0')
  ctx.track(() => c.close())
  await c.open()
  return c
}

/**
 * Attempt a websocket upgrade and return { status, headers, body, json } of the refusal,
 * or { status: 101 } if it was accepted (the socket is then closed).
 */
function tryUpgrade(url, ms = 8000) {
  const d = deferred()
  const ws = new WebSocket(url)
  ws.on('open', () => {
    d.resolve({ status: 101 })
    ws.terminate()
  })
  ws.on('unexpected-response', (req, res) => {
    const chunks = []
    res.on('data', (c) => chunks.push(c))
    res.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      let json
      try { json = JSON.parse(body) } catch {}
      d.resolve({ status: res.statusCode, headers: res.headers, body, json })
    })
    res.on('error', (e) => d.reject(e))
  })
  ws.on('error', (e) => d.reject(e))
  return withTimeout(d.promise, ms, `upgrade attempt ${url.replace(/apikey=[^&]*/, 'apikey=…')}`).finally(() => {
    try { ws.terminate() } catch {}
  })
}

// ---------------------------------------------------------------------------
// binary frames (docs/wire-protocol.md, Frames)

function u8len(buf, what) {
  if (buf.length > 255) throw new Error(`${what} longer than 255 bytes`)
  return buf.length
}

/** Build a kind-3 user broadcast push frame. payload: Buffer (encoding 0) or object (encoding 1). */
function kind3Frame({ joinRef = '', ref = '', topic, event, meta = '', payload, encoding }) {
  const j = Buffer.from(joinRef || '', 'utf8')
  const r = Buffer.from(ref || '', 'utf8')
  const t = Buffer.from(topic, 'utf8')
  const e = Buffer.from(event, 'utf8')
  const m = Buffer.from(meta, 'utf8')
  let enc = encoding
  let body
  if (Buffer.isBuffer(payload)) {
    body = payload
    if (enc === undefined) enc = 0
  } else {
    body = Buffer.from(JSON.stringify(payload ?? {}), 'utf8')
    if (enc === undefined) enc = 1
  }
  const header = Buffer.from([3, u8len(j, 'join_ref'), u8len(r, 'ref'), u8len(t, 'topic'), u8len(e, 'event'), u8len(m, 'meta'), enc])
  return Buffer.concat([header, j, r, t, e, m, body])
}

// ---------------------------------------------------------------------------
// metrics

async function fetchMetrics(server) {
  const res = await fetchT(`${server.httpUrl}/metrics`, {}, 5000)
  if (res.status !== 200) throw new Error(`/metrics returned HTTP ${res.status}`)
  return await res.text()
}

/**
 * Sum of all samples of `name` in Prometheus text whose labels include `labels`.
 * Returns undefined when no sample matches.
 */
function metricValue(text, name, labels = {}) {
  let sum
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/)
    if (!m || m[1] !== name) continue
    const lbl = {}
    if (m[3]) {
      for (const part of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) lbl[part[1]] = part[2]
    }
    if (Object.entries(labels).every(([k, v]) => lbl[k] === v)) {
      sum = (sum || 0) + Number(m[4])
    }
  }
  return sum
}

async function readMetric(server, name, labels) {
  return metricValue(await fetchMetrics(server), name, labels)
}

// ---------------------------------------------------------------------------
// REST

/** fetch with a hard deadline (aborts the request). */
function fetchT(url, options = {}, ms = 8000) {
  return fetch(url, { ...options, signal: AbortSignal.timeout(ms) })
}

async function restBroadcast(server, messages, { token, headers = {}, query = '' } = {}) {
  const res = await withTimeout(
    fetchT(`${server.realtimeUrl}/api/broadcast${query}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${token || server.serviceKey}`,
        ...headers,
      },
      body: JSON.stringify({ messages }),
    }),
    5000,
    'POST /api/broadcast'
  )
  const body = await res.text()
  return { status: res.status, body }
}

/** An ArrayBuffer (not a Buffer view) holding `n` deterministic bytes 0..255. */
function binaryPayload(n = 256) {
  const ab = new ArrayBuffer(n)
  const v = new Uint8Array(ab)
  for (let i = 0; i < n; i++) v[i] = (i * 7 + 3) & 0xff
  return ab
}

function bytesOf(x) {
  if (x instanceof ArrayBuffer) return Buffer.from(new Uint8Array(x))
  if (ArrayBuffer.isView(x)) return Buffer.from(x.buffer, x.byteOffset, x.byteLength)
  throw new Error(`not binary: ${Object.prototype.toString.call(x)}`)
}

// ---------------------------------------------------------------------------
// restarts (fault suites)

/**
 * Stop `server` with `signal` ('SIGTERM' graceful drain, 'SIGKILL' crash) without removing its data dir; resolves
 * with the exit { code, signal } (bounded by `ms`).
 */
async function signalServer(server, signal = 'SIGTERM', ms = 15000) {
  try { process.kill(server.proc.pid, signal) } catch {}
  return await withTimeout(server.exited, ms, `server exit after ${signal}`)
}

/**
 * Start a server again on the same port, data dir, secret and environment as `server` (which must have exited, e.g.
 * after signalServer); `env` adds or overrides variables. The new server owns the data dir (its stop() removes it).
 */
async function restartServer(server, env = {}, opts = {}) {
  if (server.alive) throw new Error('restartServer: the previous server is still running')
  const startEnv = { ...(server.startEnv || {}), ...env }
  if (server.secret !== null) startEnv.HERALD_JWT_SECRET = server.secret
  const { beforeStart, ...startOpts } = server.startOpts || {}
  return await startServer(startEnv, { ...startOpts, ...opts, port: server.port, dataDir: server.dataDir })
}

// ---------------------------------------------------------------------------
// controlled outages and sequence checks (fault suites)

/**
 * A gate for realtime-js transports: `gate.transport` is a ws subclass to pass as the client's `transport`.
 * `gate.drop()` terminates the live sockets (client-side drop; the client reconnects on its own schedule);
 * `gate.cut()` also refuses new connections (they go to a port nothing listens on) until `gate.restore()`.
 * `gate.closes` lists {code, reason, at} of every closed socket, `gate.opens` the open times, `gate.joins` the
 * phx_join payloads sent (decoded), `gate.sockets` the live ones.
 */
async function createGate() {
  const deadPort = await freePort()
  const gate = {
    open: true,
    deadPort,
    sockets: new Set(),
    closes: [],
    opens: [],
    joins: [],
    drop() {
      for (const s of gate.sockets) try { s.terminate() } catch {}
    },
    cut() {
      gate.open = false
      gate.drop()
    },
    restore() {
      gate.open = true
    },
  }
  gate.transport = class GatedWebSocket extends WebSocket {
    constructor(url, protocols) {
      super(gate.open ? url : String(url).replace(/^(\w+):\/\/[^/]+/, `$1://127.0.0.1:${deadPort}`), protocols)
      this.on('error', () => {})
      this.on('open', () => {
        gate.sockets.add(this)
        gate.opens.push(Date.now())
      })
      this.on('close', (code, reason) => {
        if (gate.sockets.delete(this)) gate.closes.push({ code, reason: String(reason), at: Date.now() })
      })
      // HERALD_E2E_FRAMES=1: print the control frames (joins, replies, system messages) this socket sees
      if (process.env.HERALD_E2E_FRAMES) {
        this.on('message', (data, isBinary) => {
          if (isBinary) return
          const text = String(data)
          if (/"(phx_reply|system|phx_close|phx_error)"/.test(text)) console.log(`[frames ${Date.now()}] <- ${text.slice(0, 400)}`)
          else if (process.env.HERALD_E2E_FRAMES === '2') {
            const pos = /"herald_pos":"([^"]+)"/.exec(text)
            const topic = /"(realtime:[^"]+)"/.exec(text)
            if (pos) console.log(`[frames ${Date.now()}] <- ${topic ? topic[1] : '?'} ${pos[1]}`)
          }
        })
      }
    }
    send(data, ...rest) {
      if (typeof data === 'string' && data.includes('"phx_join"')) {
        try {
          const m = JSON.parse(data)
          gate.joins.push({ at: Date.now(), topic: Array.isArray(m) ? m[2] : m.topic, payload: Array.isArray(m) ? m[4] : m.payload })
          if (process.env.HERALD_E2E_FRAMES) console.log(`[frames ${Date.now()}] -> ${data.slice(0, 400)}`)
        } catch {}
      }
      return super.send(data, ...rest)
    }
  }
  return gate
}

/**
 * Exactly-once, in-order check of received sequence numbers against 0..n-1 (or `expected`, an ascending array).
 * Returns { sent, received, unique, duplicated, lost, outOfOrder, firstLost }.
 */
function tallySequence(received, n, expected) {
  const want = expected || Array.from({ length: n }, (_, i) => i)
  const wantSet = new Set(want)
  const seen = new Set()
  let duplicated = 0
  let outOfOrder = 0
  let unexpected = 0
  let prev = -Infinity
  for (const s of received) {
    if (seen.has(s)) duplicated++
    else seen.add(s)
    if (!wantSet.has(s)) unexpected++
    if (s <= prev) outOfOrder++
    prev = Math.max(prev, s)
  }
  const missing = want.filter((s) => !seen.has(s))
  return {
    sent: want.length,
    received: received.length,
    unique: seen.size,
    duplicated,
    lost: missing.length,
    outOfOrder,
    unexpected,
    firstLost: missing.slice(0, 10),
  }
}

function percentile(values, q) {
  if (!values.length) return NaN
  const sorted = values.slice().sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

module.exports = {
  REPO_ROOT,
  sleep,
  withTimeout,
  waitFor,
  deferred,
  randomString,
  freePort,
  startServer,
  useServer,
  mintToken,
  tokens,
  createClient,
  closeClient,
  countingTransport,
  subscribe,
  collector,
  RawClient,
  rawClient,
  decodeFrame,
  tryUpgrade,
  kind3Frame,
  fetchMetrics,
  metricValue,
  readMetric,
  restBroadcast,
  fetchT,
  binaryPayload,
  bytesOf,
  signalServer,
  restartServer,
  createGate,
  tallySequence,
  percentile,
}
