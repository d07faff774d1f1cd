'use strict';
// Sends one request and prints each reply: by default the server's own `echo`
// (its reply's data is the params as JSON text); any other method needs a
// worker reading sp:requests:<method> (PROTOCOL.md §6).
// SEALPOST_SERVER=host:port SEALPOST_SERVER_PK=<base64> SEALPOST_ID=101 SEALPOST_KEY=101.key \
//   node examples/request_echo.js [method] [params as JSON]
const { SealpostClient } = require('..'); // require('sealpost-client') in your project

const method = process.argv[2] || 'echo';
const params = process.argv[3] === undefined ? { hello: 'world' } : JSON.parse(process.argv[3]);

const client = new SealpostClient({
  server: process.env.SEALPOST_SERVER || '127.0.0.1:9300',
  serverPublicKey: process.env.SEALPOST_SERVER_PK, // unset: trust on first use (~/.sealpost/known_servers)
  id: process.env.SEALPOST_ID,
  keyFile: process.env.SEALPOST_KEY,
});
client.on('error', (err) => { console.error(err.message); process.exit(1); });

async function main() {
  try {
    const reply = await client.request(method, params, {
      timeoutMs: 10000,
      onPartial: (part) => console.log(`partial: ${part.data}`),
    });
    // echo adds serverTs, time adds iso
    const extra = Object.entries(reply.fields).filter(([name]) => !['type', 're', 'data'].includes(name));
    console.log(`reply: ${reply.data}${extra.length ? ` ${JSON.stringify(Object.fromEntries(extra))}` : ''}`);
  } catch (err) {
    console.error(`no reply: ${err.message}`);
    process.exitCode = 1;
  } finally {
    await client.close();
  }
}

main();
