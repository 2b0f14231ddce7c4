'use strict';
// Socket.IO 4 fan-out server for the benchmark (websocket transport only, no per-message deflate).
// Clients emit "join" <room> (acknowledged); the publisher emits "pub" <room> <payload string>, which is sent as
// event "m" to everyone else in the room (socket.to(room).emit: one encoding per broadcast).
// Usage: node sio-server.js <port>   (binds 127.0.0.1)
const http = require('http');
const { Server } = require('socket.io');

const port = +process.argv[2];
const httpServer = http.createServer();
const io = new Server(httpServer, {
  transports: ['websocket'],
  perMessageDeflate: false,
  httpCompression: false,
  serveClient: false,
  maxHttpBufferSize: 1e6,
});
io.on('connection', (socket) => {
  socket.on('join', (room, ack) => {
    socket.join(room);
    if (typeof ack === 'function') ack();
  });
  socket.on('pub', (room, data) => socket.to(room).emit('m', data));
});
httpServer.listen(port, '127.0.0.1', () => console.log(`socket.io listening on 127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
