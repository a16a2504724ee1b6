'use strict';
// __OW_ALLOW_CONCURRENT=true: overlapping activations, each with its own __OW_* variables.
const test = require('node:test');
const assert = require('node:assert/strict');
const { startRuntime, activationId } = require('../test-support/runtime-process');

const TIMEOUT = { timeout: 60_000 };

/**
 * Action code whose activations wait at a barrier until `expected` of them have arrived, so they
 * certainly overlap, then read their __OW_* variables after several kinds of async hops.
 */
const BARRIER_ACTION = `
  const { EventEmitter } = require('events');
  let arrived = 0;
  let open;
  const barrier = new Promise((resolve) => { open = resolve; });
  const pause = () => new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 20)));
  const snapshot = () => ({
    id: process.env.__OW_ACTIVATION_ID,
    namespace: process.env.__OW_NAMESPACE,
    action: process.env.__OW_ACTION_NAME,
    transaction: process.env.__OW_TRANSACTION_ID,
    deadline: process.env.__OW_DEADLINE,
    key: process.env.__OW_API_KEY,
  });

  async function main(params) {
    const seen = [snapshot()];
    if (++arrived === params.expected) open();
    await barrier;
    await pause();
    seen.push(snapshot());
    seen.push(await new Promise((resolve) => setTimeout(() => resolve(snapshot()), Math.random() * 10)));
    seen.push(await new Promise((resolve) => setImmediate(() => resolve(snapshot()))));
    seen.push(await new Promise((resolve) => process.nextTick(() => resolve(snapshot()))));
    const emitter = new EventEmitter();
    const fromEvent = new Promise((resolve) => emitter.once('go', () => resolve(snapshot())));
    setTimeout(() => emitter.emit('go'), Math.random() * 10);
    seen.push(await fromEvent);
    process.env.__OW_SCRATCH = process.env.__OW_ACTIVATION_ID;
    await pause();
    const copy = { ...process.env };
    return {
      seen,
      scratch: process.env.__OW_SCRATCH,
      copied: copy.__OW_ACTIVATION_ID,
      listed: Object.keys(process.env).filter((key) => key === '__OW_ACTIVATION_ID').length,
      has: '__OW_ACTIVATION_ID' in process.env,
    };
  }`;

function fieldsFor(i) {
  return {
    activation_id: activationId(),
    namespace: `ns${i}`,
    action_name: `/ns${i}/action${i}`,
    transaction_id: `tid_${i}`,
    deadline: String(1_700_000_000_000 + i),
    api_key: `key${i}`,
  };
}

test('200 overlapping activations each see only their own __OW_* values, across async hops', TIMEOUT, async (t) => {
  const rt = await startRuntime(t, { concurrent: true });
  assert.equal((await rt.init({ code: BARRIER_ACTION })).status, 200);
  const count = 200;
  const requests = Array.from({ length: count }, (_, i) => fieldsFor(i));
  const responses = await Promise.all(requests.map((fields) => rt.run({ expected: count }, fields)));
  for (const [i, res] of responses.entries()) {
    const fields = requests[i];
    const expected = {
      id: fields.activation_id,
      namespace: fields.namespace,
      action: fields.action_name,
      transaction: fields.transaction_id,
      deadline: fields.deadline,
      key: fields.api_key,
    };
    assert.equal(res.status, 200);
    assert.equal(res.body.seen.length, 6);
    for (const seen of res.body.seen) assert.deepEqual(seen, expected);
    assert.equal(res.body.scratch, fields.activation_id);
    assert.equal(res.body.copied, fields.activation_id);
    assert.equal(res.body.listed, 1);
    assert.equal(res.body.has, true);
  }
});

test('an activation writing an __OW_* variable changes neither the others nor the shared environment', TIMEOUT, async (t) => {
  const rt = await startRuntime(t, { concurrent: true });
  const code = `async function main(params) {
    if (params.write) { process.env.__OW_NAMESPACE = 'changed'; delete process.env.__OW_API_KEY; }
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { namespace: process.env.__OW_NAMESPACE, key: process.env.__OW_API_KEY ?? null,
      keyListed: Object.keys(process.env).includes('__OW_API_KEY'), scratch: process.env.__OW_SCRATCH ?? null };
  }`;
  assert.equal((await rt.init({ code })).status, 200);
  const [writer, reader] = await Promise.all([
    rt.run({ write: true }, { namespace: 'one', api_key: 'k1' }),
    rt.run({}, { namespace: 'two', api_key: 'k2' }),
  ]);
  assert.deepEqual(writer.body, { namespace: 'changed', key: null, keyListed: false, scratch: null });
  assert.deepEqual(reader.body, { namespace: 'two', key: 'k2', keyListed: true, scratch: null });
});

test("a child process started by an activation inherits that activation's variables", TIMEOUT, async (t) => {
  const rt = await startRuntime(t, { concurrent: true });
  const code = `const { execFile } = require('child_process');
    function main() {
      return new Promise((resolve, reject) => execFile(process.execPath, ['-p', 'process.env.__OW_ACTIVATION_ID'],
        (error, stdout) => error ? reject(error) : resolve({ child: stdout.trim() })));
    }`;
  assert.equal((await rt.init({ code })).status, 200);
  const ids = [activationId(), activationId(), activationId()];
  const responses = await Promise.all(ids.map((id) => rt.run({}, { activation_id: id })));
  assert.deepEqual(responses.map((res) => res.body.child), ids);
});

test('a failing or hanging activation does not fail the others', TIMEOUT, async (t) => {
  const rt = await startRuntime(t, { concurrent: true });
  const code = `async function main(params) {
    if (params.hang) { console.log('hanging'); return new Promise(() => {}); }
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (params.fail) throw new Error('one of many');
    return { ok: params.n };
  }`;
  assert.equal((await rt.init({ code })).status, 200);
  const controller = new AbortController();
  const hanging = rt.post('/run', { value: { hang: true } }, { signal: controller.signal });
  await rt.waitFor('stdout', (text) => text.includes('hanging'));
  const responses = await Promise.all(Array.from({ length: 20 }, (_, n) => rt.run({ n, fail: n === 7 })));
  for (const [n, res] of responses.entries()) {
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, n === 7 ? { error: res.body.error } : { ok: n });
  }
  assert.equal(responses[7].body.error.message, 'one of many');
  controller.abort();
  await assert.rejects(hanging, { name: 'AbortError' });
  assert.deepEqual((await rt.run({ n: 99 })).body, { ok: 99 });
});

test('__OW_ALLOW_CONCURRENT is read as OpenWhisk does: "true" in any case, nothing else', TIMEOUT, async (t) => {
  const holdCode = `function main(params) {
    if (!params.hold) return { quick: true };
    return new Promise((resolve) => {
      process.once('SIGUSR2', () => resolve({ released: true }));
      console.log('holding'); // only now may the test send the signal
    });
  }`;
  for (const [value, concurrent] of [['TRUE', true], ['True', true], ['yes', false], ['1', false]]) {
    await t.test(value, async (t) => {
      const rt = await startRuntime(t, { env: { __OW_ALLOW_CONCURRENT: value } });
      assert.equal((await rt.init({ code: holdCode })).status, 200);
      const held = rt.run({ hold: true });
      await rt.waitFor('stdout', (text) => text.includes('holding'));
      const overlapping = await rt.run();
      if (concurrent) {
        assert.deepEqual(overlapping.body, { quick: true });
      } else {
        assert.equal(overlapping.status, 403);
        assert.deepEqual(overlapping.body, { error: 'System not ready, status is running.' });
      }
      process.kill(rt.pid, 'SIGUSR2');
      assert.deepEqual((await held).body, { released: true });
    });
  }
});
