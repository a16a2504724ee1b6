// Drives `invoker standalone` with the real OpenWhisk JavaScript client (issue 6): create an action with
// limits {concurrency: 50}; invoke it blocking with result (once, then 50 at a time); invoke it non-blocking,
// then fetch the activation and its logs; list; delete. Exits non-zero with the reason when a step fails.
// Usage: OW_APIHOST=http://127.0.0.1:PORT OW_AUTH=uuid:key node scenario.js
'use strict';
const assert = require('node:assert/strict');
const openwhisk = require('openwhisk');

const ow = openwhisk({ apihost: process.env.OW_APIHOST, api_key: process.env.OW_AUTH });
const sleep = ms => new Promise(r => setTimeout(r, ms));

// Each activation says which process ran it and logs its own id: 50 overlapping invocations must all be
// served by the one warm container, each with its own __OW_ACTIVATION_ID.
const code = `
function main(params) {
  console.log('activation ' + process.env.__OW_ACTIVATION_ID);
  return new Promise(resolve => setTimeout(() => resolve({
    greeting: 'hello ' + (params.name || 'world'),
    pid: process.pid,
    id: process.env.__OW_ACTIVATION_ID,
  }), 100));
}`;

async function activationOf(id) {
  for (let attempt = 0; attempt < 600; attempt++) {
    try {
      return await ow.activations.get({ name: id });
    } catch (e) {
      if (e.statusCode !== 404) throw e;
      await sleep(50);
    }
  }
  throw new Error(`activation ${id} has no record after 30 s`);
}

async function run() {
  const created = await ow.actions.create({ name: 'hello', action: code, limits: { concurrency: 50 } });
  assert.equal(created.limits.concurrency, 50);
  assert.equal(created.exec.kind, 'nodejs:20', 'OpenWhisk stores the kind nodejs:default resolves to');

  const first = await ow.actions.invoke({ name: 'hello', blocking: true, result: true, params: { name: 'client' } });
  assert.equal(first.greeting, 'hello client');

  const many = await Promise.all(Array.from({ length: 50 }, (_, i) =>
    ow.actions.invoke({ name: 'hello', blocking: true, result: true, params: { name: `n${i}` } })));
  assert.deepEqual(many.map(r => r.greeting), Array.from({ length: 50 }, (_, i) => `hello n${i}`));
  assert.equal(new Set(many.map(r => r.pid)).size, 1, 'one container served all 50');
  assert.equal(new Set(many.map(r => r.id)).size, 50, 'each activation saw its own id');

  const accepted = await ow.actions.invoke({ name: 'hello', params: { name: 'later' } });
  assert.match(accepted.activationId, /^[0-9a-f]{32}$/);
  const activation = await activationOf(accepted.activationId);
  assert.equal(activation.response.status, 'success');
  assert.equal(activation.response.result.greeting, 'hello later');
  const logs = await ow.activations.logs({ name: accepted.activationId });
  assert.equal(logs.logs.length, 1);
  assert.match(logs.logs[0], new RegExp(`activation ${accepted.activationId}$`));

  const actions = await ow.actions.list();
  assert.deepEqual(actions.map(a => a.name), ['hello']);
  const activations = await ow.activations.list({ name: 'hello', limit: 100 });
  assert.equal(activations.length, 52);

  await ow.actions.delete({ name: 'hello' });
  await assert.rejects(ow.actions.get({ name: 'hello' }), e => e.statusCode === 404);
  assert.deepEqual(await ow.actions.list(), []);

  console.log(JSON.stringify({ ok: true, concurrentInOneContainer: many.length, activations: activations.length }));
}

run().catch(e => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
