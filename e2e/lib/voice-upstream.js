'use strict'
// A local stand-in for the OpenAI Realtime service, the one external paid service the wire tests may replace
// (e2e/README.md). It speaks that service's event protocol in both dialects, chosen per connection the way the
// real service tells them apart: the `OpenAI-Beta: realtime=v1` header selects the beta dialect, no header the GA one.
//
//   WebSocket  /v1/realtime?model=…        session.created → session.update (validated strictly) → session.updated;
//                                          input_audio_buffer.append → (server VAD: after silence_duration_ms)
//                                          speech_started/stopped, committed, item, input transcription, response with
//                                          audio and transcript deltas, done events, response.done.
//   POST       /v1/realtime/client_secrets GA: {expires_after, session:{type:"realtime", …}} → {value, expires_at, session}
//   POST       /v1/realtime/sessions       beta: flat session fields → {…session, client_secret:{value, expires_at}}
//
// Like the real service it refuses a wrong key (HTTP 401 before the upgrade, or a 401 JSON error whose message quotes
// part of the key), and answers a session of the wrong dialect or with an unknown field with an `error` event
// ("Unknown parameter: 'session.x'.", code unknown_parameter) and keeps the connection open; the stand-in also marks
// such a connection failed so a test can assert none was. Binary frames are no part of the Realtime protocol: the
// stand-in records them (so a test can check the relay passes them through) and answers nothing.
//
// "Speech" is text: the appended PCM bytes are read as Latin-1, so a test that appends the bytes of "alpha one" gets
// the transcript "alpha one" and the assistant answers "You said: alpha one". The assistant's audio is the user's
// audio echoed back in two chunks.

const http = require('node:http')
const crypto = require('node:crypto')
const { WebSocketServer } = require('ws')

const GA_SESSION_KEYS = ['type', 'model', 'instructions', 'audio', 'output_modalities', 'include', 'max_output_tokens',
  'prompt', 'tool_choice', 'tools', 'tracing', 'truncation']
const BETA_SESSION_KEYS = ['model', 'modalities', 'instructions', 'voice', 'input_audio_format', 'output_audio_format',
  'input_audio_transcription', 'input_audio_noise_reduction', 'turn_detection', 'tools', 'tool_choice', 'temperature',
  'max_response_output_tokens', 'speed', 'tracing']
const VAD_KEYS = ['type', 'threshold', 'prefix_padding_ms', 'silence_duration_ms', 'create_response', 'interrupt_response']

/** A request error shaped like the service's: {type, code, message, param}. */
class Refusal extends Error {
  constructor(code, message, param) {
    super(message)
    this.code = code
    this.param = param
  }
}
const unknown = (param) => new Refusal('unknown_parameter', `Unknown parameter: '${param}'.`, param)
const invalid = (param, value, why) => new Refusal('invalid_value', `Invalid value: ${JSON.stringify(value)}. ${why}`, param)
const missing = (param) => new Refusal('missing_required_parameter', `Missing required parameter: '${param}'.`, param)

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}
function onlyKeys(obj, allowed, path) {
  if (!isObject(obj)) throw invalid(path, obj, 'Expected an object.')
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) throw unknown(`${path}.${k}`)
}
function number(v, path, min, max) {
  if (typeof v !== 'number' || Number.isNaN(v) || v < min || v > max) throw invalid(path, v, `Expected a number between ${min} and ${max}.`)
}
function integer(v, path, min, max) {
  if (!Number.isInteger(v) || v < min || v > max) throw invalid(path, v, `Expected an integer between ${min} and ${max}.`)
}
function string(v, path) {
  if (typeof v !== 'string') throw invalid(path, v, 'Expected a string.')
}
function oneOf(v, values, path) {
  if (!values.includes(v)) throw invalid(path, v, `Supported values are: ${values.map((x) => `'${x}'`).join(', ')}.`)
}
function turnDetection(td, path) {
  if (td === null) return
  onlyKeys(td, VAD_KEYS.concat(['eagerness', 'idle_timeout_ms']), path)
  oneOf(td.type, ['server_vad', 'semantic_vad'], `${path}.type`)
  if (td.type === 'server_vad' && 'eagerness' in td) throw unknown(`${path}.eagerness`)
  if ('threshold' in td) number(td.threshold, `${path}.threshold`, 0, 1)
  if ('prefix_padding_ms' in td) integer(td.prefix_padding_ms, `${path}.prefix_padding_ms`, 0, 1e5)
  if ('silence_duration_ms' in td) integer(td.silence_duration_ms, `${path}.silence_duration_ms`, 0, 1e5)
}
function transcription(t, path) {
  if (t === null) return
  onlyKeys(t, ['model', 'language', 'prompt'], path)
  string(t.model, `${path}.model`)
}

/** The GA session object (session.update, client_secrets). Throws a Refusal. */
function validateGa(s, path = 'session') {
  onlyKeys(s, GA_SESSION_KEYS, path)
  if (!('type' in s)) throw missing(`${path}.type`)
  oneOf(s.type, ['realtime', 'transcription'], `${path}.type`)
  if ('model' in s) string(s.model, `${path}.model`)
  if ('instructions' in s) string(s.instructions, `${path}.instructions`)
  if ('output_modalities' in s) for (const m of s.output_modalities) oneOf(m, ['text', 'audio'], `${path}.output_modalities`)
  if ('audio' in s) {
    onlyKeys(s.audio, ['input', 'output'], `${path}.audio`)
    const format = (f, p) => {
      onlyKeys(f, ['type', 'rate'], p)
      oneOf(f.type, ['audio/pcm', 'audio/pcmu', 'audio/pcma'], `${p}.type`)
      if ('rate' in f) {
        if (f.type !== 'audio/pcm') throw unknown(`${p}.rate`)
        oneOf(f.rate, [24000], `${p}.rate`)
      }
    }
    const input = s.audio.input
    if (input !== undefined) {
      onlyKeys(input, ['format', 'noise_reduction', 'transcription', 'turn_detection'], `${path}.audio.input`)
      if ('format' in input) format(input.format, `${path}.audio.input.format`)
      if ('transcription' in input) transcription(input.transcription, `${path}.audio.input.transcription`)
      if ('turn_detection' in input) turnDetection(input.turn_detection, `${path}.audio.input.turn_detection`)
    }
    const output = s.audio.output
    if (output !== undefined) {
      onlyKeys(output, ['format', 'speed', 'voice'], `${path}.audio.output`)
      if ('format' in output) format(output.format, `${path}.audio.output.format`)
      if ('voice' in output) string(output.voice, `${path}.audio.output.voice`)
    }
  }
}

/** The beta session object (session.update, /v1/realtime/sessions). Throws a Refusal. */
function validateBeta(s, path = 'session') {
  onlyKeys(s, BETA_SESSION_KEYS, path)
  if ('modalities' in s) {
    if (!Array.isArray(s.modalities)) throw invalid(`${path}.modalities`, s.modalities, 'Expected an array.')
    for (const m of s.modalities) oneOf(m, ['text', 'audio'], `${path}.modalities`)
  }
  for (const k of ['input_audio_format', 'output_audio_format']) if (k in s) oneOf(s[k], ['pcm16', 'g711_ulaw', 'g711_alaw'], `${path}.${k}`)
  for (const k of ['model', 'instructions', 'voice']) if (k in s) string(s[k], `${path}.${k}`)
  if ('input_audio_transcription' in s) transcription(s.input_audio_transcription, `${path}.input_audio_transcription`)
  if ('turn_detection' in s) turnDetection(s.turn_detection, `${path}.turn_detection`)
}

function gaDefaults(model) {
  return {
    type: 'realtime', object: 'realtime.session', id: `sess_${crypto.randomBytes(8).toString('hex')}`, model,
    output_modalities: ['audio'], instructions: 'Default instructions.', tools: [], tool_choice: 'auto', max_output_tokens: 'inf',
    tracing: null, prompt: null, expires_at: Math.floor(Date.now() / 1000) + 3600, include: null,
    audio: {
      input: { format: { type: 'audio/pcm', rate: 24000 }, transcription: null, noise_reduction: null,
        turn_detection: { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 200, idle_timeout_ms: null, create_response: true, interrupt_response: true } },
      output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'alloy', speed: 1 },
    },
  }
}
function betaDefaults(model) {
  return {
    id: `sess_${crypto.randomBytes(8).toString('hex')}`, object: 'realtime.session', model, expires_at: 0,
    modalities: ['text', 'audio'], instructions: 'Default instructions.', voice: 'alloy', input_audio_format: 'pcm16',
    output_audio_format: 'pcm16', input_audio_transcription: null,
    turn_detection: { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 200, create_response: true, interrupt_response: true },
    tools: [], tool_choice: 'auto', temperature: 0.8, max_response_output_tokens: 'inf', speed: 1, tracing: null,
  }
}
/** Deep merge of a session update into the session (objects merged, everything else replaced). */
function merge(into, update) {
  for (const [k, v] of Object.entries(update)) {
    if (isObject(v) && isObject(into[k])) merge(into[k], v)
    else into[k] = v
  }
  return into
}

/** The body of a 401 like the service's; its message quotes the start and end of the key it got. */
function wrongKeyBody(auth) {
  const key = String(auth || '').replace(/^Bearer /, '')
  return JSON.stringify({ error: { message: `Incorrect API key provided: ${key.slice(0, 3)}***${key.slice(-4)}. You can find your API key at https://platform.openai.com/account/api-keys.`, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } })
}

/**
 * Starts the stand-in on a free port. `apiKey` is the only key it accepts.
 * Returns { url, port, connections, rest, rejectNext, close() }: `connections` holds one record per WebSocket
 * connection (see Connection), `rest` every REST request ({path, headers, body, status}); `rejectNext.rest` /
 * `rejectNext.upgrade` set to a status make the next request / upgrade fail with it; `rejectNext.created = false`
 * makes the next connection never send session.created (a broken service); `rejectNext.silentAll = true` makes every
 * connection silent until it is reset (a test cannot otherwise tell its own connection from a late one of an earlier
 * relay). `echo: true` (benchmarks) answers each
 * append at once with an audio delta carrying the same audio, its `item_id` being the append's `event_id`.
 */
async function startUpstream({ apiKey, echo = false }) {
  const connections = []
  const rest = []
  const rejectNext = { rest: 0, upgrade: 0, created: true }
  const waiters = []
  const server = http.createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      const record = { path: req.url, headers: req.headers, raw, body: null, status: 0 }
      rest.push(record)
      const send = (status, obj) => {
        const answer = () => {
          record.status = status
          res.writeHead(status, { 'content-type': 'application/json' })
          res.end(typeof obj === 'string' ? obj : JSON.stringify(obj))
        }
        // `rejectNext.restDelayMs`: a slow service (every REST answer waits that long).
        if (rejectNext.restDelayMs) setTimeout(answer, rejectNext.restDelayMs)
        else answer()
      }
      if (req.method !== 'POST' || !['/v1/realtime/client_secrets', '/v1/realtime/sessions'].includes(req.url)) {
        return send(404, { error: { message: `Invalid URL (${req.method} ${req.url})`, type: 'invalid_request_error', param: null, code: null } })
      }
      if (req.headers.authorization !== `Bearer ${apiKey}` || rejectNext.rest === 401) {
        rejectNext.rest = 0
        return send(401, wrongKeyBody(req.headers.authorization))
      }
      if (rejectNext.rest) {
        const status = rejectNext.rest
        rejectNext.rest = 0
        return send(status, { error: { message: `The server had an error while processing your request (key ${apiKey}).`, type: 'server_error', param: null, code: null } })
      }
      let body
      try {
        body = JSON.parse(raw)
        record.body = body
      } catch {
        return send(400, { error: { message: 'We could not parse the JSON body of your request.', type: 'invalid_request_error', param: null, code: null } })
      }
      try {
        if (req.url === '/v1/realtime/client_secrets') {
          onlyKeys(body, ['expires_after', 'session'], 'body')
          let seconds = 600
          if ('expires_after' in body) {
            onlyKeys(body.expires_after, ['anchor', 'seconds'], 'expires_after')
            oneOf(body.expires_after.anchor, ['created_at'], 'expires_after.anchor')
            integer(body.expires_after.seconds, 'expires_after.seconds', 10, 7200)
            seconds = body.expires_after.seconds
          }
          const session = body.session || { type: 'realtime' }
          validateGa(session)
          const expiresAt = Math.floor(Date.now() / 1000) + seconds
          return send(200, { value: `ek_${crypto.randomBytes(12).toString('hex')}`, expires_at: expiresAt, session: merge(gaDefaults(session.model || 'gpt-realtime'), session) })
        }
        validateBeta(body, 'session')
        const session = merge(betaDefaults(body.model || 'gpt-4o-realtime-preview'), body)
        const expiresAt = Math.floor(Date.now() / 1000) + 60
        session.expires_at = expiresAt
        return send(200, { ...session, client_secret: { value: `ek_${crypto.randomBytes(12).toString('hex')}`, expires_at: expiresAt } })
      } catch (e) {
        if (!(e instanceof Refusal)) throw e
        return send(400, { error: { message: e.message, type: 'invalid_request_error', param: e.param, code: e.code } })
      }
    })
  })

  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 })
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url, 'http://upstream')
    const refuse = (status, body) => {
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`)
    }
    if (url.pathname !== '/v1/realtime') return refuse(404, '{"error":{"message":"Not found","type":"invalid_request_error"}}')
    if (req.headers.authorization !== `Bearer ${apiKey}` || rejectNext.upgrade === 401) {
      rejectNext.upgrade = 0
      return refuse(401, wrongKeyBody(req.headers.authorization))
    }
    if (rejectNext.upgrade) {
      const status = rejectNext.upgrade
      rejectNext.upgrade = 0
      return refuse(status, '{"error":{"message":"upstream is unhappy","type":"server_error"}}')
    }
    const model = url.searchParams.get('model')
    if (!model) return refuse(400, '{"error":{"message":"Missing required parameter: \'model\'.","type":"invalid_request_error","code":"missing_required_parameter"}}')
    wss.handleUpgrade(req, socket, head, (ws) => {
      const silent = rejectNext.created === false || rejectNext.silentAll === true
      rejectNext.created = true
      const conn = new Connection(ws, req, model, { silent, echo })
      connections.push(conn)
      for (const w of waiters.splice(0)) w()
    })
  })

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = server.address().port
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    connections,
    rest,
    rejectNext,
    /** Resolves with the `n`th connection (1-based) once it exists. */
    async connection(n, ms = 8000) {
      const deadline = Date.now() + ms
      while (connections.length < n) {
        if (Date.now() > deadline) throw new Error(`upstream connection #${n} never came (have ${connections.length})`)
        await new Promise((r) => { waiters.push(r); setTimeout(r, 100) })
      }
      return connections[n - 1]
    },
    async close() {
      for (const c of connections) try { c.ws.terminate() } catch {}
      wss.close()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/**
 * One Realtime connection. Records every frame both ways in `frames` ({dir: 'in'|'out', data, isBinary}; `data` is the
 * exact Buffer received or sent), the session updates and the errors it answered. `closed` resolves with
 * {code, reason} when the connection ends.
 */
class Connection {
  constructor(ws, req, model, { silent = false, echo = false } = {}) {
    this.echo = echo
    this.ws = ws
    this.headers = req.headers
    this.flavour = /(^|,)\s*realtime=v1\s*(,|$)/.test(req.headers['openai-beta'] || '') ? 'beta' : 'ga'
    this.model = model
    this.frames = []
    this.sessionUpdates = []
    this.errors = []
    this.failed = false
    this.session = this.flavour === 'ga' ? gaDefaults(model) : betaDefaults(model)
    this.audio = []
    this.vadTimer = null
    this.eventSeq = 0
    this.itemSeq = 0
    this.silent = silent
    this.closeInfo = null
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => {
      this.closeInfo = { code, reason: reason.toString('utf8') }
      resolve(this.closeInfo)
    }))
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary))
    ws.on('error', () => {})
    if (!silent) this.emit({ type: 'session.created', session: this.session })
  }

  id(prefix) {
    return `${prefix}_${crypto.randomBytes(6).toString('hex')}`
  }

  /** Sends one server event (event_id first, like the service). */
  emit(event) {
    this.sendRaw(JSON.stringify({ event_id: `event_${++this.eventSeq}`, ...event }), false)
  }

  /** Sends exactly these bytes, as a text or binary frame (for the tests' byte-for-byte checks). */
  sendRaw(data, isBinary) {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8')
    if (!this.echo) this.frames.push({ dir: 'out', data: buf, isBinary }) // benchmarks keep no copies
    if (this.ws.readyState === 1) this.ws.send(buf, { binary: isBinary })
  }

  refuse(e, clientEventId) {
    this.failed = true
    this.errors.push(e)
    this.emit({ type: 'error', error: { type: 'invalid_request_error', code: e.code, message: e.message, param: e.param, event_id: clientEventId || null } })
  }

  get turnDetection() {
    return this.flavour === 'ga' ? this.session.audio.input.turn_detection : this.session.turn_detection
  }

  onMessage(data, isBinary) {
    if (!this.echo) this.frames.push({ dir: 'in', data: Buffer.from(data), isBinary })
    if (isBinary) return
    let event
    try {
      event = JSON.parse(data.toString('utf8'))
    } catch {
      return this.refuse(new Refusal('invalid_json', 'We could not parse the JSON body of your request.', null))
    }
    try {
      if (!isObject(event) || typeof event.type !== 'string') throw missing('type')
      switch (event.type) {
        case 'session.update': {
          onlyKeys(event, ['type', 'event_id', 'session'], 'event')
          if (!('session' in event)) throw missing('session')
          if (this.flavour === 'ga') validateGa(event.session)
          else validateBeta(event.session)
          this.sessionUpdates.push(event.session)
          merge(this.session, event.session)
          this.emit({ type: 'session.updated', session: this.session })
          break
        }
        case 'input_audio_buffer.append': {
          onlyKeys(event, ['type', 'event_id', 'audio'], 'event')
          if (typeof event.audio !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(event.audio)) throw invalid('audio', '…', 'Expected base64-encoded audio.')
          if (this.echo) {
            // Benchmark mode: each chunk comes straight back as assistant audio, tagged with the chunk's event_id.
            this.emit({ type: this.flavour === 'ga' ? 'response.output_audio.delta' : 'response.audio.delta', response_id: 'resp_echo', item_id: event.event_id || null, output_index: 0, content_index: 0, delta: event.audio })
            break
          }
          this.audio.push(Buffer.from(event.audio, 'base64'))
          const td = this.turnDetection
          if (td && td.type === 'server_vad') {
            clearTimeout(this.vadTimer)
            this.vadTimer = setTimeout(() => this.turn(), td.silence_duration_ms ?? 500)
          }
          break
        }
        case 'input_audio_buffer.commit':
          clearTimeout(this.vadTimer)
          this.turn()
          break
        case 'input_audio_buffer.clear':
          this.audio = []
          this.emit({ type: 'input_audio_buffer.cleared' })
          break
        default:
          throw invalid('type', event.type, "Supported values are: 'session.update', 'input_audio_buffer.append', 'input_audio_buffer.commit', 'input_audio_buffer.clear'.")
      }
    } catch (e) {
      if (!(e instanceof Refusal)) throw e
      this.refuse(e, event && event.event_id)
    }
  }

  /** One user turn: what server VAD and a response produce, in the service's order and names. */
  turn() {
    if (this.ws.readyState !== 1) return
    const audio = Buffer.concat(this.audio)
    this.audio = []
    const ga = this.flavour === 'ga'
    const userItem = this.id('item')
    const assistantItem = this.id('item')
    const responseId = this.id('resp')
    const heard = /^[\x20-\x7e]*$/.test(audio.toString('latin1')) ? audio.toString('latin1') : `${audio.length} bytes`
    const answer = `You said: ${heard}`
    const ms = Math.round(audio.length / 48)
    this.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: userItem })
    this.emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: ms, item_id: userItem })
    this.emit({ type: 'input_audio_buffer.committed', previous_item_id: null, item_id: userItem })
    const item = { id: userItem, type: 'message', status: 'completed', role: 'user', content: [{ type: 'input_audio', transcript: null }] }
    this.emit(ga ? { type: 'conversation.item.added', previous_item_id: null, item } : { type: 'conversation.item.created', previous_item_id: null, item })
    const transcribing = ga ? this.session.audio.input.transcription : this.session.input_audio_transcription
    if (transcribing) {
      this.emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: userItem, content_index: 0, transcript: heard })
    }
    this.emit({ type: 'response.created', response: { id: responseId, object: 'realtime.response', status: 'in_progress', output: [] } })
    this.emit({ type: 'response.output_item.added', response_id: responseId, output_index: 0, item: { id: assistantItem, type: 'message', status: 'in_progress', role: 'assistant', content: [] } })
    const where = { response_id: responseId, item_id: assistantItem, output_index: 0, content_index: 0 }
    const half = Math.ceil(audio.length / 2)
    for (const chunk of [audio.subarray(0, half), audio.subarray(half)]) {
      this.emit({ type: ga ? 'response.output_audio.delta' : 'response.audio.delta', ...where, delta: chunk.toString('base64') })
    }
    const words = answer.split(/(?<= )/)
    for (const w of words) this.emit({ type: ga ? 'response.output_audio_transcript.delta' : 'response.audio_transcript.delta', ...where, delta: w })
    this.emit({ type: ga ? 'response.output_audio.done' : 'response.audio.done', ...where })
    this.emit({ type: ga ? 'response.output_audio_transcript.done' : 'response.audio_transcript.done', ...where, transcript: answer })
    const content = [{ type: ga ? 'output_audio' : 'audio', transcript: answer }]
    this.emit({ type: 'response.output_item.done', response_id: responseId, output_index: 0, item: { id: assistantItem, type: 'message', status: 'completed', role: 'assistant', content } })
    this.emit({ type: 'response.done', response: { id: responseId, object: 'realtime.response', status: 'completed', output: [{ id: assistantItem, type: 'message', status: 'completed', role: 'assistant', content }] } })
  }

  close(code, reason) {
    this.ws.close(code, reason)
  }
}

module.exports = { startUpstream, validateGa, validateBeta }
