'use strict';
// Prints every event for this client; each is acked when the handler resolves.
// SEALPOST_SERVER=host:port SEALPOST_SERVER_PK=<base64> SEALPOST_ID=101 SEALPOST_KEY=101.key node examples/listener.js
const { SealpostClient } = require('..'); // require('sealpost-client') in your project

const client = new SealpostClient({
  server: process.env.SEALPOST_SERVER || '127.0.0.1:9300',
  serverPublicKey: process.env.SEALPOST_SERVER_PK, // unset: trust on first use (~/.sealpost/known_servers)
  id: process.env.SEALPOST_ID,
  keyFile: process.env.SEALPOST_KEY,
});

client.on('event', async (event) => {
  const at = new Date(event.ts).toISOString();
  console.log(`${at} ${event.eventId} (attempt ${event.attempt}) ${event.type}: ${event.data}`);
  // Await your own work here: an event is acked only once this resolves.
});
client.on('connected', (w) => console.log(`connected to ${w.node}, session ${w.session}`));
client.on('disconnected', (err) => console.log(`disconnected${err ? `: ${err.message}` : ''}`));
client.on('trusted', (t) => console.log(`trusted ${t.server} with key ${t.publicKey} (recorded in ${t.file})`));
client.on('error', (err) => {
  console.error(err.message);
  if (err.fatal) process.exit(1);
});

process.on('SIGINT', () => client.close());
