// client.js: an independent client of svgtrace's /ws (docs/protocol.md),
// written with the ws package rather than anything of ours, run by
// tests/interop_test.go:
//
//	NODE_PATH=…/node_modules node client.js http://127.0.0.1:PORT image.png
//
// It checks, in order: a foreign Origin gets 403 at the handshake; with the
// server's own Origin, hello is answered by welcome in a text frame; a ping
// is answered by a pong with the same payload; a resume, then an upload of
// image.png over HTTP, brings image.added with its event id; a malformed
// message and a binary frame each get an error with code bad_message, and
// the connection stays; a message over the welcome's maxMessage closes the
// connection with 1009. Exit status 0 when all hold, 1 otherwise, with the
// reason on stderr.
'use strict';

const fs = require('fs');
const WebSocket = require('ws');

const [base, imagePath] = process.argv.slice(2);
if (!base || !imagePath) {
  console.error('usage: node client.js http://HOST:PORT image.png');
  process.exit(2);
}
const wsURL = base.replace(/^http/, 'ws') + '/ws';

const deadline = setTimeout(() => fail('timed out'), 20000);

function fail(why) {
  console.error('interop: ' + why);
  process.exit(1);
}

function step(what) {
  console.log('ok: ' + what);
}

// connect opens a connection with origin and resolves once it is open.
function connect(origin) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsURL, { origin });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (req, res) => reject(Object.assign(new Error('HTTP ' + res.statusCode), { status: res.statusCode })));
    ws.once('error', reject);
  });
}

// inbox queues a connection's messages, each checked to be a text frame
// holding a JSON object of protocol version 1.
function inbox(ws) {
  const queue = [];
  const waiting = [];
  ws.on('message', (data, isBinary) => {
    if (isBinary) fail('a binary frame from the server');
    let msg;
    try {
      msg = JSON.parse(data.toString('utf8'));
    } catch (e) {
      fail('a text frame that is not JSON: ' + data);
    }
    if (msg === null || typeof msg !== 'object' || msg.v !== 1 || typeof msg.type !== 'string') {
      fail('not a version 1 message: ' + data);
    }
    const w = waiting.findIndex((x) => x.type === msg.type);
    if (w >= 0) {
      waiting.splice(w, 1)[0].resolve(msg);
    } else {
      queue.push(msg);
    }
  });
  // next resolves with the next message of type (others are dropped).
  return function next(type) {
    const i = queue.findIndex((m) => m.type === type);
    if (i >= 0) {
      const m = queue[i];
      queue.splice(0, i + 1);
      return Promise.resolve(m);
    }
    queue.length = 0;
    return new Promise((resolve) => waiting.push({ type, resolve }));
  };
}

async function main() {
  // A foreign origin is refused at the handshake.
  try {
    const ws = await connect('https://evil.example');
    ws.close();
    fail('a foreign Origin was let in');
  } catch (e) {
    if (e.status !== 403) fail('foreign Origin: want HTTP 403, got ' + e.message);
  }
  step('foreign Origin refused with 403');

  const ws = await connect(base);
  const next = inbox(ws);
  ws.send(JSON.stringify({ v: 1, type: 'hello', clientId: 'node-ws-interop', capabilities: { wasm: false } }));
  const welcome = await next('welcome');
  if (typeof welcome.lastEventId !== 'number' || typeof welcome.maxMessage !== 'number' || welcome.maxMessage <= 0) {
    fail('welcome without lastEventId or maxMessage: ' + JSON.stringify(welcome));
  }
  step('hello answered by welcome (maxMessage ' + welcome.maxMessage + ')');

  // Ping with a payload: the server must pong it back.
  await new Promise((resolve) => {
    ws.once('pong', (data) => {
      if (data.toString() !== 'interop-ping') fail('pong payload ' + JSON.stringify(data.toString()));
      resolve();
    });
    ws.ping('interop-ping');
  });
  step('ping answered by pong');

  // Resume, then upload: the image.added event arrives, with its id.
  ws.send(JSON.stringify({ v: 1, type: 'resume', lastEventId: welcome.lastEventId }));
  const form = new FormData();
  form.append('file', new Blob([fs.readFileSync(imagePath)], { type: 'image/png' }), 'interop.png');
  const resp = await fetch(base + '/api/images', { method: 'POST', body: form });
  if (resp.status !== 202) fail('upload: HTTP ' + resp.status + ' ' + (await resp.text()));
  const id = (await resp.json()).images[0].id;
  const added = await next('image.added');
  if (added.imageId !== id || !(added.eventId > welcome.lastEventId)) {
    fail('image.added for ' + id + ' after event ' + welcome.lastEventId + ', got ' + JSON.stringify(added));
  }
  step('image.added ' + id + ' with event id ' + added.eventId);

  // A malformed message and a binary frame: an error each, the connection stays.
  ws.send('{"v":1,"type":"plan","contentHash":"zz"}');
  let err = await next('error');
  if (err.code !== 'bad_message') fail('malformed message: ' + JSON.stringify(err));
  ws.send(Buffer.from('{"v":1,"type":"hello"}'), { binary: true });
  err = await next('error');
  if (err.code !== 'bad_message') fail('binary frame: ' + JSON.stringify(err));
  ws.send(JSON.stringify({ v: 1, type: 'hello' }));
  await next('welcome');
  step('malformed message and binary frame answered by bad_message; connection kept');

  // Over the read limit: closed with 1009 (message too big).
  const code = await new Promise((resolve) => {
    ws.once('close', (code) => resolve(code));
    ws.send(JSON.stringify({ v: 1, type: 'hello', clientId: 'x'.repeat(welcome.maxMessage) }));
  });
  if (code !== 1009) fail('oversized message: want close 1009, got ' + code);
  step('oversized message closed with 1009');

  clearTimeout(deadline);
}

main().then(() => process.exit(0), (e) => fail(e.stack || String(e)));
