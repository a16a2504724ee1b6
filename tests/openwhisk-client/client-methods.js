// Issue 14: every method of the `openwhisk` npm client (3.21.9) against the standalone invoker, each answer checked
// against what OpenWhisk's controller gives (core/controller/.../Actions.scala, Packages.scala, Triggers.scala,
// Rules.scala; the alarms package's feed action; the route management actions). Exits non-zero with the failed step.
// Usage: OW_APIHOST=http://127.0.0.1:PORT OW_AUTH=uuid:key [OW_NAMESPACE=guest] node client-methods.js
'use strict';
const assert = require('node:assert/strict');
const JSZip = require('jszip');
const { ow, apihost, check: step, failed, activation, request, run } = require('./flow');

const namespace = process.env.OW_NAMESPACE || 'guest';
const NOT_FOUND = 'The requested resource does not exist.';
const rejectsWith = (promise, status, message) => assert.rejects(promise, e => {
  assert.equal(e.statusCode, status, `status of ${e.message}`);
  if (message) assert.match(e.error?.error ?? e.message, message);
  return true;
});
const annotation = (entity, key) => (entity.annotations || []).find(a => a.key === key)?.value;
const code = body => `function main(params) { ${body} }`;

async function actions() {
  await step('actions.create: a new action, every limit filled in, version 0.0.1', async () => {
    const a = await ow.actions.create({ name: 'm-hello', action: code("console.log('hi ' + params.name); return { greeting: 'hello ' + params.name, x: params.x };"),
      params: { name: 'world' }, annotations: { mine: 1 }, limits: { concurrency: 5 } });
    assert.equal(a.name, 'm-hello');
    assert.equal(a.namespace, namespace);
    assert.equal(a.version, '0.0.1');
    assert.equal(a.publish, false);
    assert.equal(a.exec.binary, false);
    assert.deepEqual(a.parameters, [{ key: 'name', value: 'world' }]);
    assert.equal(annotation(a, 'mine'), 1);
    assert.deepEqual(Object.keys(a.limits).sort(), ['concurrency', 'logs', 'memory', 'timeout']);
    assert.equal(a.limits.concurrency, 5);
    assert.match(a.exec.kind, /^nodejs:\d+$/, 'OpenWhisk stores nodejs:default as the default kind it resolves to');
  });
  await step('actions.create: an existing name without overwrite is 409', () =>
    rejectsWith(ow.actions.create({ name: 'm-hello', action: code('return {}') }), 409, /resource already exists/));
  await step('actions.get: the action with its code; code=false leaves the code out', async () => {
    const a = await ow.actions.get({ name: 'm-hello' });
    assert.match(a.exec.code, /hello/);
    const lean = await ow.actions.get({ name: 'm-hello', code: false });
    assert.equal(lean.exec.code, undefined);
    await rejectsWith(ow.actions.get({ name: 'm-none' }), 404, new RegExp(NOT_FOUND.replace('.', '\\.')));
  });
  await step('actions.update: parameters only, merged with the stored action (exec, limits, annotations kept)', async () => {
    const a = await ow.actions.update({ name: 'm-hello', params: { name: 'update', x: 1 } });
    assert.equal(a.version, '0.0.2');
    assert.match(a.exec.code ?? (await ow.actions.get({ name: 'm-hello' })).exec.code, /hello/);
    assert.equal(a.limits.concurrency, 5);
    assert.equal(annotation(a, 'mine'), 1);
    assert.deepEqual(a.parameters, [{ key: 'name', value: 'update' }, { key: 'x', value: 1 }]);
  });
  await step('actions.update: limits only keeps the other limits and the parameters', async () => {
    const a = await ow.actions.update({ name: 'm-hello', limits: { timeout: 30000 } });
    assert.equal(a.limits.timeout, 30000);
    assert.equal(a.limits.concurrency, 5);
    assert.deepEqual(a.parameters, [{ key: 'name', value: 'update' }, { key: 'x', value: 1 }]);
  });
  await step('actions.list: without code; count=true is {"actions":N}', async () => {
    const list = await ow.actions.list();
    const a = list.find(x => x.name === 'm-hello');
    assert.ok(a, 'm-hello listed');
    assert.equal(a.exec.code, undefined);
    assert.equal(a.namespace, namespace);
    assert.deepEqual(await ow.actions.list({ count: true }), { actions: list.length });
  });
  await step('actions.invoke blocking: the whole activation record', async () => {
    const r = await ow.actions.invoke({ name: 'm-hello', blocking: true, params: { x: 2 } });
    assert.match(r.activationId, /^[0-9a-f]{32}$/);
    assert.equal(r.name, 'm-hello');
    assert.equal(r.namespace, namespace);
    assert.equal(r.response.status, 'success');
    assert.equal(r.response.success, true);
    assert.deepEqual(r.response.result, { greeting: 'hello update', x: 2 });
  });
  await step('actions.invoke blocking+result: only the result', async () => {
    assert.deepEqual(await ow.actions.invoke({ name: 'm-hello', blocking: true, result: true, params: { name: 'r' } }), { greeting: 'hello r', x: 1 });
  });
  await step('actions.invoke non-blocking: 202 {activationId}', async () => {
    const r = await ow.actions.invoke({ name: 'm-hello', params: { name: 'later' } });
    assert.deepEqual(Object.keys(r), ['activationId']);
  });
  await step('actions.invoke of a missing action is 404', () => rejectsWith(ow.actions.invoke({ name: 'm-none', blocking: true }), 404));

  await step('actions.create with a Buffer (a zip built here): binary detected from the code, runs', async () => {
    const zip = new JSZip();
    zip.file('package.json', JSON.stringify({ name: 'zipped', main: 'lib.js' }));
    zip.file('lib.js', "exports.main = params => ({ zipped: true, echo: params.echo });");
    const buffer = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
    const a = await ow.actions.create({ name: 'm-zip', action: buffer });
    assert.equal(a.exec.binary, true);
    assert.deepEqual(await ow.actions.invoke({ name: 'm-zip', blocking: true, result: true, params: { echo: 7 } }), { zipped: true, echo: 7 });
    assert.match(a.exec.kind, /^nodejs:\d+$/, 'OpenWhisk stores nodejs:default as the default kind it resolves to');
  });

  await step('actions.create with sequence: components run in order, each caused by the sequence', async () => {
    await ow.actions.create({ name: 'm-add', action: code('return { n: (params.n || 0) + 1 };') });
    await ow.actions.create({ name: 'm-double', action: code('return { n: params.n * 2 };') });
    const seq = await ow.actions.create({ name: 'm-seq', sequence: [`/${namespace}/m-add`, `/${namespace}/m-double`] });
    assert.equal(seq.exec.kind, 'sequence');
    assert.deepEqual(seq.exec.components, [`/${namespace}/m-add`, `/${namespace}/m-double`]);
    const r = await ow.actions.invoke({ name: 'm-seq', blocking: true, params: { n: 3 } });
    assert.deepEqual(r.response.result, { n: 8 });
    assert.equal(annotation(r, 'kind'), 'sequence');
    assert.equal(annotation(r, 'topmost'), true);
    assert.equal(r.logs.length, 2, 'a sequence\'s logs are its components\' activation ids');
    for (const id of r.logs) {
      const component = await activation(id);
      assert.equal(component.cause, r.activationId);
    }
    await rejectsWith(ow.actions.create({ name: 'm-badseq', sequence: [`/${namespace}/m-missing`] }), 400);
  });
}

async function activations() {
  await ow.actions.create({ name: 'm-act', action: code("console.log('hi ' + params.name); return { greeting: 'hello ' + params.name };") });
  const nonBlocking = (await ow.actions.invoke({ name: 'm-act', params: { name: 'later' } })).activationId;
  const blocking = await ow.actions.invoke({ name: 'm-act', blocking: true, params: { name: 'now' } });
  await step('activations.get / logs / result of an invocation', async () => {
    const a = await activation(nonBlocking);
    assert.equal(a.activationId, nonBlocking);
    assert.deepEqual(a.response.result, { greeting: 'hello later' });
    const logs = await ow.activations.logs({ name: nonBlocking });
    assert.equal(logs.logs.length, 1);
    assert.match(logs.logs[0], /stdout: hi later$/);
    const result = await ow.activations.result({ name: nonBlocking });
    assert.deepEqual(result.result, { greeting: 'hello later' });
    assert.equal(result.status, 'success');
    assert.equal(result.success, true);
    await rejectsWith(ow.activations.get({ name: '0'.repeat(32) }), 404);
  });
  await step('activations.list by name; docs=true includes logs; count=true is {"activations":N}', async () => {
    await activation(nonBlocking);
    const list = await ow.activations.list({ name: 'm-act', limit: 100 });
    assert.equal(list.length, 2);
    assert.ok(list.every(a => a.name === 'm-act'));
    const docs = await ow.activations.list({ name: 'm-act', docs: true, limit: 100 });
    assert.ok(docs.every(a => Array.isArray(a.logs) && a.logs.length === 1));
    assert.deepEqual(await ow.activations.list({ name: 'm-act', count: true }), { activations: 2 });
  });
  await step('activations.list since/upto: the window around one activation', async () => {
    const a = await activation(blocking.activationId);
    const exact = await ow.activations.list({ name: 'm-act', since: a.start, upto: a.start, limit: 100 });
    assert.deepEqual(exact.map(x => x.activationId), [a.activationId]);
    const after = await ow.activations.list({ name: 'm-act', since: a.start + 1, limit: 100 });
    assert.ok(!after.some(x => x.activationId === a.activationId), 'since excludes earlier activations');
    const before = await ow.activations.list({ name: 'm-act', upto: a.start - 1, limit: 100 });
    assert.ok(!before.some(x => x.activationId === a.activationId), 'upto excludes later activations');
  });
}

async function namespaces() {
  await step('namespaces.list: the caller\'s namespace', async () => {
    assert.deepEqual(await ow.namespaces.list(), [namespace]);
  });
  await step('namespaces.get: the namespace\'s actions, packages, triggers and rules', async () => {
    const all = await ow.namespaces.get();
    assert.deepEqual(Object.keys(all).sort(), ['actions', 'packages', 'rules', 'triggers']);
    assert.ok(all.actions.some(a => a.name === 'm-hello'));
    assert.ok(Array.isArray(all.packages) && Array.isArray(all.triggers) && Array.isArray(all.rules));
  });
}

async function packages() {
  await step('packages.create: parameters, empty binding, version 0.0.1; "default" is reserved', async () => {
    const p = await ow.packages.create({ name: 'm-pkg', package: { parameters: [{ key: 'colour', value: 'blue' }, { key: 'size', value: 1 }] } });
    assert.equal(p.name, 'm-pkg');
    assert.equal(p.namespace, namespace);
    assert.equal(p.version, '0.0.1');
    assert.deepEqual(p.binding, {});
    assert.deepEqual(p.parameters, [{ key: 'colour', value: 'blue' }, { key: 'size', value: 1 }]);
    await rejectsWith(ow.packages.create({ name: 'm-pkg' }), 409);
    await rejectsWith(ow.packages.create({ name: 'default' }), 400, /reserved/);
  });
  await step('an action in the package: namespace NS/P, package parameters under its own', async () => {
    const a = await ow.actions.create({ name: 'm-pkg/inner', action: code('return { colour: params.colour, size: params.size };'), params: { size: 2 } });
    assert.equal(a.namespace, `${namespace}/m-pkg`);
    assert.equal(a.name, 'inner');
    assert.deepEqual(await ow.actions.invoke({ name: 'm-pkg/inner', blocking: true, result: true }), { colour: 'blue', size: 2 });
    const listed = await ow.actions.list();
    assert.ok(listed.some(x => x.name === 'inner' && x.namespace === `${namespace}/m-pkg`));
  });
  await step('packages.get: the package with its actions', async () => {
    const p = await ow.packages.get({ name: 'm-pkg' });
    assert.deepEqual(p.actions.map(a => a.name), ['inner']);
    await rejectsWith(ow.packages.get({ name: 'm-nopkg' }), 404);
  });
  await step('packages.update: parameters replaced, version 0.0.2', async () => {
    const p = await ow.packages.update({ name: 'm-pkg', package: { parameters: [{ key: 'colour', value: 'green' }] } });
    assert.equal(p.version, '0.0.2');
    assert.deepEqual(p.parameters, [{ key: 'colour', value: 'green' }]);
    assert.deepEqual(await ow.actions.invoke({ name: 'm-pkg/inner', blocking: true, result: true }), { colour: 'green', size: 2 });
  });
  await step('a binding: its own parameters over the bound package\'s, the bound package\'s actions', async () => {
    const b = await ow.packages.create({ name: 'm-bound', package: { binding: { namespace, name: 'm-pkg' }, parameters: [{ key: 'colour', value: 'red' }] } });
    assert.deepEqual(b.binding, { namespace, name: 'm-pkg' });
    assert.deepEqual(annotation(b, 'binding'), { namespace, name: 'm-pkg' });
    const got = await ow.packages.get({ name: 'm-bound' });
    assert.deepEqual(got.actions.map(a => a.name), ['inner']);
    assert.deepEqual(await ow.actions.invoke({ name: 'm-bound/inner', blocking: true, result: true }), { colour: 'red', size: 2 });
    await rejectsWith(ow.packages.create({ name: 'm-bad', package: { binding: { namespace, name: 'm-nopkg' } } }), 400, /binding/i);
  });
  await step('packages.list: namespace-level packages; count=true is {"packages":N}', async () => {
    const list = await ow.packages.list();
    assert.deepEqual(list.map(p => p.name).filter(n => n.startsWith('m-')).sort(), ['m-bound', 'm-pkg']);
    assert.deepEqual(await ow.packages.list({ count: true }), { packages: list.length });
  });
  await step('packages.delete: 409 while it has actions; bindings and empty packages go', async () => {
    await rejectsWith(ow.packages.delete({ name: 'm-pkg' }), 409, /Package not empty \(contains 1 entity\)/);
    assert.equal((await ow.packages.delete({ name: 'm-bound' })).name, 'm-bound');
    assert.equal((await ow.actions.delete({ name: 'm-pkg/inner' })).name, 'inner');
    assert.equal((await ow.packages.delete({ name: 'm-pkg' })).name, 'm-pkg');
    await rejectsWith(ow.packages.get({ name: 'm-pkg' }), 404);
  });
}

async function triggersAndRules() {
  await step('triggers.create / get', async () => {
    const t = await ow.triggers.create({ name: 'm-trig', trigger: { parameters: [{ key: 'from', value: 'trigger' }] } });
    assert.equal(t.name, 'm-trig');
    assert.equal(t.namespace, namespace);
    assert.equal(t.version, '0.0.1');
    assert.deepEqual(t.parameters, [{ key: 'from', value: 'trigger' }]);
    assert.deepEqual((await ow.triggers.get({ name: 'm-trig' })).parameters, t.parameters);
    await rejectsWith(ow.triggers.create({ name: 'm-trig' }), 409);
    await rejectsWith(ow.triggers.get({ name: 'm-notrig' }), 404);
  });
  await step('triggers.invoke without an active rule: 204, no activation', async () => {
    const r = await ow.triggers.invoke({ name: 'm-trig' });
    assert.ok(r === undefined || r === '' || (typeof r === 'object' && Object.keys(r).length === 0), `no body: ${JSON.stringify(r)}`);
  });
  await ow.actions.create({ name: 'm-ruled', action: code("console.log('ruled'); return { from: params.from, extra: params.extra };") });
  await step('rules.create: active, trigger and action as {path,name}; the trigger lists it', async () => {
    const r = await ow.rules.create({ name: 'm-rule', trigger: 'm-trig', action: 'm-ruled' });
    assert.equal(r.name, 'm-rule');
    assert.equal(r.status, 'active');
    assert.deepEqual(r.trigger, { path: namespace, name: 'm-trig' });
    assert.deepEqual(r.action, { path: namespace, name: 'm-ruled' });
    const t = await ow.triggers.get({ name: 'm-trig' });
    assert.deepEqual(t.rules, { [`${namespace}/m-rule`]: { action: { path: namespace, name: 'm-ruled' }, status: 'active' } });
    await rejectsWith(ow.rules.create({ name: 'm-rule2', trigger: 'm-trig', action: 'm-none' }), 400, /does not exist/);
  });
  await step('rules.get / list; count=true is {"rules":N}', async () => {
    assert.equal((await ow.rules.get({ name: 'm-rule' })).status, 'active');
    const list = await ow.rules.list();
    assert.ok(list.some(r => r.name === 'm-rule'));
    assert.deepEqual(await ow.rules.list({ count: true }), { rules: list.length });
  });
  await step('triggers.invoke: 202 {activationId}; the rule\'s action runs with trigger and fire parameters', async () => {
    const fired = await ow.triggers.invoke({ name: 'm-trig', params: { extra: 1 } });
    assert.match(fired.activationId, /^[0-9a-f]{32}$/);
    const record = await activation(fired.activationId);
    assert.equal(record.name, 'm-trig');
    assert.deepEqual(record.response.result, { extra: 1 });
    assert.equal(record.logs.length, 1);
    const entry = JSON.parse(record.logs[0]);
    assert.equal(entry.rule, `${namespace}/m-rule`);
    assert.equal(entry.action, `${namespace}/m-ruled`);
    assert.equal(entry.success, true);
    const ran = await activation(entry.activationId);
    assert.deepEqual(ran.response.result, { from: 'trigger', extra: 1 });
  });
  await step('rules.disable / enable: 200, status follows; a disabled rule runs nothing', async () => {
    await ow.rules.disable({ name: 'm-rule' });
    assert.equal((await ow.rules.get({ name: 'm-rule' })).status, 'inactive');
    await ow.rules.disable({ name: 'm-rule' });
    const before = (await ow.activations.list({ name: 'm-ruled', count: true })).activations;
    const r = await ow.triggers.invoke({ name: 'm-trig' });
    assert.ok(!r || !r.activationId, 'no activation without an active rule');
    await ow.rules.enable({ name: 'm-rule' });
    assert.equal((await ow.rules.get({ name: 'm-rule' })).status, 'active');
    assert.equal((await ow.activations.list({ name: 'm-ruled', count: true })).activations, before);
  });
  await step('rules.update: another action, version 0.0.2, status kept', async () => {
    await ow.actions.create({ name: 'm-ruled2', action: code("return { second: true };") });
    const r = await ow.rules.update({ name: 'm-rule', trigger: 'm-trig', action: 'm-ruled2' });
    assert.equal(r.version, '0.0.2');
    assert.deepEqual(r.action, { path: namespace, name: 'm-ruled2' });
    assert.equal(r.status, 'active');
  });
  await step('triggers.update: parameters replaced; the rules kept; list and count', async () => {
    const t = await ow.triggers.update({ name: 'm-trig', trigger: { parameters: [{ key: 'from', value: 'updated' }] } });
    assert.equal(t.version, '0.0.2');
    assert.deepEqual(t.parameters, [{ key: 'from', value: 'updated' }]);
    assert.ok(t.rules && t.rules[`${namespace}/m-rule`], 'rules kept');
    const list = await ow.triggers.list();
    assert.ok(list.some(x => x.name === 'm-trig'));
    assert.deepEqual(await ow.triggers.list({ count: true }), { triggers: list.length });
  });
  await step('rules.delete (status inactive in the answer), triggers.delete', async () => {
    const r = await ow.rules.delete({ name: 'm-rule' });
    assert.equal(r.name, 'm-rule');
    assert.equal(r.status, 'inactive');
    await rejectsWith(ow.rules.get({ name: 'm-rule' }), 404);
    assert.equal((await ow.triggers.delete({ name: 'm-trig' })).name, 'm-trig');
    await rejectsWith(ow.triggers.get({ name: 'm-trig' }), 404);
  });
}

async function feeds() {
  const feed = { name: '/whisk.system/alarms/alarm', trigger: 'm-alarm' };
  await ow.triggers.create({ name: 'm-alarm', trigger: { annotations: [{ key: 'feed', value: '/whisk.system/alarms/alarm' }] } });
  await step('feeds.create against /whisk.system/alarms/alarm: the feed action answers {"status":"success"}', async () => {
    const r = await ow.feeds.create({ ...feed, params: { cron: '0 0 1 1 *', trigger_payload: { from: 'alarm' } } });
    assert.equal(r.response.success, true, JSON.stringify(r.response));
    assert.deepEqual(r.response.result, { status: 'success' });
  });
  await step('feeds.get: the alarm\'s config and status', async () => {
    const r = await ow.feeds.get(feed);
    assert.equal(r.response.success, true, JSON.stringify(r.response));
    assert.equal(r.response.result.config.cron, '0 0 1 1 *');
    assert.equal(r.response.result.config.name, 'm-alarm');
    assert.deepEqual(r.response.result.config.payload, { from: 'alarm' });
    assert.equal(r.response.result.status.active, true);
  });
  await step('feeds.update: a new cron', async () => {
    const r = await ow.feeds.update({ ...feed, params: { cron: '0 0 2 1 *' } });
    assert.deepEqual(r.response.result, { status: 'success' });
    assert.equal((await ow.feeds.get(feed)).response.result.config.cron, '0 0 2 1 *');
  });
  await step('feeds.create without cron: the feed action\'s error', async () => {
    await ow.triggers.create({ name: 'm-alarm2' });
    await assert.rejects(ow.feeds.create({ name: '/whisk.system/alarms/alarm', trigger: 'm-alarm2', params: {} }),
      e => /cron/.test(JSON.stringify(e.error)));
    await ow.triggers.delete({ name: 'm-alarm2' });
  });
  await step('feeds.delete', async () => {
    const r = await ow.feeds.delete(feed);
    assert.deepEqual(r.response.result, { status: 'success' });
    await ow.triggers.delete({ name: 'm-alarm' });
  });
}

async function routes() {
  // Routes default to the .json response type: the whole result is the response body.
  await ow.actions.create({ name: 'm-web', action: code("return { path: params.__ow_path, method: params.__ow_method };"),
    annotations: { 'web-export': true } });
  await step('routes.create: the API as the route management answers it (createApi\'s .value)', async () => {
    const r = await ow.routes.create({ relpath: '/hello', operation: 'GET', action: 'm-web', basepath: '/m-api', name: 'm-api' });
    assert.deepEqual(Object.keys(r).sort(), ['apidoc', 'gwApiActivated', 'gwApiUrl', 'namespace', 'tenantId'], JSON.stringify(r).slice(0, 300));
    assert.equal(r.apidoc.basePath, '/m-api');
    assert.equal(r.apidoc.paths['/hello'].get['x-openwhisk'].action, 'm-web');
  });
  const listed = await step('routes.list / get: {"apis":[{id,key,value:{gwApiUrl,apidoc}}]}', async () => {
    const all = await ow.routes.list();
    assert.equal(all.apis.length, 1);
    const api = all.apis[0].value;
    assert.equal(typeof api.gwApiUrl, 'string');
    assert.ok(api.apidoc.paths['/hello']);
    const one = await ow.routes.get({ basepath: '/m-api' });
    assert.equal(one.apis.length, 1);
    return api;
  });
  await step('the route answers at its gateway URL through the web action', async () => {
    const r = await request('GET', `${listed.gwApiUrl.replace(/\/$/, '')}/hello`);
    assert.equal(r.status, 200, r.text);
    assert.equal(JSON.parse(r.text).method, 'get');
  });
  await step('routes.delete: the API goes', async () => {
    await ow.routes.delete({ basepath: '/m-api' });
    assert.deepEqual((await ow.routes.list()).apis, []);
  });
}

async function cleanup() {
  await step('actions.delete: the deleted action; then 404', async () => {
    for (const name of ['m-act', 'm-seq', 'm-add', 'm-double', 'm-zip', 'm-ruled', 'm-ruled2', 'm-web']) {
      assert.equal((await ow.actions.delete({ name })).name, name);
    }
    const deleted = await ow.actions.delete({ name: 'm-hello' });
    assert.equal(deleted.name, 'm-hello');
    await rejectsWith(ow.actions.get({ name: 'm-hello' }), 404);
    await rejectsWith(ow.actions.delete({ name: 'm-hello' }), 404);
    assert.deepEqual((await ow.actions.list()).filter(a => a.name.startsWith('m-')), []);
  });
}

async function main() {
  // Setup outside a step (an action a step needs) that fails is a failure too; the next group still runs.
  const group = fn => fn().catch(failed);
  // OpenWhisk's info documents: / with the runtimes and limits (aio reads the runtimes there), /api/v1 the API's.
  await group(() => step('GET / and GET /api/v1: the info documents', async () => {
    const root = await request('GET', `${apihost}/`);
    assert.equal(root.status, 200, root.text);
    const info = JSON.parse(root.text);
    assert.ok(info.runtimes && info.runtimes.nodejs && info.runtimes.nodejs.some(r => r.default), root.text);
    assert.ok(info.limits, root.text);
    const api = await request('GET', `${apihost}/api/v1`);
    assert.equal(api.status, 200, api.text);
    assert.equal(JSON.parse(api.text).api_version, '1.0.0');
  }));
  await group(actions);
  await group(activations);
  await group(namespaces);
  await group(packages);
  await group(triggersAndRules);
  await group(feeds);
  await group(routes);
  await group(cleanup);
  return {};
}

run(main);
