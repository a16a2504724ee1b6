'use strict';
// A runtime that misbehaves on command, for the fault matrix (tests/Perf.Invoker.Core.Tests/Reliability). It speaks the
// action protocol of runtimes/nodejs (the port announcement, /init, /run, tagged sentinels) and nothing more; each /run's
// value says what to do:
//   runs: a file each /run appends its activation id to (counts executions)
//   hold: a file to wait for before answering (keeps activations in flight)
//   fault: garbage | truncated | oversized | slow | reset | stall; none answers {"ok":true}
// An action whose code contains FAIL_INIT fails its /init after a second (so that others wait for it).
const fs = require('node:fs');
const http = require('node:http');

const concurrent = process.env.__OW_ALLOW_CONCURRENT === 'true';
const SENTINEL = 'XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX';
const sockets = new Set();
let stalled = false;

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function answer(res, status, body) {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}

function endLogs(id) {
  const line = concurrent ? `${SENTINEL} ${id}\n` : `${SENTINEL}\n`;
  process.stdout.write(line);
  process.stderr.write(line);
}

function waitFor(file) {
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      if (fs.existsSync(file)) {
        clearInterval(poll);
        resolve();
      }
    }, 10);
  });
}

async function run(req, res) {
  const body = JSON.parse(await readBody(req));
  const value = body.value || {};
  const id = body.activation_id;
  if (value.runs) fs.appendFileSync(value.runs, `${id}\n`);
  if (value.hold) await waitFor(value.hold);
  const socket = req.socket;
  switch (value.fault) {
    case 'garbage':
      endLogs(id);
      socket.end('\u0000\u00ff not HTTP at all\r\n\r\n{]');
      return;
    case 'truncated':
      endLogs(id);
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"ok":tr');
      setTimeout(() => socket.destroy(), 50);
      return;
    case 'oversized': {
      endLogs(id);
      const filler = 'x'.repeat(4 * 1024 * 1024);
      answer(res, 200, { filler });
      return;
    }
    case 'slow':
      return; // never answers
    case 'reset':
      socket.resetAndDestroy();
      return;
    case 'stall':
      // Stops reading every connection, this one included, and answers nothing from now on.
      stalled = true;
      for (const s of sockets) s.pause();
      return;
    default:
      endLogs(id);
      answer(res, 200, { ok: true });
  }
}

const server = http.createServer((req, res) => {
  if (stalled) {
    req.socket.pause();
    return;
  }
  const path = req.url.split('?', 1)[0];
  if (path === '/init') {
    readBody(req).then((text) => {
      const code = JSON.parse(text).value.code || '';
      if (code.includes('FAIL_INIT')) setTimeout(() => answer(res, 502, { error: 'init failed on purpose' }), 1000);
      else answer(res, 200, { OK: true });
    });
  } else if (path === '/run') {
    run(req, res).catch((error) => answer(res, 500, { error: String(error) }));
  } else {
    answer(res, 404, { error: 'Not found.' });
  }
});
server.on('connection', (socket) => {
  sockets.add(socket);
  if (stalled) socket.pause();
  socket.on('close', () => sockets.delete(socket));
});
server.keepAliveTimeout = 0;
server.requestTimeout = 0;
server.timeout = 0;
server.listen(0, '127.0.0.1', () => process.stdout.write(`OW_RUNTIME_LISTENING ${server.address().port}\n`));
process.once('SIGTERM', () => process.exit(143));
