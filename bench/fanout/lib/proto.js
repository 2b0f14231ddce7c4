'use strict';
// Client side of every protocol the fan-out benchmark speaks: Herald (Supabase Realtime / Phoenix vsn 1 and 2,
// including binary kind-3 pushes and kind-4 deliveries), NATS over WebSocket (text protocol), nginx + nchan
// (WebSocket subscriber / publisher locations), Socket.IO 4 (socket.io-client, websocket transport only) and the
// trivial `ws` fan-out server of this folder (generator ceiling).
//
// Every benchmark message carries the same 100-byte JSON payload {"m":"<step>:<seq>:<send ms>","p":"xxx..."}; the
// send time is performance.timeOrigin + performance.now() (wall clock with µs resolution, shared by all processes of
// the machine). Subscribers find the record by scanning the received bytes for `"m":"` (no JSON.parse), so the
// receive cost is the same for every protocol (except Socket.IO, whose client library parses the packet itself).

const crypto = require('crypto');
const WebSocket = require('ws');

const PAYLOAD_BYTES = 100;
const MARK = Buffer.from('"m":"');

const now = () => performance.timeOrigin + performance.now();

function payload(step, seq) {
  const head = `{"m":"${step}:${seq}:${now().toFixed(3)}","p":"`;
  const pad = PAYLOAD_BYTES - head.length - 2;
  return head + 'x'.repeat(pad > 0 ? pad : 0) + '"}';
}

// Parses the record that starts at buf[i] (the marker). Returns the index after it, or -1 if incomplete/garbled.
function parseBuf(buf, i, out) {
  let j = i + 5;
  const n = buf.length;
  let k = 0, q = 0, t = 0, c;
  while (j < n && (c = buf[j]) >= 48 && c <= 57) { k = k * 10 + c - 48; j++; }
  if (j >= n || c !== 58) return -1;
  j++;
  while (j < n && (c = buf[j]) >= 48 && c <= 57) { q = q * 10 + c - 48; j++; }
  if (j >= n || c !== 58) return -1;
  j++;
  while (j < n && (c = buf[j]) >= 48 && c <= 57) { t = t * 10 + c - 48; j++; }
  if (j < n && c === 46) {
    j++;
    let f = 0.1;
    while (j < n && (c = buf[j]) >= 48 && c <= 57) { t += (c - 48) * f; f /= 10; j++; }
  }
  if (j >= n || c !== 34) return -1;
  out.k = k; out.q = q; out.t = t;
  return j + 1;
}

function parseStr(s, out) {
  const i = s.indexOf('"m":"');
  if (i < 0) return false;
  const e = s.indexOf('"', i + 5);
  if (e < 0) return false;
  const parts = s.slice(i + 5, e).split(':');
  if (parts.length !== 3) return false;
  out.k = +parts[0]; out.q = +parts[1]; out.t = +parts[2];
  return true;
}

function b64url(b) {
  return Buffer.from(b).toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

function jwt(secret, claims) {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const sig = b64url(crypto.createHmac('sha256', secret).update(`${head}.${body}`).digest());
  return `${head}.${body}.${sig}`;
}

function heraldToken(secret) {
  const t = Math.floor(Date.now() / 1000);
  return jwt(secret, { role: 'anon', iss: 'herald-bench', iat: t, exp: t + 6 * 3600 });
}

// ---- heartbeats: one process-wide 1 s tick, each connection beats every 25 s (spread over the ticks) ------------
const beats = new Set();
let beatTick = 0;
let beatTimer = null;
function addBeat(fn) {
  fn.slot = beats.size % 25;
  beats.add(fn);
  if (!beatTimer) {
    beatTimer = setInterval(() => {
      const slot = beatTick++ % 25;
      for (const f of beats) if (f.slot === slot) f();
    }, 1000);
    beatTimer.unref();
  }
}
function removeBeat(fn) { beats.delete(fn); }

const WS_OPTS = { perMessageDeflate: false, handshakeTimeout: 30000, maxPayload: 16 << 20 };

// GEN_CLIENT=raw (default): lib/rawws.js; GEN_CLIENT=ws: the `ws` package. Same wire behaviour (no extensions).
const { RawWs } = require('./rawws');
const CLIENT = (process.env.GEN_CLIENT || 'raw').toLowerCase();
function wsOpen(url, localAddress) {
  const opts = { ...WS_OPTS };
  if (localAddress) opts.localAddress = localAddress;
  return CLIENT === 'ws' ? new WebSocket(url, opts) : new RawWs(url, opts);
}

// Generic connection wrapper. onData(buf|string) receives every frame after the subscription is confirmed;
// onClose(code, reason) reports closes the benchmark did not ask for.
class Conn {
  constructor() { this.closing = false; this.closed = false; }
}

function timeoutPromise(p, ms, what) {
  let t;
  return Promise.race([
    p,
    new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`${what}: timeout after ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(t));
}

// ---- Herald (Phoenix) --------------------------------------------------------------------------------------------
function heraldUrl(target, vsn) {
  return `${target.wsUrl}/realtime/v1/websocket?apikey=${target.token}&vsn=${vsn === 1 ? '1.0.0' : '2.0.0'}`;
}

function heraldJoinMsg(vsn, topic, ref, token) {
  const payload = {
    config: { broadcast: { ack: false, self: false }, presence: { key: '', enabled: false }, postgres_changes: [], private: false },
    access_token: token,
  };
  if (vsn === 1) return JSON.stringify({ topic, event: 'phx_join', payload, ref, join_ref: ref });
  return JSON.stringify([ref, ref, topic, 'phx_join', payload]);
}

function heraldReply(vsn, data) {
  // -> {ref, status} for a phx_reply, else null
  let m;
  try { m = JSON.parse(data.toString()); } catch { return null; }
  if (vsn === 1) {
    if (!m || m.event !== 'phx_reply') return null;
    return { ref: m.ref, topic: m.topic, status: m.payload && m.payload.status, response: m.payload && m.payload.response };
  }
  if (!Array.isArray(m) || m[3] !== 'phx_reply') return null;
  return { ref: m[1], topic: m[2], status: m[4] && m[4].status, response: m[4] && m[4].response };
}

// Opens one Herald socket and joins `topics` (one after the other). Resolves with the Conn once every join is ok.
function heraldConnect(target, vsn, topics, localAddress, onData, onClose) {
  const c = new Conn();
  const ws = wsOpen(heraldUrl(target, vsn), localAddress);
  c.ws = ws;
  c.joinRefs = new Map();
  let ref = 0;
  let hbRef = 0;
  const p = new Promise((resolve, reject) => {
    let pending = null; // {ref, resolve}
    let joined = false;
    ws.on('open', async () => {
      try {
        for (const topic of topics) {
          const r = String(++ref);
          c.joinRefs.set(topic, r);
          await new Promise((res, rej) => {
            pending = { ref: r, res, rej };
            ws.send(heraldJoinMsg(vsn, topic, r, target.token));
          });
        }
        joined = true;
        c.beat = () => {
          if (ws.readyState !== 1) return;
          const r = `hb${++hbRef}`;
          ws.send(vsn === 1
            ? `{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"${r}"}`
            : `[null,"${r}","phoenix","heartbeat",{}]`);
        };
        addBeat(c.beat);
        resolve(c);
      } catch (e) { reject(e); }
    });
    ws.on('message', (data, isBinary) => {
      if (joined) { onData(data); return; }
      if (isBinary || !pending) return;
      const rep = heraldReply(vsn, data);
      if (!rep || rep.ref !== pending.ref) return;
      const p0 = pending;
      pending = null;
      if (rep.status === 'ok') p0.res();
      else p0.rej(new Error(`join refused: ${JSON.stringify(rep.response)}`));
    });
    ws.on('error', (e) => { if (!joined) reject(e); });
    ws.on('close', (code, reason) => {
      if (c.beat) removeBeat(c.beat);
      c.closed = true;
      if (!joined) reject(new Error(`closed before join: ${code} ${reason}`));
      else if (!c.closing && onClose) onClose(code, String(reason));
    });
  });
  c.close = () => { c.closing = true; if (c.beat) removeBeat(c.beat); ws.close(); };
  c.kill = () => { c.closing = true; ws.terminate(); };
  return p;
}

// ---- NATS over WebSocket -----------------------------------------------------------------------------------------
const NATS_CONNECT = 'CONNECT {"verbose":false,"pedantic":false,"protocol":1,"lang":"node-bench","version":"0.0.0","headers":false,"no_responders":false}\r\n';
const PING = Buffer.from('PING\r\n');

function natsConnect(target, subjects, localAddress, onData, onClose) {
  const c = new Conn();
  const ws = wsOpen(target.wsUrl, localAddress);
  c.ws = ws;
  const p = new Promise((resolve, reject) => {
    let state = 0; // 0 waiting INFO, 1 waiting PONG, 2 subscribed
    ws.on('message', (data) => {
      if (state === 2) {
        if (data.indexOf(PING) >= 0) ws.send(Buffer.from('PONG\r\n'));
        onData(data);
        return;
      }
      const s = data.toString();
      if (state === 0 && s.startsWith('INFO')) {
        state = 1;
        let out = NATS_CONNECT;
        subjects.forEach((sub, i) => { out += `SUB ${sub} ${i + 1}\r\n`; });
        ws.send(Buffer.from(out + 'PING\r\n'));
        return;
      }
      if (state === 1) {
        if (s.includes('-ERR')) { reject(new Error(`nats: ${s.trim()}`)); ws.terminate(); return; }
        if (s.includes('PING')) ws.send(Buffer.from('PONG\r\n'));
        if (s.includes('PONG')) { state = 2; resolve(c); }
      }
    });
    ws.on('error', (e) => { if (state !== 2) reject(e); });
    ws.on('close', (code, reason) => {
      c.closed = true;
      if (state !== 2) reject(new Error(`nats closed before subscribe: ${code} ${reason}`));
      else if (!c.closing && onClose) onClose(code, String(reason));
    });
  });
  c.close = () => { c.closing = true; ws.close(); };
  c.kill = () => { c.closing = true; ws.terminate(); };
  return p;
}

// ---- nchan (nginx) -----------------------------------------------------------------------------------------------
function plainConnect(url, localAddress, onData, onClose, waitFirstFrame) {
  const c = new Conn();
  const ws = wsOpen(url, localAddress);
  c.ws = ws;
  const p = new Promise((resolve, reject) => {
    let ready = false;
    ws.on('open', () => { if (!waitFirstFrame) { ready = true; resolve(c); } });
    ws.on('message', (data) => {
      if (ready) { onData(data); return; }
      ready = true; // the ws baseline server confirms the subscription with one frame
      resolve(c);
    });
    ws.on('error', (e) => { if (!ready) reject(e); });
    ws.on('close', (code, reason) => {
      c.closed = true;
      if (!ready) reject(new Error(`closed before subscribe: ${code} ${reason}`));
      else if (!c.closing && onClose) onClose(code, String(reason));
    });
  });
  c.close = () => { c.closing = true; ws.close(); };
  c.kill = () => { c.closing = true; ws.terminate(); };
  return p;
}

// ---- Socket.IO ---------------------------------------------------------------------------------------------------
let ioClient = null;
function sioConnect(target, rooms, localAddress, onData, onClose) {
  if (!ioClient) ioClient = require('socket.io-client').io;
  const c = new Conn();
  const opts = { transports: ['websocket'], forceNew: true, reconnection: false, timeout: 30000, perMessageDeflate: false };
  if (localAddress) opts.localAddress = localAddress;
  const s = ioClient(target.httpUrl, opts);
  c.sock = s;
  const p = new Promise((resolve, reject) => {
    let ready = false;
    s.on('connect', async () => {
      try {
        for (const r of rooms) await new Promise((res) => s.emit('join', r, res));
        ready = true;
        resolve(c);
      } catch (e) { reject(e); }
    });
    s.on('m', (str) => { if (ready) onData(str); });
    s.on('connect_error', (e) => { if (!ready) reject(e); });
    s.on('disconnect', (reason) => {
      c.closed = true;
      if (!ready) reject(new Error(`socket.io disconnect before join: ${reason}`));
      else if (!c.closing && onClose) onClose(0, reason);
    });
  });
  c.close = () => { c.closing = true; s.disconnect(); };
  c.kill = c.close;
  return p;
}

// ---- subscriber factory ------------------------------------------------------------------------------------------
// proto: herald2 | herald1 | nats | nchan | sio | ws. channel: the channel's name (room<N>).
function subscribe(proto, target, channel, localAddress, onData, onClose) {
  switch (proto) {
    case 'herald2': return heraldConnect(target, 2, [`realtime:${channel}`], localAddress, onData, onClose);
    case 'herald1': return heraldConnect(target, 1, [`realtime:${channel}`], localAddress, onData, onClose);
    case 'nats': return natsConnect(target, [channel], localAddress, onData, onClose);
    case 'nchan': return plainConnect(`${target.wsUrl}/sub/${channel}`, localAddress, onData, onClose, false);
    case 'sio': return sioConnect(target, [channel], localAddress, onData, onClose);
    case 'ws': return plainConnect(`${target.wsUrl}/?ch=${channel}`, localAddress, onData, onClose, true);
    default: throw new Error(`unknown protocol ${proto}`);
  }
}

// ---- publishers: open(channels) then send(channelIndex, payloadString) -------------------------------------------
async function publisher(proto, target, channels, onClose) {
  const closeCb = (code, reason) => onClose && onClose(code, reason);
  const ignore = () => {};
  switch (proto) {
    case 'herald2': {
      const c = await heraldConnect(target, 2, channels.map((ch) => `realtime:${ch}`), null, ignore, closeCb);
      const event = Buffer.from('e');
      const heads = channels.map((ch) => {
        const topic = Buffer.from(`realtime:${ch}`);
        const jr = Buffer.from(c.joinRefs.get(`realtime:${ch}`));
        // kind 3: kind, join_ref_len, ref_len, topic_len, event_len, metadata_len, encoding(1 = JSON)
        return Buffer.concat([Buffer.from([3, jr.length, 0, topic.length, event.length, 0, 1]), jr, topic, event]);
      });
      return {
        send(i, p) {
          const h = heads[i];
          const b = Buffer.allocUnsafe(h.length + p.length);
          h.copy(b, 0);
          b.write(p, h.length, 'latin1');
          c.ws.send(b, { binary: true });
        },
        buffered: () => c.ws.bufferedAmount,
        close: () => c.close(),
      };
    }
    case 'herald1': {
      const c = await heraldConnect(target, 1, channels.map((ch) => `realtime:${ch}`), null, ignore, closeCb);
      let ref = 1000;
      const heads = channels.map((ch) => `{"topic":"realtime:${ch}","event":"broadcast","payload":{"type":"broadcast","event":"e","payload":`);
      const tails = channels.map((ch) => `},"join_ref":"${c.joinRefs.get(`realtime:${ch}`)}","ref":"`);
      return {
        send(i, p) { c.ws.send(heads[i] + p + tails[i] + (++ref) + '"}'); },
        buffered: () => c.ws.bufferedAmount,
        close: () => c.close(),
      };
    }
    case 'nats': {
      const c = await natsConnect(target, [], null, ignore, closeCb);
      const heads = channels.map((ch) => `PUB ${ch} ${PAYLOAD_BYTES}\r\n`);
      return {
        send(i, p) { c.ws.send(Buffer.from(heads[i] + p + '\r\n', 'latin1'), { binary: true }); },
        buffered: () => c.ws.bufferedAmount,
        close: () => c.close(),
      };
    }
    case 'nchan': {
      const cs = [];
      for (const ch of channels) cs.push(await plainConnect(`${target.wsUrl}/pub/${ch}`, null, ignore, closeCb, false));
      return {
        send(i, p) { cs[i].ws.send(p); },
        buffered: () => cs.reduce((a, c) => a + c.ws.bufferedAmount, 0),
        close: () => cs.forEach((c) => c.close()),
      };
    }
    case 'sio': {
      const c = await sioConnect(target, [], null, ignore, closeCb);
      return {
        send(i, p) { c.sock.emit('pub', channels[i], p); },
        buffered: () => 0,
        close: () => c.close(),
      };
    }
    case 'ws': {
      const c = await plainConnect(`${target.wsUrl}/?pub=1`, null, ignore, closeCb, false);
      const heads = channels.map((ch) => `${ch}\n`);
      return {
        send(i, p) { c.ws.send(heads[i] + p); },
        buffered: () => c.ws.bufferedAmount,
        close: () => c.close(),
      };
    }
    default: throw new Error(`unknown protocol ${proto}`);
  }
}

module.exports = {
  CLIENT, PAYLOAD_BYTES, MARK, now, payload, parseBuf, parseStr, jwt, heraldToken, subscribe, publisher, timeoutPromise,
};
