// Small hand-drawn SVG charts: a multi-series line chart, a sparkline and a semicircle gauge. No library needed.
const NS = 'http://www.w3.org/2000/svg'
const COLORS = ['#3b6fd8', '#1f9d55', '#d69e2e', '#e3342f']

function el(name, attrs = {}, parent) {
  const e = document.createElementNS(NS, name)
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v)
  if (parent) parent.appendChild(e)
  return e
}

function niceMax(v) {
  if (v <= 0) return 1
  const p = Math.pow(10, Math.floor(Math.log10(v)))
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p
  return 10 * p
}

/** Line chart of `series` ([{name, values}]) over the last `points` samples; `data-last` carries the newest values. */
export function lineChart(container, series, { width = 520, height = 150, points = 60, unit = '' } = {}) {
  const pad = { l: 40, r: 8, t: 8, b: 18 }
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)))
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, width: '100%', height, role: 'img' })
  const w = width - pad.l - pad.r
  const h = height - pad.t - pad.b
  for (const f of [0, 0.5, 1]) {
    const y = pad.t + h - f * h
    el('line', { x1: pad.l, x2: width - pad.r, y1: y, y2: y, stroke: '#e3e7ec' }, svg)
    el('text', { x: pad.l - 4, y: y + 4, 'text-anchor': 'end' }, svg).textContent = fmt(max * f) + unit
  }
  series.forEach((s, i) => {
    const vals = s.values.slice(-points)
    const pts = vals.map((v, j) => `${(pad.l + (w * (j + points - vals.length)) / (points - 1)).toFixed(1)},${(pad.t + h - (Math.max(0, v) / max) * h).toFixed(1)}`)
    if (pts.length > 1) el('polyline', { points: pts.join(' '), fill: 'none', stroke: COLORS[i % COLORS.length], 'stroke-width': 2 }, svg)
    el('text', { x: pad.l + 6 + i * 90, y: height - 4, style: `fill:${COLORS[i % COLORS.length]}` }, svg).textContent = `● ${s.name}`
  })
  svg.dataset.last = series.map((s) => s.values.at(-1) ?? 0).join(',')
  container.replaceChildren(svg)
}

/** A 120×24 sparkline of `values`; `data-last` and `data-max` carry the newest and largest value. */
export function sparkline(values, { width = 120, height = 24 } = {}) {
  const max = niceMax(Math.max(0, ...values))
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'spark' })
  const n = Math.max(2, values.length)
  const pts = values.map((v, i) => `${((width * i) / (n - 1)).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`)
  if (pts.length > 1) el('polyline', { points: pts.join(' '), fill: 'none', stroke: COLORS[0], 'stroke-width': 1.5 }, svg)
  svg.dataset.last = String(values.at(-1) ?? 0)
  svg.dataset.max = String(Math.max(0, ...values))
  return svg
}

/** A semicircle gauge of `value` against `max`, green below `warn`, amber below `bad`, red above. */
export function gauge(value, max, { warn, bad, label }) {
  const svg = el('svg', { viewBox: '0 0 200 120', width: 220, height: 132, role: 'img' })
  const f = Math.max(0, Math.min(1, value / max))
  const arc = (from, to, color, width) => {
    const a0 = Math.PI * (1 - from)
    const a1 = Math.PI * (1 - to)
    const p = (a) => `${100 + 80 * Math.cos(a)},${100 - 80 * Math.sin(a)}`
    el('path', { d: `M ${p(a0)} A 80 80 0 0 1 ${p(a1)}`, fill: 'none', stroke: color, 'stroke-width': width }, svg)
  }
  arc(0, 1, '#e3e7ec', 16)
  const color = value >= bad ? '#e3342f' : value >= warn ? '#d69e2e' : '#1f9d55'
  if (f > 0) arc(0, Math.max(f, 0.005), color, 16)
  el('text', { x: 100, y: 92, 'text-anchor': 'middle', style: 'font-size:20px;fill:#1c2430' }, svg).textContent = label
  svg.dataset.value = String(value)
  return svg
}

export function fmt(v) {
  if (v >= 1e9) return (v / 1e9).toFixed(1) + 'G'
  if (v >= 1e6) return (v / 1e6).toFixed(1) + 'M'
  if (v >= 1e3) return (v / 1e3).toFixed(1) + 'k'
  return Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 1)
}

export function bytes(v) {
  if (v < 0) return 'unknown'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++ }
  return `${i ? v.toFixed(1) : v} ${units[i]}`
}
