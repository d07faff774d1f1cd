'use strict';
// Sends a small time-stamped reading every 3 s; each resolves once Redis holds it.
// SEALPOST_SERVER=host:port SEALPOST_SERVER_PK=<base64> SEALPOST_ID=101 SEALPOST_KEY=101.key node examples/sender.js
const os = require('node:os');
const { SealpostClient } = require('..'); // require('sealpost-client') in your project

const client = new SealpostClient({
  server: process.env.SEALPOST_SERVER || '127.0.0.1:9300',
  serverPublicKey: process.env.SEALPOST_SERVER_PK, // unset: trust on first use (~/.sealpost/known_servers)
  id: process.env.SEALPOST_ID,
  keyFile: process.env.SEALPOST_KEY,
});
client.on('connected', (w) => console.log(`connected to ${w.node}`));
client.on('disconnected', (err) => console.log(`disconnected${err ? `: ${err.message}` : ''}`));
client.on('error', (err) => { console.error(err.message); process.exit(1); });

let sequence = 0;
const timer = setInterval(async () => {
  sequence += 1;
  const reading = JSON.stringify({ seq: sequence, at: new Date().toISOString(), load: os.loadavg()[0] });
  try {
    const id = await client.send('reading', reading); // well under 1000 bytes
    console.log(`stored ${id} ${reading}`);
  } catch (err) {
    console.error(`not stored: ${err.message}`);
  }
}, 3000);

process.on('SIGINT', async () => {
  clearInterval(timer);
  await client.close();
});
