'use strict';
// A minimal WebSocket client on a plain net.Socket (RFC 6455: handshake, unmasked server frames, masked client
// frames, fragmentation, ping/pong, close) with the small part of the `ws` WebSocket API the benchmark uses.
//
// Why: a fan-out benchmark on two cores has one core for 1,000+ subscribers, and every delivery is one read. `ws`
// parses frames through a Writable stream (several calls and allocations per frame); this client hands each frame to
// the listener as a subarray of the chunk read from the socket, which roughly halves the generator's user-space time
// per delivery and so raises the ceiling the generator puts on every server. GEN_CLIENT=ws switches back to `ws`.

const net = require('net');
const crypto = require('crypto');
const { EventEmitter } = require('events');

const CONNECTING = 0, OPEN = 1, CLOSING = 2, CLOSED = 3;

class RawWs extends EventEmitter {
  constructor(url, opts = {}) {
    super();
    const u = new URL(url);
    this.readyState = CONNECTING;
    this.rest = null;
    this.frags = null;
    this.closeCode = 1006;
    this.closeReason = '';
    const key = crypto.randomBytes(16).toString('base64');
    const s = net.connect({ host: u.hostname, port: +u.port || 80, localAddress: opts.localAddress });
    this.socket = s;
    s.setNoDelay(true);
    let head = null;
    const timer = setTimeout(() => this._fail(new Error('handshake timeout')), opts.handshakeTimeout || 30000);
    s.on('connect', () => {
      s.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
        + `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    const onHandshake = (chunk) => {
      head = head ? Buffer.concat([head, chunk]) : chunk;
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) { if (head.length > 65536) this._fail(new Error('handshake response too large')); return; }
      clearTimeout(timer);
      const status = head.toString('latin1', 0, end);
      if (!/^HTTP\/1\.1 101 /.test(status)) {
        this._fail(new Error(`Unexpected server response: ${status.split('\r\n')[0].slice(9, 12)}`));
        return;
      }
      const accept = crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
      if (!status.toLowerCase().includes(`sec-websocket-accept: ${accept.toLowerCase()}`)) {
        this._fail(new Error('bad Sec-WebSocket-Accept'));
        return;
      }
      s.removeListener('data', onHandshake);
      s.on('data', (c) => this._data(c));
      this.readyState = OPEN;
      this.emit('open');
      if (head.length > end + 4) this._data(head.subarray(end + 4));
      head = null;
    };
    s.on('data', onHandshake);
    s.on('error', (e) => {
      clearTimeout(timer);
      if (this.readyState === CONNECTING) this._fail(e);
      else this.emit('error', e);
    });
    s.on('close', () => {
      clearTimeout(timer);
      const was = this.readyState;
      this.readyState = CLOSED;
      if (was !== CONNECTING || this.failed) this.emit('close', this.closeCode, Buffer.from(this.closeReason));
    });
  }

  _fail(e) {
    if (this.failed) return;
    this.failed = true;
    this.emit('error', e);
    this.socket.destroy();
  }

  get bufferedAmount() { return this.socket.writableLength; }

  _data(chunk) {
    let buf = chunk;
    if (this.rest) { buf = Buffer.concat([this.rest, chunk]); this.rest = null; }
    const n = buf.length;
    let i = 0;
    while (n - i >= 2) {
      const b0 = buf[i], b1 = buf[i + 1];
      let len = b1 & 0x7f;
      let h = 2;
      if (len === 126) { if (n - i < 4) break; len = buf.readUInt16BE(i + 2); h = 4; }
      else if (len === 127) { if (n - i < 10) break; len = Number(buf.readBigUInt64BE(i + 2)); h = 10; }
      const masked = b1 & 0x80;
      if (masked) h += 4;
      if (n - i < h + len) break;
      let payload = buf.subarray(i + h, i + h + len);
      if (masked) { // servers must not mask, but be lenient
        const m = buf.subarray(i + h - 4, i + h);
        payload = Buffer.from(payload);
        for (let j = 0; j < payload.length; j++) payload[j] ^= m[j & 3];
      }
      i += h + len;
      const op = b0 & 0x0f;
      const fin = b0 & 0x80;
      if (op === 1 || op === 2) {
        if (fin) this.emit('message', payload, op === 2);
        else this.frags = { op, parts: [Buffer.from(payload)] };
      } else if (op === 0) {
        if (!this.frags) continue;
        this.frags.parts.push(Buffer.from(payload));
        if (fin) { const f = this.frags; this.frags = null; this.emit('message', Buffer.concat(f.parts), f.op === 2); }
      } else if (op === 9) {
        this._frame(10, payload);
      } else if (op === 8) {
        if (payload.length >= 2) { this.closeCode = payload.readUInt16BE(0); this.closeReason = payload.toString('utf8', 2); } else this.closeCode = 1005;
        if (this.readyState === OPEN) this._frame(8, payload.length >= 2 ? payload.subarray(0, 2) : Buffer.alloc(0));
        this.readyState = CLOSING;
        this.socket.end();
        setTimeout(() => this.socket.destroy(), 1000).unref();
        return;
      }
    }
    if (i < n) this.rest = i === 0 && buf !== chunk ? buf : Buffer.from(buf.subarray(i));
  }

  _frame(op, data) {
    const len = data.length;
    const h = len < 126 ? 2 : len < 65536 ? 4 : 10;
    const f = Buffer.allocUnsafe(h + 4 + len);
    f[0] = 0x80 | op;
    if (h === 2) f[1] = 0x80 | len;
    else if (h === 4) { f[1] = 0x80 | 126; f.writeUInt16BE(len, 2); }
    else { f[1] = 0x80 | 127; f.writeBigUInt64BE(BigInt(len), 2); }
    const m0 = (Math.random() * 256) | 0, m1 = (Math.random() * 256) | 0, m2 = (Math.random() * 256) | 0, m3 = (Math.random() * 256) | 0;
    f[h] = m0; f[h + 1] = m1; f[h + 2] = m2; f[h + 3] = m3;
    const o = h + 4;
    for (let j = 0; j < len; j += 4) {
      f[o + j] = data[j] ^ m0;
      if (j + 1 < len) f[o + j + 1] = data[j + 1] ^ m1;
      if (j + 2 < len) f[o + j + 2] = data[j + 2] ^ m2;
      if (j + 3 < len) f[o + j + 3] = data[j + 3] ^ m3;
    }
    this.socket.write(f);
  }

  send(data, opts) {
    if (this.readyState !== OPEN) return;
    const binary = opts && opts.binary;
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    this._frame(binary ? 2 : 1, buf);
  }

  close(code = 1000) {
    if (this.readyState === CONNECTING) { this.terminate(); return; }
    if (this.readyState !== OPEN) return;
    const p = Buffer.alloc(2);
    p.writeUInt16BE(code, 0);
    this._frame(8, p);
    this.readyState = CLOSING;
    this.closeCode = code;
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  terminate() { this.socket.destroy(); }
}

module.exports = { RawWs };
