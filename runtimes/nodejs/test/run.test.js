'use strict';
// POST /run without concurrency: result mapping, __OW_* variables, one activation at a time.
const test = require('node:test');
const assert = require('node:assert/strict');
const { startRuntime, activationId } = require('../test-support/runtime-process');

/** A runtime initialized with code; main is "main". */
async function runtimeWith(t, code, options) {
  const rt = await startRuntime(t, options);
  const init = await rt.init({ code });
  assert.equal(init.status, 200, init.text);
  return rt;
}

test('results map to responses as in OpenWhisk', async (t) => {
  const cases = [
    ['object', 'return { a: 1 }', 200, { a: 1 }],
    ['array', 'return [1, "two", { three: 3 }]', 200, [1, 'two', { three: 3 }]],
    ['promise of an object', 'return new Promise((resolve) => setTimeout(() => resolve({ later: true }), 5))', 200, { later: true }],
    ['undefined', 'return', 200, {}],
    ['null', 'return null', 200, null],
    ['application error', 'return { error: "bad input" }', 200, { error: 'bad input' }],
    ['string', 'return "text"', 502, { error: 'The action did not return a dictionary.' }],
    ['number', 'return 42', 502, { error: 'The action did not return a dictionary.' }],
    ['promise of a boolean', 'return Promise.resolve(true)', 502, { error: 'The action did not return a dictionary.' }],
    ['rejection with a string', 'return Promise.reject("nope")', 200, { error: 'nope' }],
    ['rejection without a reason', 'return Promise.reject()', 200, { error: {} }],
    ['rejection with an object', 'return Promise.reject({ code: 7, fn() {} })', 200, { error: { code: 7 } }],
  ];
  for (const [name, body, status, result] of cases) {
    await t.test(name, async (t) => {
      const rt = await runtimeWith(t, `function main(params) { ${body}; }`);
      const res = await rt.run();
      assert.equal(res.status, status);
      assert.deepEqual(res.body, result);
    });
  }
});

test('a rejection with an Error becomes {error: {name, message, stack}} plus its own properties', async (t) => {
  const rt = await runtimeWith(t, `async function main() {
    const error = new TypeError("went wrong");
    error.detail = { retry: false };
    throw error;
  }`);
  const res = await rt.run();
  assert.equal(res.status, 200);
  assert.deepEqual(Object.keys(res.body.error), ['detail', 'name', 'message', 'stack']);
  assert.deepEqual(res.body.error.detail, { retry: false });
  assert.equal(res.body.error.name, 'TypeError');
  assert.equal(res.body.error.message, 'went wrong');
  assert.match(res.body.error.stack, /^TypeError: went wrong\n\s+at main /);
});

test('a result JSON cannot express answers 500 {"error":"Internal error."}', async (t) => {
  const rt = await runtimeWith(t, 'function main(p) { if (p.big) return { n: 1n }; const o = {}; o.self = o; return o; }');
  for (const params of [{}, { big: true }]) {
    const res = await rt.run(params);
    assert.equal(res.status, 500);
    assert.deepEqual(res.body, { error: 'Internal error.' });
  }
});

test('a non-dictionary result is explained on stderr before the sentinel', async (t) => {
  const rt = await runtimeWith(t, 'function main() { return "text"; }');
  await rt.run();
  const stderr = await rt.waitFor('stderr', (text) => text.includes('XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX'));
  assert.equal(stderr, 'Result must be of type object but has type "string": text\nXXX_THE_END_OF_A_WHISK_ACTIVATION_XXX\n');
});

test('a synchronous throw answers 502 An error has occurred and stops the runtime', async (t) => {
  const rt = await runtimeWith(t, 'function main() { throw new Error("boom"); }');
  const res = await rt.run();
  assert.equal(res.status, 502);
  assert.deepEqual(res.body, { error: 'An error has occurred: Error: boom' });
  const stderr = await rt.waitFor('stderr', (text) => text.includes('XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX'));
  assert.match(stderr, /^Error: boom\n\s+at main /);
  const next = await rt.run();
  assert.equal(next.status, 403);
  assert.deepEqual(next.body, { error: 'System not ready, status is stopped.' });
});

test('params: value is passed as is, a missing or null value as {}, a non-object refused with 403', async (t) => {
  const rt = await runtimeWith(t, 'function main(params) { return { params }; }');
  assert.deepEqual((await rt.run({ a: [1, { b: null }] })).body, { params: { a: [1, { b: null }] } });
  assert.deepEqual((await rt.run([1, 2])).body, { params: [1, 2] });
  assert.deepEqual((await rt.post('/run', { activation_id: activationId() })).body, { params: {} });
  assert.deepEqual((await rt.post('/run', { value: null })).body, { params: {} });
  const refused = await rt.post('/run', { value: 'text' });
  assert.equal(refused.status, 403);
  assert.deepEqual(refused.body, { error: "Internal system error: the argument must be a dictionary but has type 'string'." });
  assert.equal((await rt.run({ still: 'usable' })).status, 200);
});

test('every top-level string field of the run body except value is visible as __OW_<FIELD>', async (t) => {
  const rt = await runtimeWith(t, `function main() {
    return Object.fromEntries(Object.entries(process.env).filter(([key]) => key.startsWith('__OW_')));
  }`);
  const fields = {
    namespace: 'guest',
    action_name: '/guest/hello',
    action_version: '0.0.1',
    activation_id: activationId(),
    transaction_id: 'tid_1',
    deadline: '1717171717171',
    api_key: 'uuid:key',
    custom_field: 'custom',
    not_a_string: 5,
  };
  const res = await rt.post('/run', { value: { ignored: 'yes' }, ...fields });
  assert.deepEqual(res.body, {
    __OW_NAMESPACE: 'guest',
    __OW_ACTION_NAME: '/guest/hello',
    __OW_ACTION_VERSION: '0.0.1',
    __OW_ACTIVATION_ID: fields.activation_id,
    __OW_TRANSACTION_ID: 'tid_1',
    __OW_DEADLINE: '1717171717171',
    __OW_API_KEY: 'uuid:key',
    __OW_CUSTOM_FIELD: 'custom',
  });
});

test('without concurrency the shared environment holds the current activation too, as in OpenWhisk', async (t) => {
  const rt = await runtimeWith(t, `function main() {
    return { printed: require('util').inspect(process.env).includes(process.env.__OW_ACTIVATION_ID) };
  }`);
  assert.deepEqual((await rt.run()).body, { printed: true });
});

test('without concurrency an overlapping run answers 403 System not ready, status is running.', async (t) => {
  // The first activation waits for SIGUSR2 from the test, so it is surely still running.
  const rt = await runtimeWith(t, `function main(params) {
    if (!params.hold) return { quick: true };
    return new Promise((resolve) => {
      process.once('SIGUSR2', () => resolve({ released: true }));
      console.log('holding'); // only now may the test send the signal
    });
  }`);
  const held = rt.run({ hold: true });
  await rt.waitFor('stdout', (text) => text.includes('holding\n'));
  const overlapping = await rt.run();
  assert.equal(overlapping.status, 403);
  assert.deepEqual(overlapping.body, { error: 'System not ready, status is running.' });
  process.kill(rt.pid, 'SIGUSR2');
  assert.deepEqual((await held).body, { released: true });
  assert.deepEqual((await rt.run()).body, { quick: true });
});

test('an activation that never resolves does not crash the runtime, and the caller may give up on it', async (t) => {
  const rt = await runtimeWith(t, 'function main() { console.log("hanging"); return new Promise(() => {}); }');
  const controller = new AbortController();
  const hanging = rt.post('/run', { value: {} }, { signal: controller.signal });
  await rt.waitFor('stdout', (text) => text.includes('hanging\n'));
  controller.abort();
  await assert.rejects(hanging, { name: 'AbortError' });
  // As in OpenWhisk, the runtime stays busy with it; the invoker's timeout removes such a container.
  const next = await rt.run();
  assert.equal(next.status, 403);
  assert.deepEqual(next.body, { error: 'System not ready, status is running.' });
  assert.equal(rt.child.exitCode, null);
});
