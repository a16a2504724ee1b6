'use strict';
// What must not take the runtime down, what must, and the HTTP edges: malformed and oversized
// bodies, unknown paths, keep-alive, Unix sockets, bad settings, shutdown.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { RuntimeProcess, startRuntime, activationId } = require('../test-support/runtime-process');
const { makeZip } = require('../test-support/zip-writer');

const MAX_BODY_BYTES = 48 * 1024 * 1024;
const TIMEOUT = { timeout: 60_000 };

/** A private directory for socket files, removed after the test. */
function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ow-runtime-test-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Sends raw bytes on one connection and collects everything the runtime sends back until it
 * closes the connection or `until(received)` holds.
 */
function exchange(port, send, until = () => false) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (text) => {
      received += text;
      if (until(received)) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.on('end', () => resolve(received));
    socket.on('error', reject);
    send(socket);
  });
}

test('process.exit() inside an action really exits the runtime', async (t) => {
  const rt = await startRuntime(t);
  assert.equal((await rt.init({ code: 'function main() { process.exit(7); }' })).status, 200);
  await assert.rejects(rt.run(), { code: 'ECONNRESET' });
  assert.deepEqual(await rt.exited, { code: 7, signal: null });
});

test('process.exit() with concurrency fails every activation in flight', TIMEOUT, async (t) => {
  const rt = await startRuntime(t, { concurrent: true });
  const code = `function main(params) {
    if (params.exit) process.exit(9);
    console.log('waiting');
    return new Promise(() => {});
  }`;
  assert.equal((await rt.init({ code })).status, 200);
  const waiting = [rt.run(), rt.run(), rt.run()];
  await rt.waitFor('stdout', (text) => text.split('waiting').length === 4);
  const results = await Promise.allSettled([...waiting, rt.run({ exit: true })]);
  assert.ok(results.every((result) => result.status === 'rejected'));
  assert.deepEqual(await rt.exited, { code: 9, signal: null });
});

test('bodies that are not a JSON object answer 500 {"error":"Bad request."} and harm nothing', async (t) => {
  const rt = await startRuntime(t);
  for (const body of ['{"value": {', 'not json', '[1, 2]', '42', 'null', '"text"']) {
    for (const route of ['/init', '/run']) {
      const res = await rt.post(route, body);
      assert.equal(res.status, 500, `${route} ${body}`);
      assert.deepEqual(res.body, { error: 'Bad request.' });
    }
  }
  assert.equal((await rt.init({ code: 'function main() { return { fine: true }; }' })).status, 200);
  assert.deepEqual((await rt.run()).body, { fine: true });
});

test('an empty body counts as {} (as OpenWhisk\'s body parser)', async (t) => {
  const rt = await startRuntime(t);
  const res = await rt.post('/init', '');
  assert.equal(res.status, 403);
  assert.deepEqual(res.body, { error: 'Missing main/no code to execute.' });
});

test('unknown paths answer 404, other methods 405, query strings are ignored', async (t) => {
  const rt = await startRuntime(t);
  const notFound = await rt.post('/ping', {});
  assert.equal(notFound.status, 404);
  assert.deepEqual(notFound.body, { error: 'Not found.' });
  assert.equal((await rt.request('GET', '/')).status, 404);
  const wrongMethod = await rt.request('GET', '/run');
  assert.equal(wrongMethod.status, 405);
  assert.equal(wrongMethod.headers.allow, 'POST');
  assert.equal((await rt.post('/init?x=1', { value: { main: 'main', code: 'function main() { return {}; }' } })).status, 200);
  assert.equal((await rt.post('/run?y=2', { value: {} })).status, 200);
});

test('a declared body over 48 MiB answers 413 at once and closes the connection', async (t) => {
  const rt = await startRuntime(t);
  const response = await exchange(rt.port, (socket) => {
    socket.write(`POST /init HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${MAX_BODY_BYTES + 1}\r\n\r\n`);
  });
  assert.match(response, /^HTTP\/1\.1 413 /);
  assert.match(response, /\r\nconnection: close\r\n/i);
  assert.ok(response.endsWith('\r\n\r\n{"error":"Request body too large."}'));
});

test('a chunked body growing over 48 MiB answers 413', TIMEOUT, async (t) => {
  const rt = await startRuntime(t);
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  const response = await exchange(rt.port, (socket) => {
    socket.write('POST /init HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
    // One byte over the limit, and no final chunk: the runtime must not wait for the rest.
    for (let sent = 0; sent <= MAX_BODY_BYTES; sent += chunk.length) {
      socket.write(`${chunk.length.toString(16)}\r\n`);
      socket.write(chunk);
      socket.write('\r\n');
    }
  });
  assert.match(response, /^HTTP\/1\.1 413 /);
  assert.equal((await rt.init({ code: 'function main() { return {}; }' })).status, 200); // still serving
});

test('one keep-alive connection carries many requests', async (t) => {
  const rt = await startRuntime(t);
  const init = JSON.stringify({ value: { main: 'main', code: 'function main(p) { return { n: p.n }; }' } });
  const runs = [1, 2, 3].map((n) => JSON.stringify({ value: { n }, activation_id: activationId() }));
  const requests = [['/init', init], ...runs.map((body) => ['/run', body])]
    .map(([route, body]) => `POST ${route} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  // Pipelined on one connection; the runtime answers them in order on that connection.
  const response = await exchange(rt.port, (socket) => socket.write(requests.join('')), (text) => text.includes('{"n":3}'));
  const bodies = response.split(/HTTP\/1\.1 /).filter(Boolean).map((part) => part.slice(part.indexOf('\r\n\r\n') + 4));
  assert.deepEqual(bodies, ['{"OK":true}', '{"n":1}', '{"n":2}', '{"n":3}']);
  assert.doesNotMatch(response, /connection: close/i);
});

test('a response the caller no longer waits for is dropped without harm', TIMEOUT, async (t) => {
  const rt = await startRuntime(t, { concurrent: true });
  const code = `function main(params) {
    if (!params.hold) return { alive: true };
    return new Promise((resolve) => {
      process.once('SIGUSR2', () => resolve({ released: true }));
      console.log('holding'); // only now may the test send the signal
    });
  }`;
  assert.equal((await rt.init({ code })).status, 200);
  const controller = new AbortController();
  const held = rt.post('/run', { value: { hold: true }, activation_id: activationId() }, { signal: controller.signal });
  await rt.waitFor('stdout', (text) => text.includes('holding'));
  controller.abort();
  await assert.rejects(held, { name: 'AbortError' });
  process.kill(rt.pid, 'SIGUSR2');
  await rt.waitFor('stdout', (text) => text.includes('XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX'));
  assert.deepEqual((await rt.run()).body, { alive: true });
});

test('OW_RUNTIME_SOCKET: the runtime serves on a Unix socket, replacing a stale socket file', async (t) => {
  const socket = path.join(tempDir(t), 'runtime.sock');
  const first = await startRuntime(t, { socket });
  assert.equal((await first.init({ code: 'function main() { return { via: "first" }; }' })).status, 200);
  assert.deepEqual((await first.run()).body, { via: 'first' });
  await first.stop(); // SIGKILL leaves the socket file behind
  assert.ok(fs.statSync(socket).isSocket());

  const second = await startRuntime(t, { socket });
  assert.equal((await second.init({ code: 'function main() { return { via: "second" }; }' })).status, 200);
  assert.deepEqual((await second.run()).body, { via: 'second' });
});

test('unusable settings stop the runtime at start with exit code 2 and a reason', async (t) => {
  for (const env of [{ OW_LOG_MODE: 'verbose' }, { OW_RUNTIME_PORT: 'http' }, { OW_RUNTIME_PORT: '70000' }]) {
    await assert.rejects(RuntimeProcess.start({ env }), /runtime exited/);
  }
  const runtime = new RuntimeProcess({ ...process.env, OW_LOG_MODE: 'verbose' });
  t.after(() => runtime.stop());
  assert.deepEqual(await runtime.exited, { code: 2, signal: null });
  assert.equal(runtime.output('stderr'), "OW_LOG_MODE must be one of structured, buffered; got 'verbose'.\n");
});

test('a port already in use stops the runtime with exit code 1 and a reason', async (t) => {
  const holder = await startRuntime(t);
  const runtime = new RuntimeProcess({ ...process.env, OW_RUNTIME_HOST: '127.0.0.1', OW_RUNTIME_PORT: String(holder.port) });
  t.after(() => runtime.stop());
  assert.deepEqual(await runtime.exited, { code: 1, signal: null });
  assert.match(runtime.output('stderr'), /^Cannot listen: listen EADDRINUSE: address already in use 127\.0\.0\.1:\d+\n$/);
});

test('SIGTERM ends the runtime and removes the extracted archive', async (t) => {
  const rt = await startRuntime(t);
  const zip = makeZip([{ name: 'index.js', data: 'exports.main = () => ({ cwd: process.cwd() });' }]);
  assert.equal((await rt.init({ binary: true, main: 'main', code: zip.toString('base64') })).status, 200);
  const { cwd } = (await rt.run()).body;
  assert.ok(fs.existsSync(path.join(cwd, 'index.js')));
  process.kill(rt.pid, 'SIGTERM');
  assert.deepEqual(await rt.exited, { code: 143, signal: null });
  assert.equal(fs.existsSync(cwd), false);
});
