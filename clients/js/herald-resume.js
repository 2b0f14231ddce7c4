'use strict'
/**
 * herald-resume — gapless resume for @supabase/realtime-js (2.x, tested with 2.119.0) against a Herald server.
 *
 * No dependencies, no fork of realtime-js. CommonJS; works in Node and in browsers (bundlers understand CommonJS).
 *
 *   const { attachResume } = require('herald-resume')
 *   const resume = attachResume(supabase.realtime)   // or a RealtimeClient
 *   const channel = supabase.channel('room:1').on('broadcast', { event: '*' }, onMessage)
 *   resume.onRecovery(channel, ({ recovered, stream }) => { if (!recovered) refetch(stream) })
 *   channel.subscribe()
 *
 * How it works (see README.md):
 *  - Herald stamps every broadcast and postgres_changes message with a position (`meta.herald_pos` of a broadcast,
 *    the binary metadata of a kind-4 broadcast, `herald_pos` next to `ids`/`data` of a change). realtime-js rebuilds
 *    change payloads before callbacks see them, so the helper reads positions from the decoded raw frames: it wraps
 *    the socket's `decode` function.
 *  - It remembers the last position per channel and stream kind (`b` broadcast, `c` changes) of every message that
 *    realtime-js will hand to that channel (same topic; `join_ref` empty or the channel's current one).
 *  - Every join realtime-js sends — the first `subscribe()`, the rejoin after a reconnect, the retry after a join
 *    error or timeout — reads its payload from the join push at send time. The helper makes that payload carry
 *    `config.broadcast.herald_resume = {broadcast, changes}` (only the streams it has a position for). realtime-js
 *    builds the join `config` from `broadcast`, `presence`, `postgres_changes`, `private` and
 *    `postgres_changes_options` only, but keeps unknown keys inside the `broadcast` object, hence the location.
 *  - The server answers the join, sends what the channel missed, then one `system` message per requested stream:
 *    `{extension:"system", status:"ok", recovered:true|false, stream:"broadcast"|"changes", message, channel}`.
 *    `onRecovery` reports it; `recovered:false` means the position was outside the retention window: refetch.
 */

const KINDS = { b: 'broadcast', c: 'changes' }
const HANDLES = typeof WeakMap === 'function' ? new WeakMap() : null
const PATCHED = '__heraldResume'

/** The phoenix socket that owns `decode` (realtime-js >= 2.100 keeps it behind `socketAdapter`). */
function phoenixSocket(client) {
  if (client && client.socketAdapter && typeof client.socketAdapter.getSocket === 'function') {
    return client.socketAdapter.getSocket()
  }
  return client
}

function topicOf(channelOrName) {
  if (channelOrName && typeof channelOrName === 'object') return channelOrName.topic
  const s = String(channelOrName)
  return s.startsWith('realtime:') ? s : `realtime:${s}`
}

/**
 * The position a decoded frame carries, or null: `{kind: 'broadcast'|'changes', position}`.
 * `msg` is what realtime-js' decoder produced (`{topic, event, payload, ref, join_ref}`).
 */
function readPosition(msg) {
  if (!msg || typeof msg !== 'object') return null
  const payload = msg.payload
  if (!payload || typeof payload !== 'object') return null
  let pos
  if (msg.event === 'postgres_changes') {
    pos = payload.herald_pos
  } else if (msg.event === 'broadcast') {
    pos = payload.meta && typeof payload.meta === 'object' ? payload.meta.herald_pos : undefined
  } else {
    return null
  }
  if (typeof pos !== 'string' || pos.length < 2) return null
  const kind = KINDS[pos[0]] || (msg.event === 'postgres_changes' ? 'changes' : 'broadcast')
  return { kind, position: pos }
}

/**
 * Attach gapless resume to a RealtimeClient (supabase-js: `supabase.realtime`). Call it once, before subscribing;
 * channels created before the call are covered too, as long as they have not sent their join yet.
 *
 * @param {object} client  RealtimeClient
 * @param {object} [options]
 * @param {boolean} [options.keepOnClose=false] keep a topic's positions when its channel is closed (unsubscribe,
 *   server-side close), so that a new channel on the same topic resumes where the old one stopped; by default a new
 *   channel starts live, like realtime-js itself.
 * @param {(topic: string, kind: 'broadcast'|'changes', position: string) => void} [options.onPosition]
 *   called for every position recorded (e.g. to persist it; give it back with `setPositions` after a reload).
 *   Called on the socket's message path: keep it cheap.
 */
function attachResume(client, options = {}) {
  if (!client) throw new TypeError('attachResume: a RealtimeClient is required')
  if (HANDLES && HANDLES.has(client)) return HANDLES.get(client)
  const keepOnClose = !!options.keepOnClose
  const onPosition = typeof options.onPosition === 'function' ? options.onPosition : null
  const socket = phoenixSocket(client)
  if (!socket || typeof socket.decode !== 'function') {
    throw new TypeError('attachResume: cannot find the socket decoder of this RealtimeClient')
  }

  /**
   * topic → { channel, broadcast?, changes?, seeds: {broadcast?, changes?}, listeners: Set }
   * `broadcast`/`changes` are positions of messages realtime-js handed to the channel; `seeds` are the positions a
   * join reply stated (`response.herald_pos`), used only for a stream the channel listens to and has no position for.
   */
  const states = new Map()

  function stateFor(topic) {
    let st = states.get(topic)
    if (!st) {
      st = { channel: null, broadcast: undefined, changes: undefined, seeds: {}, listeners: new Set() }
      states.set(topic, st)
    }
    return st
  }

  /** The state of `channel`; a new channel instance on a known topic starts empty unless keepOnClose. */
  function adopt(channel) {
    const st = stateFor(channel.topic)
    if (st.channel && st.channel !== channel && !keepOnClose) {
      st.broadcast = undefined
      st.changes = undefined
      st.seeds = {}
    }
    st.channel = channel
    return st
  }

  /**
   * Does the channel have listeners for this stream? realtime-js hands broadcasts only to `broadcast` bindings and
   * changes only to `postgres_changes` bindings. Unknown channel shapes count as listening.
   */
  function listensTo(channel, kind) {
    const b = channel && channel.bindings
    if (!b || typeof b !== 'object') return true
    const list = b[kind === 'changes' ? 'postgres_changes' : 'broadcast']
    return Array.isArray(list) && list.length > 0
  }

  /**
   * The position the next join resumes `kind` from: the last one delivered, else the join reply's seed when the
   * channel listens to that stream (a stream it does not listen to is not resumed: the server would answer with a
   * recovery notice for a stream the app never sees).
   */
  function effective(st, kind) {
    if (!st) return undefined
    if (st[kind] !== undefined) return st[kind]
    const seed = st.seeds && st.seeds[kind]
    return seed !== undefined && listensTo(st.channel, kind) ? seed : undefined
  }

  function channels() {
    return typeof client.getChannels === 'function' ? client.getChannels() : client.channels || []
  }

  function currentJoinRef(channel) {
    const push = channel.joinPush
    return push ? push.ref : undefined
  }

  /** The live channel realtime-js would hand `msg` to (phoenix `isMember`), or null. */
  function memberChannel(msg) {
    const list = channels()
    for (let i = 0; i < list.length; i++) {
      const ch = list[i]
      if (ch.topic !== msg.topic) continue
      if (msg.join_ref && msg.join_ref !== currentJoinRef(ch)) continue
      return ch
    }
    return null
  }

  function record(channel, kind, position) {
    const st = adopt(channel)
    st[kind] = position
    if (onPosition) {
      try { onPosition(channel.topic, kind, position) } catch (e) { /* the app's problem, not the socket's */ }
    }
  }

  /** Before delivery: positions. After delivery: recovery notices (so the app's own listeners ran first). */
  function observe(msg) {
    if (!msg || typeof msg !== 'object' || typeof msg.topic !== 'string') return null
    const ev = msg.event
    if (ev === 'broadcast' || ev === 'postgres_changes') {
      const found = readPosition(msg)
      if (!found) return null
      const ch = memberChannel(msg)
      if (ch) record(ch, found.kind, found.position)
      return null
    }
    if (ev === 'system') {
      const p = msg.payload
      if (p && typeof p === 'object' && typeof p.recovered === 'boolean') {
        const ch = memberChannel(msg)
        if (ch) return { ch, p }
      }
      return null
    }
    if (ev === 'phx_reply') {
      // Forward compatible: a join reply may carry the channel's current positions (`response.herald_pos`); they
      // are the starting point for a stream the channel has no position for yet.
      const p = msg.payload
      const hp = p && p.status === 'ok' && p.response && typeof p.response === 'object' ? p.response.herald_pos : null
      if (hp && typeof hp === 'object' && msg.ref) {
        const ch = memberChannel(msg)
        if (ch && currentJoinRef(ch) === msg.ref) {
          const st = adopt(ch)
          // Only the reply to a join that had nothing to resume from seeds a stream: the reply to a resumed join
          // states the head, but the missed messages are still on their way.
          for (const kind of ['broadcast', 'changes']) {
            if (st[kind] === undefined && st.seeds[kind] === undefined && typeof hp[kind] === 'string') st.seeds[kind] = hp[kind]
          }
        }
      }
    }
    return null
  }

  function notify({ ch, p }) {
    const st = states.get(ch.topic)
    if (!st || st.listeners.size === 0) return
    const m = typeof p.message === 'string' ? p.message.match(/^Recovered (\d+) message/) : null
    const info = {
      recovered: p.recovered,
      stream: p.stream === 'changes' ? 'changes' : 'broadcast',
      count: m ? Number(m[1]) : p.recovered ? undefined : 0,
      message: p.message,
      channel: ch,
    }
    for (const cb of Array.from(st.listeners)) {
      if (cb.channel !== ch) continue
      try { cb.fn(info) } catch (e) { /* the app's problem */ }
    }
  }

  // -- the decoder -------------------------------------------------------------------------------------------
  const originalDecode = socket.decode
  const decode = function heraldResumeDecode(raw, callback) {
    return originalDecode.call(this, raw, (msg) => {
      let notice = null
      try { notice = observe(msg) } catch (e) { notice = null }
      const result = callback(msg)
      if (notice) {
        try { notify(notice) } catch (e) { /* never break the socket */ }
      }
      return result
    })
  }
  socket.decode = decode

  // -- the join payload ----------------------------------------------------------------------------------------
  /**
   * The join payload with the channel's current positions. Any `herald_resume` already in it is replaced (or removed
   * when there is no position): realtime-js' updateJoinPayload reads the payload through this accessor and stores a
   * copy, so an older position may be baked into what it stores.
   */
  function withResume(topic, payload) {
    if (!payload || typeof payload !== 'object') return payload
    const st = states.get(topic)
    const pos = { broadcast: effective(st, 'broadcast'), changes: effective(st, 'changes') }
    const has = pos.broadcast !== undefined || pos.changes !== undefined
    const config = payload.config && typeof payload.config === 'object' ? payload.config : null
    const stale = config && config.broadcast && typeof config.broadcast === 'object' && 'herald_resume' in config.broadcast
    if (!has && !stale) return payload
    const broadcast = Object.assign({}, config && config.broadcast && typeof config.broadcast === 'object' ? config.broadcast : {})
    delete broadcast.herald_resume
    if (has) {
      const resume = {}
      if (pos.broadcast !== undefined) resume.broadcast = pos.broadcast
      if (pos.changes !== undefined) resume.changes = pos.changes
      broadcast.herald_resume = resume
    }
    return Object.assign({}, payload, { config: Object.assign({}, config || {}, { broadcast }) })
  }

  /**
   * Make the channel's join push compute its payload with the latest positions each time it is sent. realtime-js
   * replaces `joinPush.payload` (a function in 2.119.0, an object in older versions) on subscribe() and on every
   * setAuth(); an accessor on the push keeps wrapping whatever it stores.
   */
  function instrument(channel) {
    if (!channel || typeof channel !== 'object' || channel[PATCHED] === handle) return channel
    const push = channel.joinPush
    if (!push) return channel
    const topic = channel.topic
    adopt(channel)
    let inner = push.payload
    Object.defineProperty(push, 'payload', {
      configurable: true,
      enumerable: true,
      get() {
        if (typeof inner === 'function') {
          const fn = inner
          return function heraldResumePayload() {
            return withResume(topic, fn.apply(this, arguments))
          }
        }
        return withResume(topic, inner)
      },
      set(v) {
        inner = v
      },
    })
    try {
      Object.defineProperty(channel, PATCHED, { value: handle, configurable: true, enumerable: false, writable: true })
    } catch (e) {
      channel[PATCHED] = handle
    }
    return channel
  }

  const originalChannel = client.channel
  if (typeof originalChannel === 'function') {
    client.channel = function heraldResumeChannel() {
      return instrument(originalChannel.apply(this, arguments))
    }
  }

  const handle = {
    /** The positions the next join of this channel (or topic name) will resume from. */
    positions(channelOrName) {
      const st = states.get(topicOf(channelOrName))
      const out = {}
      for (const kind of ['broadcast', 'changes']) {
        const p = effective(st, kind)
        if (p !== undefined) out[kind] = p
      }
      return out
    },
    /**
     * Set the positions to resume from (e.g. persisted before a page reload). Call before subscribe(); keys left
     * out are unchanged, `null` removes one.
     */
    setPositions(channelOrName, positions = {}) {
      const st = stateFor(topicOf(channelOrName))
      if (channelOrName && typeof channelOrName === 'object') adopt(channelOrName)
      for (const kind of ['broadcast', 'changes']) {
        if (positions[kind] === null) {
          st[kind] = undefined
          delete st.seeds[kind]
        } else if (typeof positions[kind] === 'string') st[kind] = positions[kind]
      }
    },
    /** Forget a topic's positions: its next join starts live. */
    forget(channelOrName) {
      const st = states.get(topicOf(channelOrName))
      if (st) {
        st.broadcast = undefined
        st.changes = undefined
        st.seeds = {}
      }
    },
    /**
     * `cb({recovered, stream, count, message, channel})` for each recovery notice of `channel` (one per stream and
     * resumed join). Returns a function that removes the callback.
     */
    onRecovery(channel, cb) {
      if (!channel || typeof channel.topic !== 'string') throw new TypeError('onRecovery: a channel is required')
      if (typeof cb !== 'function') throw new TypeError('onRecovery: a callback is required')
      instrument(channel)
      const st = stateFor(channel.topic)
      const entry = { channel, fn: cb }
      st.listeners.add(entry)
      return () => st.listeners.delete(entry)
    },
    /** Instrument a channel created in a way the helper could not see (normally not needed). */
    track: (channel) => instrument(channel),
    /** Undo the patches (channels already instrumented keep resuming until they are closed). */
    detach() {
      if (socket.decode === decode) socket.decode = originalDecode
      if (client.channel !== originalChannel && typeof originalChannel === 'function') client.channel = originalChannel
      if (HANDLES) HANDLES.delete(client)
    },
  }

  for (const ch of channels()) instrument(ch)
  if (HANDLES) HANDLES.set(client, handle)
  return handle
}

/** `attachResume(channel.socket).onRecovery(channel, cb)`, for code that only holds the channel. */
function onRecovery(channel, cb) {
  if (!channel || !channel.socket) throw new TypeError('onRecovery: a RealtimeChannel is required')
  return attachResume(channel.socket).onRecovery(channel, cb)
}

// ---------------------------------------------------------------------------------------------------------------
// stillMatches: re-test a row against a postgres_changes filter (for Herald's opt-in `leave: true` events)

const SUPPORTED_OPS = new Set(['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in', 'is'])

/** Split at top-level commas, outside parentheses and double-quoted values (Herald's / the reference's rule). */
function splitTopLevel(s) {
  const parts = []
  let cur = ''
  let depth = 0
  let quoted = false
  let prev = ''
  for (let i = 0; i < s.length; i++) {
    const c = s[i]
    if (quoted) {
      if (c === '\\' && i + 1 < s.length) {
        const next = s[++i]
        cur += c + next
        prev = next
        continue
      }
      if (c === '"') quoted = false
      cur += c
      prev = c
      continue
    }
    if (c === '"' && (prev === '.' || prev === '(' || prev === ',')) quoted = true
    else if (c === '(') depth++
    else if (c === ')') depth = Math.max(0, depth - 1)
    else if (c === ',' && depth === 0) {
      parts.push(cur)
      cur = ''
      prev = ''
      continue
    }
    cur += c
    prev = c
  }
  parts.push(cur)
  return parts
}

function unquote(v) {
  if (!v.startsWith('"')) return v
  let out = ''
  for (let i = 1; i < v.length; i++) {
    let c = v[i]
    if (c === '"') return i === v.length - 1 ? out : v
    if (c === '\\' && i + 1 < v.length) c = v[++i]
    out += c
  }
  return v
}

/** A PostgreSQL array literal's elements (`null` for an unquoted NULL), as Herald reads `in.(…)` lists. */
function parseInList(body) {
  const out = []
  let i = 0
  const n = body.length
  const space = (ch) => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v'
  while (i < n && space(body[i])) i++
  if (i >= n) return out
  for (;;) {
    while (i < n && space(body[i])) i++
    if (i >= n) throw new SyntaxError(`stillMatches: malformed in list (${body})`)
    let el = ''
    if (body[i] === '"') {
      i++
      for (;;) {
        if (i >= n) throw new SyntaxError(`stillMatches: malformed in list (${body})`)
        const q = body[i++]
        if (q === '\\') el += body[i++]
        else if (q === '"') break
        else el += q
      }
      while (i < n && space(body[i])) i++
      out.push(el)
    } else {
      let escaped = false
      let keep = 0
      while (i < n && body[i] !== ',') {
        const u = body[i]
        if (u === '\\') {
          el += body[i + 1] || ''
          escaped = true
          keep = el.length
          i += 2
          continue
        }
        el += u
        if (!space(u)) keep = el.length
        i++
      }
      el = el.slice(0, keep)
      if (!el && !escaped) throw new SyntaxError(`stillMatches: malformed in list (${body})`)
      out.push(!escaped && el.toUpperCase() === 'NULL' ? null : el)
    }
    if (i >= n) return out
    if (body[i] !== ',') throw new SyntaxError(`stillMatches: malformed in list (${body})`)
    i++
  }
}

/** Parse a filter string into conditions `{column, op, negated, value, values?}`. */
function parseFilter(filter) {
  if (filter == null) return []
  const trimmed = String(filter).trim()
  if (!trimmed) return []
  return splitTopLevel(trimmed).map((segment) => {
    const seg = segment.trim()
    if (!seg) throw new SyntaxError('stillMatches: filter must not contain empty segments')
    const eq = seg.indexOf('=')
    if (eq < 0) throw new SyntaxError(`stillMatches: cannot parse filter segment ${JSON.stringify(seg)}`)
    const column = seg.slice(0, eq)
    let rest = seg.slice(eq + 1)
    const negated = rest.startsWith('not.')
    if (negated) rest = rest.slice(4)
    const dot = rest.indexOf('.')
    if (dot < 0) throw new SyntaxError(`stillMatches: cannot parse filter segment ${JSON.stringify(seg)}`)
    const op = rest.slice(0, dot)
    const value = rest.slice(dot + 1)
    if (!SUPPORTED_OPS.has(op)) {
      throw new TypeError(`stillMatches: operator ${JSON.stringify(op)} is not supported (eq neq lt lte gt gte in is)`)
    }
    if (op === 'in') {
      if (value.length < 2 || value[0] !== '(' || value[value.length - 1] !== ')') {
        throw new SyntaxError('stillMatches: `in` filter value must be wrapped by parentheses')
      }
      return { column, op, negated, value, values: parseInList(value.slice(1, -1)) }
    }
    if (op === 'is' && !['null', 'true', 'false', 'unknown'].includes(value.toLowerCase())) {
      throw new SyntaxError('stillMatches: is filter value must be null, true, false, or unknown')
    }
    return { column, op, negated, value: unquote(value) }
  })
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i
const DATE_TIME = /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/
const HAS_ZONE = /(Z|[+-]\d{2}(:?\d{2})?)$/

function parseBool(text) {
  const t = String(text).trim().toLowerCase()
  if (['t', 'true', 'y', 'yes', 'on', '1'].includes(t)) return true
  if (['f', 'false', 'n', 'no', 'off', '0'].includes(t)) return false
  return undefined
}

/** Code point order (PostgreSQL "C" collation), not UTF-16 unit order. */
function compareText(a, b) {
  const ia = a[Symbol.iterator]()
  const ib = b[Symbol.iterator]()
  for (;;) {
    const x = ia.next()
    const y = ib.next()
    if (x.done || y.done) return x.done === y.done ? 0 : x.done ? -1 : 1
    const cx = x.value.codePointAt(0)
    const cy = y.value.codePointAt(0)
    if (cx !== cy) return cx < cy ? -1 : 1
  }
}

/**
 * Compare the row's value with a filter literal: negative / 0 / positive, or NaN when they cannot be compared
 * (the literal is not a value of the column's type): such a condition does not hold.
 */
function compareValue(column, value, literal) {
  if (typeof value === 'number') {
    const n = Number(literal)
    if (literal.trim() === '' || Number.isNaN(n)) return NaN
    return value < n ? -1 : value > n ? 1 : 0
  }
  if (typeof value === 'bigint') {
    try {
      const n = BigInt(literal.trim())
      return value < n ? -1 : value > n ? 1 : 0
    } catch (e) {
      return NaN
    }
  }
  if (typeof value === 'boolean') {
    const b = parseBool(literal)
    if (b === undefined) return NaN
    return value === b ? 0 : value ? 1 : -1
  }
  if (typeof value === 'string') {
    if (UUID.test(value) && UUID.test(literal)) {
      return compareText(value.replace(/-/g, '').toLowerCase(), literal.replace(/-/g, '').toLowerCase())
    }
    if (DATE_TIME.test(value) && DATE_TIME.test(literal)) {
      const za = HAS_ZONE.test(value)
      const zb = HAS_ZONE.test(literal)
      if (za && zb) {
        const a = Date.parse(value.replace(' ', 'T'))
        const b = Date.parse(literal.replace(' ', 'T'))
        if (!Number.isNaN(a) && !Number.isNaN(b) && a !== b) return a < b ? -1 : 1
      }
      return compareText(value.replace(' ', 'T'), literal.replace(' ', 'T'))
    }
    return compareText(value, literal)
  }
  throw new TypeError(`stillMatches: column ${JSON.stringify(column)} holds a ${Array.isArray(value) ? 'array' : typeof value}; only numbers, booleans and text-like values are supported`)
}

function holds(cond, row) {
  if (!row || typeof row !== 'object' || !Object.prototype.hasOwnProperty.call(row, cond.column)) return false
  const value = row[cond.column]
  if (cond.op === 'is') {
    const kw = cond.value.toLowerCase()
    let r
    if (kw === 'null') r = value === null || value === undefined
    else if (value === null || value === undefined) r = kw === 'unknown'
    else {
      const b = typeof value === 'boolean' ? value : parseBool(value)
      if (b === undefined) return false
      r = kw === 'true' ? b === true : kw === 'false' ? b === false : false
    }
    return r !== cond.negated
  }
  if (value === null || value === undefined) return false // SQL: a comparison with NULL is unknown, negated too
  if (cond.op === 'in') {
    let found = false
    let hasNull = false
    for (const el of cond.values) {
      if (el === null) {
        hasNull = true
        continue
      }
      if (compareValue(cond.column, value, el) === 0) {
        found = true
        break
      }
    }
    if (found) return !cond.negated
    return !hasNull && cond.negated
  }
  const c = compareValue(cond.column, value, cond.value)
  if (Number.isNaN(c)) return false
  let r
  switch (cond.op) {
    case 'eq': r = c === 0; break
    case 'neq': r = c !== 0; break
    case 'lt': r = c < 0; break
    case 'lte': r = c <= 0; break
    case 'gt': r = c > 0; break
    default: r = c >= 0
  }
  return r !== cond.negated
}

/**
 * Does `row` (a callback payload's `new`, or `old`) satisfy the postgres_changes `filter` string? Conditions are
 * AND-ed, as on the server. Operators: eq neq lt lte gt gte in is, each with `not.`; SQL NULL logic (a comparison
 * with NULL never holds, negated or not; `in` lists with NULL). Values compare by the row value's JavaScript type:
 * numbers by value, booleans, text in code point order, uuids case-insensitively, ISO dates/timestamps
 * chronologically. A column missing from the row does not match. Throws for other operators and for json/array
 * values, which need the column's type to compare like the server does.
 *
 * Use it on `leave: true` subscriptions: an UPDATE whose `new` no longer matches is a move-out.
 *
 * @param {string|null|undefined} filter e.g. `room=eq.1,status=in.(open,"in progress")`
 * @param {Record<string, unknown>} row
 * @returns {boolean}
 */
function stillMatches(filter, row) {
  // a realtime-js filter builder serialises with build()
  const text = filter && typeof filter === 'object' && typeof filter.build === 'function' ? filter.build() : filter
  const conds = parseFilter(text)
  for (const c of conds) if (!holds(c, row)) return false
  return true
}

module.exports = { attachResume, onRecovery, stillMatches, readPosition, parseFilter }
