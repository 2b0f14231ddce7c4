'use strict';
// Load-generator process, driven by bench.js over IPC (child_process.fork). Role "sub" holds subscriber connections
// and counts/latency-stamps every delivery per step; role "pub" holds one publisher and sends on a schedule.
// Requests: {id, cmd, ...}; replies: {id, ok, result | error}.

const { Hist } = require('./lib/hist');
const P = require('./lib/proto');

const role = process.argv[2];
let conns = [];
const stats = new Map(); // step -> {n, first, last, hist, dup}
const closes = { n: 0, codes: {} };
let pub = null;
let pubSeq = 0;
const rec = { k: 0, q: 0, t: 0 };

function record(conn, tRecv) {
  let s = stats.get(rec.k);
  if (!s) { s = { n: 0, first: tRecv, last: tRecv, hist: new Hist(), dup: 0 }; stats.set(rec.k, s); }
  s.n++;
  s.last = tRecv;
  s.hist.add((tRecv - rec.t) * 1000);
  if (rec.q <= conn.lastQ) s.dup++;
  else conn.lastQ = rec.q;
}

function makeHandler(conn, stream) {
  if (conn.proto === 'sio') {
    return (str) => {
      const tRecv = P.now();
      if (typeof str === 'string' && P.parseStr(str, rec)) record(conn, tRecv);
    };
  }
  return (data) => {
    const tRecv = P.now();
    let buf = data;
    if (conn.carry) { buf = Buffer.concat([conn.carry, data]); conn.carry = null; }
    let i = buf.indexOf(P.MARK);
    let lastEnd = 0;
    while (i >= 0) {
      const e = P.parseBuf(buf, i, rec);
      if (e < 0) { // incomplete: for a byte stream (NATS) the rest comes with the next frame
        if (stream) conn.carry = Buffer.from(buf.subarray(i));
        return;
      }
      record(conn, tRecv);
      lastEnd = e;
      i = buf.indexOf(P.MARK, e);
    }
    if (stream) {
      const from = Math.max(lastEnd, buf.length - (P.MARK.length - 1));
      if (from < buf.length) conn.carry = Buffer.from(buf.subarray(from));
    }
  };
}

function onClose(code, reason) {
  closes.n++;
  const k = `${code}${reason ? ' ' + reason : ''}`.slice(0, 80);
  closes.codes[k] = (closes.codes[k] || 0) + 1;
}

async function open({ proto, target, channels, localAddress, concurrency }) {
  const joinHist = new Hist();
  const errors = {};
  let failed = 0;
  let next = 0;
  const t0 = P.now();
  const opened = [];
  async function lane() {
    while (next < channels.length) {
      const ch = channels[next++];
      const conn0 = { proto, lastQ: -1, carry: null };
      const handler = makeHandler(conn0, proto === 'nats');
      const ts = P.now();
      try {
        const c = await P.timeoutPromise(P.subscribe(proto, target, ch, localAddress, handler, onClose), 60000, 'subscribe');
        joinHist.add((P.now() - ts) * 1000);
        opened.push(c);
      } catch (e) {
        failed++;
        const m = String(e && e.message || e).slice(0, 120);
        errors[m] = (errors[m] || 0) + 1;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, concurrency || 50) }, lane));
  conns = conns.concat(opened);
  return { opened: opened.length, failed, errors, elapsedMs: P.now() - t0, join: joinHist.toJSON(), total: conns.length };
}

async function closeAll() {
  const cs = conns;
  conns = [];
  cs.forEach((c) => { try { c.close(); } catch { /* already gone */ } });
  const t0 = Date.now();
  while (cs.some((c) => !c.closed) && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 100));
  cs.forEach((c) => { if (!c.closed) try { c.kill(); } catch { /* ignore */ } });
  return { closed: cs.length };
}

function run({ step, msgRate, durationMs }) {
  return new Promise((resolve) => {
    const nch = pub.nch;
    const sent = new Array(nch).fill(0);
    const total = Math.max(1, Math.round((msgRate * durationMs) / 1000));
    const period = 1000 / msgRate;
    const t0 = P.now();
    let i = 0;
    let maxLag = 0;
    let maxBuffered = 0;
    const tick = () => {
      const el = P.now() - t0;
      const due = Math.min(total, Math.floor(el / period) + 1);
      if (due > i) maxLag = Math.max(maxLag, el - i * period);
      while (i < due) {
        const ch = i % nch;
        pub.send(ch, P.payload(step, pubSeq++));
        sent[ch]++;
        i++;
      }
      const b = pub.buffered();
      if (b > maxBuffered) maxBuffered = b;
      if (i >= total) {
        const el2 = P.now() - t0;
        resolve({ sent, total: i, elapsedMs: el2, achievedRate: (i * 1000) / Math.max(el2, 1), maxLagMs: maxLag, maxBuffered });
        return;
      }
      // next message's due time; timers fire at 1 ms granularity, so at > 1,000 msgs/s several go out per tick
      const wait = i * period - (P.now() - t0);
      setTimeout(tick, Math.max(1, Math.ceil(wait)));
    };
    tick();
  });
}

const handlers = {
  async open(m) {
    if (role === 'pub') {
      pub = await P.timeoutPromise(P.publisher(m.proto, m.target, m.channels, onClose), 60000, 'publisher');
      pub.nch = m.channels.length;
      return { ok: true };
    }
    return open(m);
  },
  run,
  counts(m) {
    const s = stats.get(m.step);
    return { n: s ? s.n : 0, conns: conns.length, open: conns.filter((c) => !c.closed).length, closes };
  },
  stats(m) {
    const s = stats.get(m.step);
    stats.delete(m.step);
    return s ? { n: s.n, first: s.first, last: s.last, dup: s.dup, hist: s.hist.toJSON() } : { n: 0, hist: null };
  },
  clear() { stats.clear(); closes.n = 0; closes.codes = {}; return {}; },
  close: async () => {
    if (pub) { try { pub.close(); } catch { /* ignore */ } pub = null; }
    return closeAll();
  },
  mem() { return { rss: process.memoryUsage().rss, conns: conns.length }; },
};

process.on('message', async (m) => {
  try {
    const result = await handlers[m.cmd](m);
    process.send({ id: m.id, ok: true, result });
  } catch (e) {
    process.send({ id: m.id, ok: false, error: String(e && e.stack || e) });
  }
});
process.on('disconnect', () => process.exit(0));
