'use strict';
// Subscriber process: holds many raw Phoenix vsn 2.0.0 WebSocket connections, each joined to one channel with one
// postgres_changes INSERT binding. Driven by the coordinator over IPC. Frames are scanned as bytes (no JSON.parse on
// the hot path) to keep the generator cheap.
// A spec may carry its own token (spec.token: used as apikey and access_token instead of the process-wide one) and
// an owner (spec.owner): then every delivered row's user_id is compared with it, and a row of another user is
// counted as a leak (not as a delivery).
const WebSocket = require('ws');
const { Hist, nowUs } = require('./lib/hist');

const MARK_PC = Buffer.from('"postgres_changes",{');
const MARK_SENT = Buffer.from('"sent_at_ns":');
const MARK_RECORD = Buffer.from('"record":{');
const MARK_ID = Buffer.from('"id":');
const MARK_USER = Buffer.from('"user_id":"');
const BIN_MS = 100; // timeline resolution
const MAX_BINS = 1200;

let url = null;
let token = null;
const conns = new Map(); // idx -> conn
let phase = null;
let heartbeatTimer = null;
let hbRef = 1;
const closeCodes = {};
const sysErrors = [];

function newPhase(name, baseId) {
  return {
    name,
    baseId,
    startUs: nowUs(),
    hist: new Hist(),
    delivered: 0,
    dup: 0,
    stale: 0,
    leaks: 0,
    leakSamples: [],
    noOwner: 0,
    firstUs: null,
    lastUs: null,
    bins: new Uint32Array(MAX_BINS),
  };
}

function readInt(buf, pos) {
  // parses an unsigned decimal integer starting at pos (may be quoted); returns Number or NaN
  let i = pos;
  if (buf[i] === 0x22) i++;
  let v = 0;
  let any = false;
  for (; i < buf.length; i++) {
    const c = buf[i];
    if (c < 0x30 || c > 0x39) break;
    v = v * 10 + (c - 0x30);
    any = true;
  }
  return any ? v : NaN;
}

function onChange(conn, buf, tUs) {
  const p = phase;
  if (!p) return;
  const s = buf.indexOf(MARK_SENT);
  const r = buf.indexOf(MARK_RECORD);
  if (s < 0 || r < 0) {
    p.malformed = (p.malformed || 0) + 1;
    return;
  }
  const idPos = buf.indexOf(MARK_ID, r);
  const id = idPos < 0 ? NaN : readInt(buf, idPos + MARK_ID.length);
  const sentNs = readInt(buf, s + MARK_SENT.length);
  if (conn.spec.owner !== undefined) {
    // authorisation check: the row's user_id must be this connection's sub
    const u = buf.indexOf(MARK_USER, r);
    if (u < 0) {
      p.noOwner++;
      return;
    }
    const from = u + MARK_USER.length;
    const to = buf.indexOf(0x22, from);
    if (to < 0 || to - from !== conn.ownerBuf.length || buf.compare(conn.ownerBuf, 0, conn.ownerBuf.length, from, to) !== 0) {
      p.leaks++;
      if (p.leakSamples.length < 5) p.leakSamples.push({ conn: conn.idx, sub: conn.spec.owner, row_id: id, row_user: buf.toString('utf8', from, to < 0 ? from + 40 : to) });
      return;
    }
  }
  if (!(id > p.baseId)) {
    p.stale++;
    return;
  }
  // duplicate detection: per-connection bitset over ids of this phase
  const off = id - p.baseId;
  if (conn.phase !== p) {
    conn.phase = p;
    conn.bits = new Uint8Array(4096);
    conn.count = 0;
  }
  const byte = off >> 3;
  if (byte >= conn.bits.length) {
    let n = conn.bits.length;
    while (n <= byte) n *= 2;
    const nb = new Uint8Array(n);
    nb.set(conn.bits);
    conn.bits = nb;
  }
  const mask = 1 << (off & 7);
  if (conn.bits[byte] & mask) {
    p.dup++;
    return;
  }
  conn.bits[byte] |= mask;
  conn.count++;
  p.delivered++;
  if (p.firstUs === null) p.firstUs = tUs;
  p.lastUs = tUs;
  const bin = Math.floor((tUs - p.startUs) / 1000 / BIN_MS);
  if (bin >= 0 && bin < MAX_BINS) p.bins[bin]++;
  if (sentNs === sentNs) p.hist.add(tUs - sentNs / 1000);
}

function connectOne(spec, timeoutMs) {
  return new Promise((resolve) => {
    const t0 = nowUs();
    const conn = { idx: spec.idx, spec, ws: null, joined: false, subscribed: false, phase: null, bits: null, count: 0 };
    if (spec.owner !== undefined) conn.ownerBuf = Buffer.from(spec.owner);
    const tok = spec.token || token;
    let done = false;
    const finish = (ok, why) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (ok) conns.set(spec.idx, conn);
      else {
        try { conn.ws.terminate(); } catch (_) { /* ignore */ }
      }
      resolve({ idx: spec.idx, ok, why, ms: (nowUs() - t0) / 1000 });
    };
    const timer = setTimeout(() => finish(false, 'timeout'), timeoutMs);
    const wsUrl = spec.token ? url.replace(/([?&]apikey=)[^&]*/, `$1${spec.token}`) : url;
    const ws = new WebSocket(wsUrl, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
    conn.ws = ws;
    const joinRef = String(spec.idx + 1);
    ws.on('open', () => {
      const entry = { event: 'INSERT', schema: 'public', table: spec.table };
      if (spec.filter) entry.filter = spec.filter;
      ws.send(JSON.stringify([joinRef, joinRef, spec.topic, 'phx_join', { config: { broadcast: { ack: false, self: false }, presence: { key: '', enabled: false }, postgres_changes: [entry], private: false }, access_token: tok }]));
    });
    ws.on('message', (data, isBinary) => {
      const tUs = nowUs();
      if (isBinary) return;
      const m = data.indexOf(MARK_PC);
      if (m > 0 && m < 120) {
        onChange(conn, data, tUs);
        return;
      }
      let msg;
      try { msg = JSON.parse(data.toString('utf8')); } catch (_) { return; }
      if (!Array.isArray(msg)) return;
      const [, , , event, payload] = msg;
      if (event === 'phx_reply' && msg[2] === spec.topic) {
        if (payload && payload.status === 'ok') conn.joined = true;
        else finish(false, 'join error: ' + JSON.stringify(payload && payload.response));
      } else if (event === 'system' && payload && payload.extension === 'postgres_changes') {
        if (payload.status === 'ok') {
          conn.subscribed = true;
          finish(true);
        } else {
          if (sysErrors.length < 20) sysErrors.push(payload.message);
          finish(false, 'system error: ' + payload.message);
        }
      } else if (event === 'phx_error' || event === 'phx_close') {
        if (sysErrors.length < 20) sysErrors.push(`${event} on ${msg[2]}`);
      }
    });
    ws.on('close', (code, reason) => {
      const k = `${code}${reason && reason.length ? ' ' + reason.toString() : ''}`;
      if (!conn.closing) closeCodes[k] = (closeCodes[k] || 0) + 1;
      conns.delete(spec.idx);
      finish(false, 'closed ' + k);
    });
    ws.on('error', (e) => finish(false, 'error ' + e.message));
  });
}

async function connectAll(specs, concurrency, timeoutMs) {
  const results = [];
  let next = 0;
  const runOne = async () => {
    while (next < specs.length) {
      const spec = specs[next++];
      results.push(await connectOne(spec, timeoutMs));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, specs.length) }, runOne));
  return results;
}

function startHeartbeats() {
  if (heartbeatTimer) return;
  // every connection heartbeats every ~20 s; spread over 20 ticks of 1 s
  let tick = 0;
  heartbeatTimer = setInterval(() => {
    tick = (tick + 1) % 20;
    for (const c of conns.values()) {
      if (c.idx % 20 !== tick || c.ws.readyState !== WebSocket.OPEN) continue;
      c.ws.send(`[null,"hb${hbRef++}","phoenix","heartbeat",{}]`);
    }
  }, 1000);
  heartbeatTimer.unref();
}

function phaseReport(p) {
  if (!p) return null;
  let last = MAX_BINS - 1;
  while (last >= 0 && p.bins[last] === 0) last--;
  return {
    name: p.name,
    startUs: p.startUs,
    delivered: p.delivered,
    dup: p.dup,
    stale: p.stale,
    leaks: p.leaks,
    leakSamples: p.leakSamples,
    noOwner: p.noOwner,
    malformed: p.malformed || 0,
    firstUs: p.firstUs,
    lastUs: p.lastUs,
    binMs: BIN_MS,
    bins: Array.from(p.bins.subarray(0, last + 1)),
    hist: p.hist.toJSON(),
  };
}

process.on('message', async (m) => {
  try {
    switch (m.cmd) {
      case 'init':
        url = m.url;
        token = m.token;
        process.send({ id: m.id, ok: true, pid: process.pid });
        break;
      case 'connect': {
        const res = await connectAll(m.specs, m.concurrency || 25, m.timeoutMs || 20000);
        startHeartbeats();
        const ok = res.filter((r) => r.ok);
        const fails = res.filter((r) => !r.ok).slice(0, 5).map((r) => r.why);
        process.send({ id: m.id, ok: true, connected: ok.length, failed: res.length - ok.length, fails, joinMs: ok.map((r) => r.ms) });
        break;
      }
      case 'phase':
        phase = newPhase(m.name, m.baseId);
        process.send({ id: m.id, ok: true, open: [...conns.keys()] });
        break;
      case 'count':
        // seen: every change frame of this phase, also of earlier phases' rows (stale) and leaks — tells a backlog
        // still draining from a stall
        process.send({ id: m.id, ok: true, delivered: phase ? phase.delivered : 0, seen: phase ? phase.delivered + phase.stale + phase.leaks + phase.dup : 0, lastUs: phase ? phase.lastUs : null, open: conns.size });
        break;
      case 'report': {
        const perConn = [];
        if (phase) for (const c of conns.values()) perConn.push([c.idx, c.phase === phase ? c.count : 0]);
        process.send({ id: m.id, ok: true, phase: phaseReport(phase), perConn, open: conns.size, closeCodes, sysErrors, cpu: process.cpuUsage(), rss: process.memoryUsage().rss });
        break;
      }
      case 'close': {
        // closes every connection whose index is >= keepBelow (or all)
        const victims = [...conns.values()].filter((c) => m.keepBelow == null || c.idx >= m.keepBelow);
        await Promise.all(victims.map((c) => new Promise((res) => {
          c.closing = true;
          conns.delete(c.idx);
          if (c.ws.readyState === WebSocket.CLOSED) return res();
          const t = setTimeout(() => { c.ws.terminate(); res(); }, 2000);
          c.ws.once('close', () => { clearTimeout(t); res(); });
          c.ws.close(1000);
        })));
        process.send({ id: m.id, ok: true, open: conns.size });
        break;
      }
      case 'exit':
        for (const c of conns.values()) { c.closing = true; c.ws.terminate(); }
        process.send({ id: m.id, ok: true }, () => process.exit(0));
        break;
      default:
        process.send({ id: m.id, ok: false, error: 'unknown cmd ' + m.cmd });
    }
  } catch (e) {
    process.send({ id: m.id, ok: false, error: String(e && e.stack || e) });
  }
});
process.on('disconnect', () => process.exit(0));
