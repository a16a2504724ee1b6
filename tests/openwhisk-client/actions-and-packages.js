// Drives `invoker standalone` with the real OpenWhisk JavaScript client through what Serverless and aio do first:
// an action from a Buffer (a zip, sent without `binary`), an update that names only parameters, a limits-only update,
// counts, a package with an action and a binding, invoked through both, and their removal.
// Usage: OW_APIHOST=http://127.0.0.1:PORT OW_AUTH=uuid:key node actions-and-packages.js
'use strict';
const assert = require('node:assert/strict');
const path = require('node:path');
const openwhisk = require('openwhisk');
const { makeZip } = require(path.join(__dirname, '..', '..', 'runtimes', 'nodejs', 'test-support', 'zip-writer.js'));

const ow = openwhisk({ apihost: process.env.OW_APIHOST, api_key: process.env.OW_AUTH });

async function main() {
  const zip = makeZip([
    { name: 'package.json', data: JSON.stringify({ name: 'zipped', main: 'lib/main.js' }) },
    { name: 'lib/main.js', data: 'exports.main = params => ({ zipped: true, ...params });' },
  ]);
  const created = await ow.actions.create({ name: 'zipped', action: zip, limits: { concurrency: 5 } });
  assert.equal(created.exec.binary, true);
  assert.deepEqual(await ow.actions.invoke({ name: 'zipped', blocking: true, result: true, params: { a: 1 } }), { zipped: true, a: 1 });

  // ow.actions.update({name, params}) sends only parameters: OpenWhisk keeps the code and the limits.
  const updated = await ow.actions.update({ name: 'zipped', params: { greeting: 'hi' } });
  assert.equal(updated.limits.concurrency, 5);
  const limited = await ow.actions.update({ name: 'zipped', limits: { timeout: 20000 } });
  assert.deepEqual([limited.limits.concurrency, limited.limits.timeout, limited.parameters.length], [5, 20000, 1]);
  assert.deepEqual(await ow.actions.invoke({ name: 'zipped', blocking: true, result: true }), { zipped: true, greeting: 'hi' });

  assert.deepEqual(await ow.actions.list({ count: true }), { actions: 1 });
  assert.deepEqual(await ow.activations.list({ name: 'zipped', count: true }), { activations: 2 });

  await ow.packages.create({ name: 'utils', package: { parameters: [{ key: 'from', value: 'package' }] } });
  await ow.actions.create({ name: 'utils/echo', action: 'function main(p) { return p; }' });
  await ow.packages.create({ name: 'mine', package: { binding: { namespace: '_', name: 'utils' }, parameters: [{ key: 'from', value: 'binding' }] } });
  assert.deepEqual(await ow.actions.invoke({ name: 'utils/echo', blocking: true, result: true }), { from: 'package' });
  assert.deepEqual(await ow.actions.invoke({ name: 'mine/echo', blocking: true, result: true }), { from: 'binding' });
  const pkg = await ow.packages.get({ name: 'utils' });
  assert.deepEqual(pkg.actions.map(a => a.name), ['echo']);
  const inPackage = await ow.actions.list({ namespace: '_/utils' });
  assert.deepEqual(inPackage.map(a => a.namespace), [`${pkg.namespace}/utils`]);
  assert.deepEqual((await ow.packages.list()).map(p => [p.name, p.binding === false]), [['mine', false], ['utils', true]]);

  await assert.rejects(ow.packages.delete({ name: 'utils' }), e => e.statusCode === 409);
  await ow.actions.delete({ name: 'utils/echo' });
  await ow.packages.delete({ name: 'mine' });
  await ow.packages.delete({ name: 'utils' });
  await ow.actions.delete({ name: 'zipped' });
  assert.deepEqual(await ow.packages.list({ count: true }), { packages: 0 });
  console.log(JSON.stringify({ ok: true }));
}

main().catch(error => {
  console.error(error && error.stack || error);
  process.exit(1);
});
