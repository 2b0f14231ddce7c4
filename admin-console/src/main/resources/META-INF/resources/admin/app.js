// Herald admin console: polls the admin API every second and renders the current view.
import * as api from './api.js'
import { lineChart, sparkline, gauge, fmt, bytes } from './charts.js'

const POLL_MS = 1000
const HISTORY = 60
const history = { in: [], out: [], p99: [], topics: new Map() }
let view = 'channels'
let selected = null // {side, name} of the channel whose detail is open
let limitsLoaded = false
let timer = null

/** Builds an element: h('td', {class: 'num'}, 'text', child...). Text is always set as text, never as HTML. */
function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v)
    else if (k === 'dataset') Object.assign(e.dataset, v)
    else e.setAttribute(k, v === true ? '' : v)
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c))
  return e
}

const $ = (id) => document.getElementById(id)
const push = (arr, v) => { arr.push(v); if (arr.length > HISTORY) arr.shift() }
const ago = (iso) => {
  if (!iso) return '—'
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000))
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`
}
const badge = (status) => h('span', { class: `badge ${status}`, 'data-health': status }, status)

// ---- login ------------------------------------------------------------------------------------------------------

function showLogin(message = '') {
  clearInterval(timer)
  timer = null
  $('app-view').hidden = true
  $('login-view').hidden = false
  $('login-error').textContent = message
}

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault()
  const password = ev.target.password.value
  try {
    await api.login(password)
    ev.target.password.value = ''
    start()
  } catch (e) {
    $('login-error').textContent = e.status === 401 ? 'Wrong password' : e.message
  }
})

$('logout').addEventListener('click', async () => {
  await api.logout()
  showLogin()
})

// ---- navigation -------------------------------------------------------------------------------------------------

function route() {
  view = (location.hash || '#channels').slice(1).split('/')[0]
  if (!['channels', 'connections', 'cdc', 'limits', 'plugins'].includes(view)) view = 'channels'
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.view === view)
  for (const p of document.querySelectorAll('[data-panel]')) p.hidden = p.dataset.panel !== view
  if (view === 'limits') {
    // the form is loaded afresh from the server; never leave a stale one to type into meanwhile
    limitsLoaded = false
    $('limits-panel').replaceChildren(h('p', { class: 'empty' }, 'Loading limits…'))
  }
  refresh()
}
window.addEventListener('hashchange', route)

function start() {
  $('login-view').hidden = true
  $('app-view').hidden = false
  route()
  clearInterval(timer)
  timer = setInterval(refresh, POLL_MS)
}

let inFlight = false
async function refresh() {
  if (inFlight || !api.token()) return
  inFlight = true
  try {
    const [overview, channels] = await Promise.all([api.get('overview'), api.get('channels')])
    renderOverview(overview, channels.channels)
    if (view === 'channels') await renderChannels(channels.channels)
    else if (view === 'connections') renderConnections(await api.get('connections'))
    else if (view === 'cdc') renderCdc(await api.get('cdc'))
    else if (view === 'limits' && !limitsLoaded) await renderLimits()
    else if (view === 'limits') renderLimitUsage(await api.get('limits'))
    else if (view === 'plugins') renderPlugins(await api.get('plugins'))
    $('live').classList.remove('stale')
    $('live').textContent = 'live'
  } catch (e) {
    if (e instanceof api.Unauthorized) showLogin('Your session ended; log in again.')
    else {
      $('live').classList.add('stale')
      $('live').textContent = `stale (${e.message})`
    }
  } finally {
    inFlight = false
  }
}

// ---- overview and charts ----------------------------------------------------------------------------------------

function renderOverview(o, channels) {
  const stat = (label, value, id) => h('div', { class: 'stat', 'data-stat': id }, h('b', {}, value), h('span', {}, label))
  $('overview').replaceChildren(
    stat('connections', o.connections, 'connections'),
    stat('channels joined', o.channels_joined, 'channels'),
    stat('messages in / s', fmt(o.messages_in_per_second), 'in'),
    stat('messages out / s', fmt(o.messages_out_per_second), 'out'),
    stat('drops (total)', o.drops_total, 'drops'),
    stat('change capture', o.cdc, 'cdc'),
  )
  push(history.in, o.messages_in_per_second)
  push(history.out, o.messages_out_per_second)
  push(history.p99, Math.max(0, ...channels.map((c) => c.latency_p99_ms ?? 0)))
  for (const c of channels) {
    const key = `${c.private ? 'private' : 'public'}/${c.topic}`
    if (!history.topics.has(key)) history.topics.set(key, [])
    push(history.topics.get(key), c.messages_in_per_second + c.messages_out_per_second)
  }
  lineChart($('chart-rate'), [{ name: 'in', values: history.in }, { name: 'out', values: history.out }])
  lineChart($('chart-latency'), [{ name: 'p99', values: history.p99 }], { unit: '' })
}

// ---- channels ---------------------------------------------------------------------------------------------------

async function renderChannels(channels) {
  const panel = $('channels-panel')
  const rows = channels.map((c) => {
    const key = `${c.private ? 'private' : 'public'}/${c.topic}`
    const drops = Object.entries(c.drops).map(([k, v]) => `${k}: ${v}`).join(', ')
    return h('tr', { class: 'clickable', 'data-topic': c.topic, onclick: () => { selected = { side: c.private ? 'private' : 'public', name: c.topic }; refresh() } },
      h('td', {}, c.topic, ' ', c.private ? h('span', { class: 'badge private' }, 'private') : null),
      h('td', {}, badge(c.health)),
      h('td', { class: 'num' }, c.subscribers),
      h('td', { class: 'num' }, c.presence_members),
      h('td', { class: 'num', 'data-col': 'in' }, fmt(c.messages_in_per_second)),
      h('td', { class: 'num', 'data-col': 'out' }, fmt(c.messages_out_per_second)),
      h('td', { 'data-col': 'rate-chart' }, sparkline(history.topics.get(key) || [])),
      h('td', { class: 'num' }, c.latency_p50_ms ?? '—', ' / ', c.latency_p99_ms ?? '—'),
      h('td', { class: 'num', title: drops || 'no drops' }, c.drops_last_minute),
      h('td', {}, ago(c.last_activity)),
    )
  })
  const table = channels.length === 0
    ? h('p', { class: 'empty' }, 'No channels yet. Join one with a Realtime client (or start Herald with HERALD_DEMO=true).')
    : h('table', { id: 'channels-table' },
      h('thead', {}, h('tr', {}, ['Topic', 'Health', 'Subscribers', 'Presence', 'In/s', 'Out/s', 'Rate (60 s)', 'Latency p50 / p99 ms', 'Drops (1 min)', 'Last activity']
        .map((t, i) => h('th', { class: i >= 2 && i !== 6 && i < 9 ? 'num' : null }, t)))),
      h('tbody', {}, rows))
  const children = [table]
  if (selected) {
    try {
      const d = await api.get(`channels/${selected.side}/${encodeURIComponent(selected.name)}`)
      children.push(channelDetail(d))
    } catch (e) {
      if (e instanceof api.Unauthorized) throw e
      selected = null
    }
  }
  panel.replaceChildren(...children)
}

function channelDetail(d) {
  return h('div', { class: 'card detail', id: 'channel-detail' },
    h('h3', {}, `${d.private ? 'private:' : ''}${d.topic} `, badge(d.health), ' ', h('button', { class: 'link', style: 'color:#3b6fd8', onclick: () => { selected = null; refresh() } }, 'close')),
    d.health_reasons.length ? h('ul', {}, d.health_reasons.map((r) => h('li', {}, r))) : null,
    h('p', {}, `Messages in ${d.messages_in_total}, out ${d.messages_out_total}. Drops: `,
      Object.keys(d.drops).length ? Object.entries(d.drops).map(([k, v]) => `${k} ${v}`).join(', ') : 'none'),
    h('table', {},
      h('thead', {}, h('tr', {}, ['Connection', 'User', 'Role', 'Protocol', 'Presence key', 'Queue', 'postgres_changes filters'].map((t) => h('th', {}, t)))),
      h('tbody', {}, d.subscriptions.map((s) => h('tr', {},
        h('td', {}, s.connection), h('td', {}, s.user ?? '—'), h('td', {}, s.role ?? '—'), h('td', {}, s.protocol),
        h('td', {}, s.presence ? s.presence_key : '—'), h('td', { class: 'num' }, s.queue_depth),
        h('td', {}, s.postgres_changes.length ? h('pre', {}, s.postgres_changes.map((b) => JSON.stringify(b)).join('\n')) : '—'))))),
  )
}

// ---- connections ------------------------------------------------------------------------------------------------

let connectionFilter = ''
function renderConnections({ connections }) {
  const panel = $('connections-panel')
  const typing = document.activeElement && panel.contains(document.activeElement) && document.activeElement.name === 'reason'
  if (typing) return // do not re-render under an admin typing a reason
  if (!$('connection-filter')) {
    // the filter stays in place across refreshes so it keeps its focus and caret
    panel.replaceChildren(
      h('p', {}, h('input', { id: 'connection-filter', placeholder: 'filter by user or id', oninput: (e) => { connectionFilter = e.target.value; refresh() } })),
      h('div', { id: 'connections-list' }))
  }
  const shown = connections.filter((c) => !connectionFilter || (c.user || '').includes(connectionFilter) || c.id.includes(connectionFilter))
  $('connections-list').replaceChildren(
    h('table', { id: 'connections-table' },
      h('thead', {}, h('tr', {}, ['Connection', 'User', 'Role', 'Protocol', 'Channels', 'Queue', 'Connected', 'Disconnect'].map((t) => h('th', {}, t)))),
      h('tbody', {}, shown.map((c) => h('tr', { 'data-connection': c.id },
        h('td', {}, c.id), h('td', {}, c.user ?? '—'), h('td', {}, c.role ?? '—'), h('td', {}, c.protocol),
        h('td', {}, c.channels.join(', ') || '—'), h('td', { class: 'num' }, `${c.queue_depth} / ${c.queue_limit}`),
        h('td', {}, ago(c.connected_at)),
        h('td', {}, h('form', { class: 'disconnect', onsubmit: (e) => disconnect(e, c.id) },
          h('input', { name: 'reason', placeholder: 'reason shown to the client', size: 24 }), ' ',
          h('button', { class: 'danger', type: 'submit' }, 'Disconnect'))))))),
  )
}

async function disconnect(ev, id) {
  ev.preventDefault()
  const reason = ev.target.reason.value.trim() || 'disconnected from the admin console'
  try {
    await api.call('POST', `connections/${encodeURIComponent(id)}/disconnect`, { reason })
  } catch (e) {
    alert(e.message)
  }
  ev.target.reason.blur()
  refresh()
}

// ---- change capture ---------------------------------------------------------------------------------------------

function renderCdc(c) {
  const panel = $('cdc-panel')
  if (c.state === 'disabled') {
    panel.replaceChildren(h('p', { class: 'empty' }, c.message))
    return
  }
  const lag = Math.max(0, c.slot_lag_bytes)
  const MiB = 1024 * 1024
  panel.replaceChildren(h('div', { class: 'grid2' },
    h('div', { class: 'card', id: 'cdc-gauge' }, h('figcaption', {}, 'Replication slot lag'),
      gauge(lag, Math.max(256 * MiB, lag), { warn: 16 * MiB, bad: 64 * MiB, label: bytes(c.slot_lag_bytes) })),
    h('div', {},
      h('table', {}, h('tbody', {},
        [['State', badge(c.state === 'running' ? 'ok' : c.state === 'failed' || c.state === 'stopped' ? 'failing' : 'degraded'), ' ', c.state],
          ['Slot', c.slot], ['Publication', c.publication], ['Last LSN', c.last_lsn ?? '—'],
          ['Events / s', fmt(c.events_per_second)], ['Last error', c.errors.last_error ?? 'none'],
          ['Errors', Object.entries(c.errors).filter(([k]) => k !== 'last_error').map(([k, v]) => `${k}: ${v}`).join(', ')]]
          .map(([k, ...v]) => h('tr', {}, h('th', {}, k), h('td', {}, ...v))))),
      h('h3', {}, 'Published tables'),
      h('table', { id: 'cdc-tables' },
        h('thead', {}, h('tr', {}, ['Table', 'Replica identity', 'Primary key', 'RLS', 'Warning'].map((t) => h('th', {}, t)))),
        h('tbody', {}, c.tables.map((t) => h('tr', {},
          h('td', {}, t.table), h('td', {}, t.replica_identity ?? '?'), h('td', {}, t.primary_key ? 'yes' : 'no'),
          h('td', {}, t.row_security ? 'on' : 'off'), h('td', { class: 'warning' }, t.warning ?? '')))))),
  ))
}

// ---- limits -----------------------------------------------------------------------------------------------------

const LIMIT_HELP = {
  'herald.limits.max-concurrent-users': 'connections with a joined channel (0 = unlimited)',
  'herald.limits.max-joins-per-second': 'channel joins per second (0 = unlimited)',
  'herald.limits.max-channels-per-client': 'channels one connection may join',
  'herald.limits.max-events-per-second': 'broadcast events per second, sent and delivered (0 = unlimited)',
  'herald.limits.max-presence-events-per-second': 'presence events per second (0 = unlimited)',
  'herald.limits.client-presence-max-calls': 'presence calls per channel and window',
  'herald.limits.client-presence-window-ms': 'window of the presence-call limit (≥ 100)',
  'herald.limits.max-payload-kb': 'largest payload in KB (≥ 1)',
  'herald.outbound.queue-max-messages': 'outbound queue per connection (≥ 16; new connections)',
  'herald.limits.rest-requests-per-second': 'REST requests per second (0 = unlimited)',
  'herald.limits.rate-window-ms': 'window the rates are averaged over (≥ 1000)',
}
const LIMIT_MIN = { 'herald.limits.client-presence-window-ms': 100, 'herald.limits.max-payload-kb': 1, 'herald.outbound.queue-max-messages': 16, 'herald.limits.rate-window-ms': 1000 }

async function renderLimits() {
  const [l, a] = await Promise.all([api.get('limits'), api.get('limits/audit')])
  limitsLoaded = true
  const form = h('form', { id: 'limits-form', class: 'limits-form', novalidate: true, onsubmit: saveLimits })
  for (const [key, value] of Object.entries(l.limits)) {
    form.append(
      h('label', { for: `limit-${key}` }, h('code', {}, key), h('div', { class: 'hint' }, LIMIT_HELP[key] || '')),
      h('input', { id: `limit-${key}`, name: key, type: 'number', min: LIMIT_MIN[key] ?? 0, step: 1, value, 'data-original': value }),
      h('span', { class: 'field-error', 'data-error-for': key }),
    )
  }
  form.append(h('span'), h('button', { type: 'submit' }, 'Save limits'), h('span', { id: 'limits-status', role: 'status' }))
  $('limits-panel').replaceChildren(
    h('p', { class: 'hint', id: 'limits-usage' }),
    form,
    h('p', { class: 'hint' }, l.persistent ? 'Changes are stored in Herald’s schema and applied again on the next start.' : 'No database: changes apply until the next restart.'),
    h('h3', {}, 'Audit'),
    auditTable(a.audit),
  )
  renderLimitUsage(l)
}

function renderLimitUsage(l) {
  const u = $('limits-usage')
  if (u) u.textContent = `Profile ${l.profile}. Now: ${l.usage.users} users, ${fmt(l.usage.events_per_second)} events/s, ${fmt(l.usage.rest_requests_per_second)} REST requests/s.`
}

function auditTable(rows) {
  return h('table', { id: 'limits-audit' },
    h('thead', {}, h('tr', {}, ['When', 'Who', 'Setting', 'Old', 'New'].map((t) => h('th', {}, t)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, h('td', {}, new Date(r.at).toLocaleString()), h('td', {}, r.actor), h('td', {}, r.setting), h('td', {}, r.old), h('td', {}, r.new)))))
}

async function saveLimits(ev) {
  ev.preventDefault()
  const form = ev.target
  const changes = {}
  let valid = true
  for (const input of form.querySelectorAll('input')) {
    const err = form.querySelector(`[data-error-for="${CSS.escape(input.name)}"]`)
    err.textContent = ''
    input.classList.remove('invalid')
    if (input.value === input.dataset.original) continue
    const n = Number(input.value)
    const min = Number(input.min)
    if (input.value.trim() === '' || !Number.isInteger(n) || n < min || n > 2147483647) {
      err.textContent = `a whole number from ${min} to 2147483647`
      input.classList.add('invalid')
      valid = false
      continue
    }
    changes[input.name] = n
  }
  const status = $('limits-status')
  if (!valid) { status.textContent = 'Fix the marked fields.'; return }
  if (Object.keys(changes).length === 0) { status.textContent = 'Nothing changed.'; return }
  try {
    await api.call('PUT', 'limits', changes)
    await renderLimits()
    $('limits-status').textContent = `Saved ${Object.keys(changes).length} change(s).`
  } catch (e) {
    if (e instanceof api.Unauthorized) return showLogin('Your session ended; log in again.')
    const field = e.body && e.body.field
    if (field) {
      const input = form.querySelector(`input[name="${CSS.escape(field)}"]`)
      if (input) input.classList.add('invalid')
      const err = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`)
      if (err) err.textContent = e.message
    }
    status.textContent = `Not saved: ${e.message}`
  }
}

// ---- plugins ----------------------------------------------------------------------------------------------------

function renderPlugins({ plugins }) {
  $('plugins-panel').replaceChildren(plugins.length === 0
    ? h('p', { class: 'empty' }, 'No plugins. Put plugin jars in HERALD_PLUGINS_DIR.')
    : h('table', { id: 'plugins-table' },
      h('thead', {}, h('tr', {}, ['Plugin', 'Version', 'State', 'Tables', 'Channels', 'Settings'].map((t) => h('th', {}, t)))),
      h('tbody', {}, plugins.map((p) => h('tr', {},
        h('td', {}, h('b', {}, p.id), h('div', { class: 'hint' }, p.description || '')), h('td', {}, p.version),
        h('td', { class: 'plugin-state' }, ...pluginState(p)),
        h('td', {}, [...p.tables, ...(p.internal_tables || []).map((t) => `${t} (internal)`)].join(', ') || '—'),
        h('td', {}, p.channels.join(', ') || '—'),
        h('td', {}, Object.entries(p.settings).map(([k, v]) => `${k}=${v}`).join(', ') || '—'))))))
}

// What a plugin reports about itself; a plugin that reports nothing can only be said to have started.
const PLUGIN_HEALTH = { ok: ['ok', 'ok'], not_configured: ['degraded', 'not configured'], degraded: ['degraded', 'degraded'], failed: ['failing', 'failed'] }

function pluginState(p) {
  if (!p.enabled) return [badge('muted'), ' disabled']
  if (!p.state) return [badge('ok'), ' started']
  const [status, label] = PLUGIN_HEALTH[p.state.health] || ['failing', p.state.health]
  const figures = Object.entries(p.state.figures || {}).map(([k, v]) => `${k.replace(/_/g, ' ')}: ${v}`).join(' · ')
  return [badge(status), ` ${label}`, p.state.summary ? h('div', { class: 'hint' }, p.state.summary) : null,
    figures ? h('div', { class: 'hint plugin-figures' }, figures) : null]
}

// ---- boot -------------------------------------------------------------------------------------------------------

if (api.token()) start()
else showLogin()
