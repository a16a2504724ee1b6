// Issue 14's Adobe I/O flow: @adobe/aio-lib-runtime 7.3.0 (pinned in package-lock.json) reads aio/manifest.yml with
// utils.setPaths + utils.processPackage, deploys it with utils.syncProject (twice: a redeploy updates in place), then
// removes it with utils.undeployPackage; each step checked with the openwhisk client. Exits non-zero with the reason.
// Usage: OW_APIHOST=http://127.0.0.1:PORT OW_AUTH=uuid:key [OW_NAMESPACE=guest] node aio-flow.js
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

// aio's config library reads (and may write) ~/.config/aio when it loads: a scratch HOME keeps the real one out.
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'aio-flow-'));
process.env.HOME = home;
process.on('exit', () => fs.rmSync(home, { recursive: true, force: true }));
const runtime = require('@adobe/aio-lib-runtime');
const { ow, apihost, auth, step, check, activation, request, run } = require('./flow');

const namespace = process.env.OW_NAMESPACE || 'guest';
const annotation = (entity, key) => (entity.annotations || []).find(a => a.key === key)?.value;
const logged = [];
const logger = line => logged.push(line);

async function main() {
  // The manifest names its action files relative to itself, and the library reads them relative to the working directory.
  process.chdir(path.join(__dirname, 'aio'));
  const aio = await runtime.init({ apihost, api_key: auth, namespace });
  const files = runtime.utils.setPaths({ manifest: 'manifest.yml' });
  assert.equal(files.projectName, 'perf-aio');
  const entities = () => runtime.utils.processPackage(files.packages, files.deploymentPackages, files.deploymentTriggers, {}, false, { apihost });

  await step('syncProject deploys the manifest', () =>
    runtime.utils.syncProject(files.projectName, files.manifestPath, files.manifestContent, entities(), aio, logger));

  await check('the package, its actions (one web-exported), the trigger and the active rule exist', async () => {
    const pkg = await ow.packages.get({ name: 'perf-aio' });
    assert.deepEqual(pkg.parameters, [{ key: 'colour', value: 'blue' }]);
    assert.equal(annotation(pkg, 'whisk-managed').projectName, 'perf-aio');
    assert.deepEqual(pkg.actions.map(a => a.name).sort(), ['hello', 'page']);
    const page = await ow.actions.get({ name: 'perf-aio/page' });
    assert.equal(page.namespace, `${namespace}/perf-aio`);
    assert.equal(annotation(page, 'web-export'), true);
    const trigger = await ow.triggers.get({ name: 'perf-aio-trigger' });
    assert.deepEqual(trigger.parameters, [{ key: 'source', value: 'manifest' }]);
    const rule = await ow.rules.get({ name: 'perf-aio-rule' });
    assert.equal(rule.status, 'active');
    assert.deepEqual(rule.action, { path: `${namespace}/perf-aio`, name: 'hello' });
  });

  await check('the action runs with its inputs over the package\'s', async () => {
    assert.deepEqual(await ow.actions.invoke({ name: 'perf-aio/hello', blocking: true, result: true }),
      { greeting: 'hello aio', colour: 'blue' });
  });

  await check('the web action answers at /api/v1/web/NS/perf-aio/page', async () => {
    const r = await request('GET', `${apihost}/api/v1/web/${namespace}/perf-aio/page`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, 'page get blue');
  });

  await check('firing the trigger runs the rule\'s action', async () => {
    const fired = await ow.triggers.invoke({ name: 'perf-aio-trigger' });
    const record = await activation(fired.activationId);
    const entry = JSON.parse(record.logs[0]);
    assert.equal(entry.success, true, record.logs[0]);
    const ran = await activation(entry.activationId);
    assert.deepEqual(ran.response.result, { greeting: 'hello aio', colour: 'blue', source: 'manifest' });
  });

  await check('syncProject again (a redeploy) updates everything in place', async () => {
    await runtime.utils.syncProject(files.projectName, files.manifestPath, files.manifestContent, entities(), aio, logger);
    assert.equal((await ow.rules.get({ name: 'perf-aio-rule' })).status, 'active');
    assert.equal((await ow.actions.get({ name: 'perf-aio/hello' })).version, '0.0.2');
  });

  await check('undeployPackage removes the actions, the trigger, the rule and the package', async () => {
    const names = runtime.utils.processPackage(files.packages, {}, {}, {}, true, { apihost });
    await runtime.utils.undeployPackage(names, aio, logger);
    for (const [kind, name] of [['actions', 'perf-aio/hello'], ['actions', 'perf-aio/page'], ['triggers', 'perf-aio-trigger'],
      ['rules', 'perf-aio-rule'], ['packages', 'perf-aio']]) {
      await assert.rejects(ow[kind].get({ name }), e => e.statusCode === 404, `${kind} ${name} is gone`);
    }
  });
  return { logged: logged.length };
}

run(main);
