'use strict';
// A TCP proxy between a client and the real server that counts the client's
// frames and can alter the server's bytes on the way.
const net = require('node:net');

class Proxy {
  // alterServerBytes(chunk) -> chunk, applied to server->client data.
  static start(targetPort, alterServerBytes = (chunk) => chunk) {
    const proxy = new Proxy();
    proxy.server = net.createServer((client) => {
      const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
      proxy.sockets.push(client, upstream);
      client.on('data', (chunk) => {
        for (const byte of chunk) if (byte === 0) proxy.clientFrames += 1;
        upstream.write(chunk);
      });
      upstream.on('data', (chunk) => client.write(alterServerBytes(chunk)));
      client.on('close', () => { proxy.clientClosed += 1; upstream.destroy(); });
      upstream.on('close', () => client.destroy());
      client.on('error', () => {});
      upstream.on('error', () => {});
    });
    return new Promise((resolve) => proxy.server.listen(0, '127.0.0.1', () => {
      proxy.port = proxy.server.address().port;
      resolve(proxy);
    }));
  }

  constructor() {
    this.sockets = [];
    this.clientFrames = 0;
    this.clientClosed = 0;
  }

  close() {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(resolve));
  }
}

module.exports = { Proxy };
