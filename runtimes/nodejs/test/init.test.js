'use strict';
// POST /init: success, every error path with OpenWhisk's exact words, init env, main resolution.
const test = require('node:test');
const assert = require('node:assert/strict');
const { startRuntime } = require('../test-support/runtime-process');

const SENTINEL = 'XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX';

test('init with code and main answers 200 {"OK":true} and the action runs', async (t) => {
  const rt = await startRuntime(t);
  const init = await rt.init({ code: 'function main(params) { return { hello: params.name }; }' });
  assert.equal(init.status, 200);
  assert.equal(init.text, '{"OK":true}');
  const run = await rt.run({ name: 'world' });
  assert.equal(run.status, 200);
  assert.deepEqual(run.body, { hello: 'world' });
});

test('init without code or main answers 403 Missing main/no code to execute.', async (t) => {
  const rt = await startRuntime(t);
  const missing = { error: 'Missing main/no code to execute.' };
  for (const body of [{}, { value: {} }, { value: { main: 'main' } }, { value: { code: 'x' } },
    { value: { main: '', code: 'x' } }, { value: { main: 'main', code: 42 } }, { value: 'text' }]) {
    const res = await rt.post('/init', body);
    assert.equal(res.status, 403, JSON.stringify(body));
    assert.deepEqual(res.body, missing);
  }
  // A rejected init leaves the runtime ready for a proper one.
  assert.equal((await rt.init({ code: 'function main() { return {}; }' })).status, 200);
});

test('a second init answers 403 Cannot initialize the action more than once.', async (t) => {
  const rt = await startRuntime(t);
  assert.equal((await rt.init({ code: 'function main() { return { first: true }; }' })).status, 200);
  const second = await rt.init({ code: 'function main() { return { second: true }; }' });
  assert.equal(second.status, 403);
  assert.deepEqual(second.body, { error: 'Cannot initialize the action more than once.' });
  assert.deepEqual((await rt.run()).body, { first: true });
});

test('run before init answers 403 System not initialized.', async (t) => {
  const rt = await startRuntime(t);
  const res = await rt.run();
  assert.equal(res.status, 403);
  assert.deepEqual(res.body, { error: 'System not initialized.' });
});

test('a syntax error fails init with 502, the sentinel, and a stopped runtime', async (t) => {
  const rt = await startRuntime(t);
  const res = await rt.init({ code: 'function main( { return {}; }' });
  assert.equal(res.status, 502);
  // vm reports where: "<file>:<line>", the line, a caret, then the error and its stack.
  assert.match(res.body.error, /^Initialization has failed due to: \S+:1\nfunction main\( \{ return \{\}; \}\n\s+\^\n\nSyntaxError: Unexpected token '\{'\n/);
  await rt.waitFor('stdout', (text) => text.includes(`${SENTINEL}\n`));
  const stderr = await rt.waitFor('stderr', (text) => text.includes(`${SENTINEL}\n`));
  assert.match(stderr, /Error during initialization: [\s\S]*SyntaxError/);

  const again = await rt.init({ code: 'function main() { return {}; }' });
  assert.equal(again.status, 403);
  assert.deepEqual(again.body, { error: 'System not ready, status is stopped.' });
  assert.deepEqual((await rt.run()).body, { error: 'System not initialized.' });
});

test('code that throws while loading fails init with 502 and its stack', async (t) => {
  const rt = await startRuntime(t);
  const res = await rt.init({ code: 'throw new Error("broken at load");\nfunction main() {}' });
  assert.equal(res.status, 502);
  assert.match(res.body.error, /^Initialization has failed due to: Error: broken at load\n\s+at /);
});

test('a thrown non-error while loading is reported as its string', async (t) => {
  const rt = await startRuntime(t);
  const res = await rt.init({ code: 'throw "plain words";' });
  assert.deepEqual(res.body, { error: 'Initialization has failed due to: plain words' });
});

test('a main that is not a function fails init with 502 Action entrypoint is not a function.', async (t) => {
  const rt = await startRuntime(t);
  const res = await rt.init({ main: 'nope', code: 'function main() { return {}; }\nvar other = 5;' });
  assert.equal(res.status, 502);
  assert.deepEqual(res.body, { error: "Initialization has failed due to: Action entrypoint 'nope' is not a function." });
});

test('init env entries become process.env values the way OpenWhisk converts them', async (t) => {
  const rt = await startRuntime(t);
  const env = { TEXT: 'words', NUMBER: 42, OBJECT: { a: [1] }, NULL: null, ZERO: 0, FALSE: false, TRUE: true };
  const code = `function main() {
    const keys = ${JSON.stringify(Object.keys(env))};
    return Object.fromEntries(keys.map((key) => [key, process.env[key]]));
  }`;
  assert.equal((await rt.init({ code, env })).status, 200);
  assert.deepEqual((await rt.run()).body, {
    TEXT: 'words', NUMBER: '42', OBJECT: '{"a":[1]}', NULL: '', ZERO: '', FALSE: '', TRUE: 'true',
  });
});

test('main resolution: top-level binding, exports, module.exports, a named main, a dotted path', async (t) => {
  const cases = [
    ['function main() { return { via: "function" }; }', 'main', 'function'],
    ['const main = async () => ({ via: "arrow" });', 'main', 'arrow'],
    ['exports.main = () => ({ via: "exports" });', 'main', 'exports'],
    ['module.exports.main = () => ({ via: "module.exports.main" });', 'main', 'module.exports.main'],
    ['module.exports = { handler: () => ({ via: "object" }) };', 'handler', 'object'],
    ['module.exports = () => ({ via: "module.exports function" });', 'main', 'module.exports function'],
    ['function niam() { return { via: "named" }; }', 'niam', 'named'],
    ['exports.handlers = { go: () => ({ via: "dotted" }) };', 'handlers.go', 'dotted'],
    ['var main = 1;\nexports.main = () => ({ via: "exports over a non-function" });', 'main', 'exports over a non-function'],
    ['export function main() { return { via: "es module" }; }', 'main', 'es module'],
    ['import os from "node:os";\nexport const main = () => ({ via: typeof os.cpus });', 'main', 'function'],
  ];
  for (const [code, main, via] of cases) {
    await t.test(`${main}: ${via}`, async (t) => {
      const rt = await startRuntime(t);
      const init = await rt.init({ code, main });
      assert.equal(init.status, 200, init.text);
      assert.deepEqual((await rt.run()).body, { via });
    });
  }
});

test('source actions can require() and import() built-in modules', async (t) => {
  const rt = await startRuntime(t);
  const code = `const path = require("path");
    async function main() { const os = await import("node:os"); return { joined: path.join("a", "b"), eol: os.EOL }; }`;
  assert.equal((await rt.init({ code })).status, 200);
  assert.deepEqual((await rt.run()).body, { joined: 'a/b', eol: '\n' });
});

test('while an init is in progress another init answers 403 System not ready, status is starting.', async (t) => {
  const rt = await startRuntime(t);
  // An ES module whose top-level await holds the init until the test sends SIGUSR2.
  const code = `await new Promise((resolve) => {
      process.once('SIGUSR2', resolve);
      console.log('loading'); // only now may the test send the signal
    });
    export function main() { return { loaded: true }; }`;
  const first = rt.init({ code });
  await rt.waitFor('stdout', (text) => text.includes('loading\n'));
  const second = await rt.init({ code: 'function main() { return {}; }' });
  assert.equal(second.status, 403);
  assert.deepEqual(second.body, { error: 'System not ready, status is starting.' });
  assert.deepEqual((await rt.run()).body, { error: 'System not initialized.' });
  process.kill(rt.pid, 'SIGUSR2');
  assert.equal((await first).status, 200);
  assert.deepEqual((await rt.run()).body, { loaded: true });
});

test('the warm-up at start leaves no trace: no output, no variable, the first init and run as in a fresh process', async (t) => {
  const rt = await startRuntime(t);
  const init = await rt.init({ code: 'const seen = Object.keys(process.env).filter((k) => k.startsWith("__OW_")); function main() { return { seen }; }' });
  assert.equal(init.status, 200);
  assert.deepEqual((await rt.run({})).body, { seen: [] });
  await rt.waitFor('stderr', (text) => text.includes(`${SENTINEL}\n`));
  // A successful init writes no sentinel; the run writes one on each stream.
  assert.equal(rt.output('stdout'), `${SENTINEL}\n`);
  assert.equal(rt.output('stderr'), `${SENTINEL}\n`);
});
