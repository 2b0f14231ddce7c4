'use strict'
/**
 * herald-typing — typing indicators for a Herald discussion channel (`discussion:{item_type}:{item_id}` of the comments
 * plugin, or any channel that allows client broadcasts), on top of @supabase/realtime-js. No dependencies; CommonJS.
 *
 *   const { attachTyping } = require('herald-typing')
 *   const channel = supabase.channel('discussion:challenge:42')
 *   const typing = attachTyping(channel, { user: session.user.id, onChange: (users) => render(users) })
 *   channel.subscribe()
 *   textarea.addEventListener('input', () => typing.typing())   // cheap to call on every keystroke
 *   form.addEventListener('submit', () => typing.stop())
 *
 * Protocol (docs/plugins/comments.md): a client broadcast with event `typing` and payload
 *   {user: <id>, typing: true, expires_in_ms: <n>}   — "I am typing; forget it after n ms unless I refresh"
 *   {user: <id>, typing: false}                       — "I stopped" (optional; expiry covers a closed tab)
 * A sender refreshes at most once per `refreshMs` while the user keeps typing (default half the expiry), so a receiver
 * sees the indicator continuously; once refreshes stop, every receiver drops it after `expires_in_ms` (capped at
 * `maxExpiresMs`). Broadcasts are not echoed to the sender (realtime-js' default `self: false`), and a receiver also
 * ignores its own user id.
 */

const DEFAULT_EXPIRES_MS = 5000
const DEFAULT_MAX_EXPIRES_MS = 30000
const EVENT = 'typing'

/**
 * Wires typing indicators into `channel` (call before `channel.subscribe()`: realtime-js binds listeners at join).
 *
 * options:
 *   user          this client's user id (required), sent in every indicator
 *   expiresInMs   how long receivers keep this client's indicator without a refresh (default 5000)
 *   refreshMs     least time between two `typing: true` sends (default expiresInMs / 2)
 *   maxExpiresMs  the longest expiry accepted from others (default 30000), so a peer cannot pin an indicator
 *   onChange      called with the sorted user ids typing now, whenever that list changes
 *   now           clock (default Date.now), for tests
 *
 * Returns { typing(), stop(), users(), dispose() }.
 */
function attachTyping(channel, options = {}) {
  const user = options.user
  if (typeof user !== 'string' || user === '') throw new TypeError('attachTyping: options.user (a non-empty string) is required')
  const expiresInMs = positive(options.expiresInMs, DEFAULT_EXPIRES_MS)
  const refreshMs = positive(options.refreshMs, Math.max(1, Math.floor(expiresInMs / 2)))
  const maxExpiresMs = positive(options.maxExpiresMs, DEFAULT_MAX_EXPIRES_MS)
  const onChange = typeof options.onChange === 'function' ? options.onChange : () => {}
  const now = typeof options.now === 'function' ? options.now : Date.now

  const timers = new Map() // user id -> expiry timer of someone else's indicator
  let lastSent = -Infinity
  let disposed = false

  const users = () => Array.from(timers.keys()).sort()
  const changed = () => {
    try { onChange(users()) } catch (e) { setTimeout(() => { throw e }) }
  }
  const drop = (who) => {
    const t = timers.get(who)
    if (t === undefined) return false
    clearTimeout(t)
    timers.delete(who)
    return true
  }

  channel.on('broadcast', { event: EVENT }, (message) => {
    if (disposed) return
    const p = message && message.payload
    if (!p || typeof p.user !== 'string' || p.user === '' || p.user === user) return
    if (p.typing !== true) {
      if (drop(p.user)) changed()
      return
    }
    const ms = Number.isFinite(p.expires_in_ms) && p.expires_in_ms > 0 ? Math.min(p.expires_in_ms, maxExpiresMs) : expiresInMs
    const isNew = !drop(p.user)
    const t = setTimeout(() => {
      if (timers.get(p.user) === t) {
        timers.delete(p.user)
        changed()
      }
    }, ms)
    if (t && typeof t.unref === 'function') t.unref()
    timers.set(p.user, t)
    if (isNew) changed()
  })

  return {
    /** Call whenever the user types; sends an indicator at most once per refreshMs. Resolves to the send result or null. */
    typing() {
      if (disposed) return Promise.resolve(null)
      const t = now()
      if (t - lastSent < refreshMs) return Promise.resolve(null)
      lastSent = t
      return channel.send({ type: 'broadcast', event: EVENT, payload: { user, typing: true, expires_in_ms: expiresInMs } })
    },
    /** Tells the others at once that this user stopped (e.g. the comment was posted). */
    stop() {
      if (disposed) return Promise.resolve(null)
      lastSent = -Infinity
      return channel.send({ type: 'broadcast', event: EVENT, payload: { user, typing: false } })
    },
    /** The other users typing now, sorted. */
    users,
    /** Clears every timer; the listener stays bound to the channel but ignores further messages. */
    dispose() {
      disposed = true
      for (const t of timers.values()) clearTimeout(t)
      timers.clear()
    },
  }
}

function positive(v, fallback) {
  return Number.isFinite(v) && v > 0 ? v : fallback
}

module.exports = { attachTyping, TYPING_EVENT: EVENT }
