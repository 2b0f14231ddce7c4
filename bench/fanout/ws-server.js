'use strict';
// Trivial WebSocket fan-out server (the generator-ceiling baseline): subscribers connect to /?ch=<channel> and get
// one "s" frame once registered; the publisher connects to /?pub=1 and sends "<channel>\n<payload>" text frames,
// which are forwarded verbatim (as text) to every subscriber of that channel. No parsing, no protocol, no queues:
// the frame is built once per message and written to each subscriber's socket as it is.
// Usage: node ws-server.js <port>   (binds 127.0.0.1)
const { WebSocketServer, Sender } = require('ws');

const port = +process.argv[2];
const channels = new Map();
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false, clientTracking: false, maxPayload: 1 << 20 });

wss.on('connection', (ws, req) => {
  const q = new URL(req.url, 'http://x').searchParams;
  const ch = q.get('ch');
  if (ch) {
    let set = channels.get(ch);
    if (!set) channels.set(ch, (set = new Set()));
    set.add(ws);
    ws.on('close', () => set.delete(ws));
    ws.send('s');
  }
  if (q.get('pub')) {
    ws.on('message', (data) => {
      const nl = data.indexOf(10);
      if (nl < 0) return;
      const set = channels.get(data.toString('latin1', 0, nl));
      if (!set) return;
      const frame = Buffer.concat(Sender.frame(data.subarray(nl + 1), { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false }));
      for (const s of set) if (s.readyState === 1) s._socket.write(frame);
    });
  }
  ws.on('error', () => {});
});
wss.on('listening', () => console.log(`ws baseline listening on 127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
