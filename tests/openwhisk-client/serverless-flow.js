// Issue 14's Serverless Framework flow: `serverless deploy`, `info`, `invoke` (each kind of function), `logs` and
// `remove` of serverless/serverless.yml (Serverless 3.40.0 + serverless-openwhisk 0.18.4, pinned in
// package-lock.json), each exiting 0 and doing what it says, checked with the openwhisk client; the trigger fired
// runs its rule's action and the `schedule` event's alarm fires. Exits non-zero with the failed step and reason.
// Usage: OW_APIHOST=http://127.0.0.1:PORT OW_AUTH=uuid:key [OW_NAMESPACE=guest] node serverless-flow.js
// SLS_FLOW_SCHEDULE_TIMEOUT_S (default 150): how long to wait for the every-minute cron (the plugin only takes
// 5-field crons, so a minute is the shortest period; the wait overlaps the other steps). The plugin does not bind the
// schedule's alarm itself (its bug, see below): the flow does.
'use strict';
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ow, apihost, auth, step, check, eventually, activation, request, run } = require('./flow');

const namespace = process.env.OW_NAMESPACE || 'guest';
const scheduleTimeoutMs = Number(process.env.SLS_FLOW_SCHEDULE_TIMEOUT_S || 150) * 1000;
const slsBin = path.join(__dirname, 'node_modules', 'serverless', 'bin', 'serverless.js');

// The service is copied to a scratch directory (serverless writes .serverless/ beside serverless.yml) with
// node_modules linked so the plugin resolves; HOME and the .wskprops are scratch too: the credentials reach the
// plugin as `wsk property set` would leave them, and nothing is read from or written to the real home.
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sls-flow-'));
const service = path.join(scratch, 'service');
const home = path.join(scratch, 'home');
fs.mkdirSync(service);
fs.mkdirSync(home);
for (const file of ['serverless.yml', 'handler.js']) {
  fs.copyFileSync(path.join(__dirname, 'serverless', file), path.join(service, file));
}
fs.symlinkSync(path.join(__dirname, 'node_modules'), path.join(service, 'node_modules'), 'dir');
process.on('exit', () => fs.rmSync(scratch, { recursive: true, force: true }));
const wskprops = path.join(home, '.wskprops');
fs.writeFileSync(wskprops, `APIHOST=${apihost}\nAUTH=${auth}\nNAMESPACE=${namespace}\n`);

const env = { ...process.env, HOME: home, USERPROFILE: home, WSK_CONFIG_FILE: wskprops,
  // Serverless must not phone home: no telemetry, notifications, deprecation calls or update checks.
  SLS_TELEMETRY_DISABLED: '1', SLS_TRACKING_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', SLS_DEPRECATION_DISABLE: '*',
  SLS_DISABLE_AUTO_UPDATE: '1', SLS_GEO_LOCATION: 'no-cn', SLS_INTERACTIVE_SETUP_DISABLE: '1', CI: '1', NO_COLOR: '1',
  FORCE_COLOR: '0' };
for (const name of ['OW_APIHOST', 'OW_AUTH', 'OW_NAMESPACE', 'OW_APIGW_ACCESS_TOKEN']) delete env[name];

// `serverless ARGS…` in the service directory: its output, or an error with it when the exit code is not 0.
function sls(...args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [slsBin, ...args], { cwd: service, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', d => { out += d; });
    child.stderr.on('data', d => { out += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 300000);
    child.on('close', code => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`serverless ${args.join(' ')} exited ${code}:\n${out}`));
    });
  });
}

// `serverless invoke` prints the result as indented JSON after any log lines.
async function invoke(fn, data) {
  const out = await sls('invoke', '-f', fn, '--data', JSON.stringify(data));
  const json = out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1);
  try {
    return JSON.parse(json);
  } catch {
    throw new Error(`serverless invoke -f ${fn} printed no JSON result:\n${out}`);
  }
}

const annotation = (entity, key) => (entity.annotations || []).find(a => a.key === key)?.value;

// The activations of an action whose result satisfies the predicate.
async function activationsOf(name, predicate) {
  const list = await ow.activations.list({ name, limit: 100, docs: true });
  return list.filter(a => a.response && a.response.result && predicate(a.response.result));
}

async function main() {
  const names = ['hello', 'shout', 'greet', 'page', 'api', 'fired', 'tick'].map(f => `perf-sls-dev-${f}`);

  await step('serverless deploy exits 0', () => sls('deploy'));
  const deployedAt = Date.now();
  // serverless-openwhisk 0.18.4 never binds a `schedule` trigger to its alarm on any OpenWhisk: deployTriggers clears
  // each trigger's `feed` (Object.assign(trigger, {feed: undefined}) on the compiled object) before deployFeeds reads
  // it (serverless/serverless-openwhisk#195, open). The flow binds it as deployFeeds would have, with the parameters the
  // plugin compiled, so the schedule still fires through the built-in alarms feed.
  await step('the schedule trigger is bound to /whisk.system/alarms/alarm (by the flow: the plugin\'s bug #195)', async () => {
    const feed = { feedName: 'alarms/alarm', namespace: 'whisk.system', trigger: `/${namespace}/perf-sls_tick_schedule_trigger` };
    const bound = await ow.feeds.get(feed).then(() => true, () => false);
    if (!bound) {
      const created = await ow.feeds.create({ ...feed, params: { cron: '* * * * *', trigger_payload: JSON.stringify({ source: 'schedule' }) } });
      assert.deepEqual(created.response.result, { status: 'success' });
    }
    console.log(`     the alarm was ${bound ? 'bound by serverless deploy' : 'not bound by serverless deploy, bound by the flow'}`);
  });
  // The alarm fires every minute from now on; waited for at the end, after the other steps.
  const scheduled = eventually('an activation of perf-sls-dev-tick fired by the schedule',
    async () => (await activationsOf('perf-sls-dev-tick', r => r.payload === JSON.stringify({ source: 'schedule' })))[0], scheduleTimeoutMs);
  scheduled.catch(() => {});

  await check('deploy created the actions, the package, the triggers, the rules and the route', async () => {
    const actions = await ow.actions.list({ limit: 200 });
    for (const name of names) assert.ok(actions.some(a => a.name === name && a.namespace === namespace), `action ${name} in ${namespace}`);
    assert.ok(actions.some(a => a.name === 'inpkg' && a.namespace === `${namespace}/perf-sls-pkg`), 'action perf-sls-pkg/inpkg');
    const hello = await ow.actions.get({ name: 'perf-sls-dev-hello' });
    assert.equal(hello.exec.binary, true, 'the plugin uploads a zip: exec.binary is true');
    const greet = await ow.actions.get({ name: 'perf-sls-dev-greet' });
    assert.equal(greet.exec.kind, 'sequence');
    assert.deepEqual(greet.exec.components, [`/${namespace}/perf-sls-dev-hello`, `/${namespace}/perf-sls-dev-shout`]);
    assert.equal(annotation(await ow.actions.get({ name: 'perf-sls-dev-page' }), 'web-export'), true, 'page is web-exported');
    const pkg = await ow.packages.get({ name: 'perf-sls-pkg' });
    assert.deepEqual(pkg.parameters, [{ key: 'colour', value: 'blue' }]);
    const triggers = (await ow.triggers.list()).map(t => t.name);
    assert.ok(triggers.includes('perf-sls-trigger') && triggers.includes('perf-sls_tick_schedule_trigger'), `triggers ${triggers}`);
    assert.equal(annotation(await ow.triggers.get({ name: 'perf-sls_tick_schedule_trigger' }), 'feed'), '/whisk.system/alarms/alarm');
    for (const name of ['perf-sls-rule', 'perf-sls_tick_schedule_rule']) {
      const rule = await ow.rules.get({ name });
      assert.equal(rule.status, 'active', `rule ${name} is active`);
    }
    const routes = await ow.routes.list();
    assert.ok(routes.apis.some(api => api.value.apidoc.paths['/greeting']), `a route for /greeting: ${JSON.stringify(routes)}`);
  });

  await check('serverless info exits 0 and lists what was deployed', async () => {
    const out = await sls('info');
    for (const expected of ['perf-sls-dev-hello', 'perf-sls-pkg/inpkg', 'perf-sls-pkg', 'perf-sls-trigger', 'perf-sls-rule',
      'perf-sls_tick_schedule_trigger', `/api/v1/web/${namespace}/default/perf-sls-dev-page`]) {
      assert.ok(out.includes(expected), `info shows ${expected}:\n${out}`);
    }
    assert.match(out, /GET \S+\/greeting --> perf-sls-dev-api/, `info shows the route:\n${out}`);
  });

  await check('serverless invoke: a plain function with its default parameter and with data', async () => {
    assert.deepEqual(await invoke('hello', {}), { greeting: 'hello world' });
    assert.deepEqual(await invoke('hello', { name: 'sls' }), { greeting: 'hello sls' });
    assert.deepEqual(await invoke('shout', { greeting: 'quiet' }), { greeting: 'QUIET' });
  });
  await check('serverless invoke: a function in a package gets the package parameters', async () => {
    assert.deepEqual(await invoke('inpkg', { own: 1 }), { colour: 'blue', own: 1 });
  });
  await check('serverless invoke: a sequence runs its components in order', async () => {
    assert.deepEqual(await invoke('greet', { name: 'seq' }), { greeting: 'HELLO SEQ' });
  });
  await check('serverless invoke: the web action, the http function and the rule\'s function run as actions', async () => {
    assert.deepEqual(await invoke('page', { name: 'x' }), { headers: { 'content-type': 'text/html' }, body: '<p>hi x</p>' });
    assert.deepEqual(await invoke('api', { name: 'x' }), { name: 'x' });
    assert.deepEqual(await invoke('fired', { source: 'cli' }), { firedBy: 'cli' });
    assert.deepEqual(await invoke('tick', { source: 'cli' }), { tickBy: 'cli' });
  });

  await check('the web action answers at /api/v1/web/NS/default/perf-sls-dev-page.html', async () => {
    const r = await request('GET', `${apihost}/api/v1/web/${namespace}/default/perf-sls-dev-page.html?name=web`);
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type'), /^text\/html/);
    assert.equal(r.text, '<p>hi web</p>');
  });

  await check('the http function is a web action that requires its whisk auth key', async () => {
    const api = await ow.actions.get({ name: 'perf-sls-dev-api' });
    const key = annotation(api, 'require-whisk-auth');
    assert.equal(annotation(api, 'web-export'), true);
    assert.equal(typeof key, 'string');
    const url = `${apihost}/api/v1/web/${namespace}/default/perf-sls-dev-api.json?name=web`;
    const denied = await request('GET', url);
    assert.equal(denied.status, 401, denied.text);
    const allowed = await request('GET', url, { headers: { 'X-Require-Whisk-Auth': key } });
    assert.equal(allowed.status, 200, allowed.text);
    assert.deepEqual(JSON.parse(allowed.text), { api: 'get', name: 'web' });
  });

  await check('the http event\'s route answers GET /greeting at the gateway URL', async () => {
    const routes = await ow.routes.list();
    const api = routes.apis.find(a => a.value.apidoc.paths['/greeting']).value;
    const r = await request('GET', `${api.gwApiUrl.replace(/\/$/, '')}/greeting?name=gw`);
    assert.equal(r.status, 200, `${api.gwApiUrl}/greeting: ${r.status} ${r.text}`);
    assert.deepEqual(JSON.parse(r.text), { api: 'get', name: 'gw' });
  });

  const fire = await check('firing the trigger runs the rule\'s action; the trigger\'s record names its activation', async () => {
    const fired = await ow.triggers.invoke({ name: 'perf-sls-trigger', params: { source: 'trigger' } });
    assert.match(fired.activationId, /^[0-9a-f]{32}$/);
    const ran = await eventually('an activation of perf-sls-dev-fired with the fire\'s parameters',
      async () => (await activationsOf('perf-sls-dev-fired', r => r.firedBy === 'trigger'))[0]);
    // OpenWhisk posts the rule's action like any invoke (no cause); the trigger's record logs one JSON line per rule.
    const record = await activation(fired.activationId);
    assert.equal(record.name, 'perf-sls-trigger');
    assert.deepEqual(record.logs.map(line => JSON.parse(line)).map(({ rule, action, success, activationId }) => ({ rule, action, success, activationId })),
      [{ rule: `${namespace}/perf-sls-rule`, action: `${namespace}/perf-sls-dev-fired`, success: true, activationId: ran.activationId }]);
    return ran;
  });

  await check('serverless logs exits 0 and shows the rule\'s activation and its log line', async () => {
    const out = await sls('logs', '-f', 'fired');
    assert.ok(out.includes(fire.activationId), `logs show activation ${fire.activationId}:\n${out}`);
    assert.ok(out.includes('fired by trigger'), `logs show the log line:\n${out}`);
  });

  const tick = await check('the schedule (cron every minute, alarms feed) fired its trigger, which ran the tick function', async () => {
    const ran = await scheduled;
    const triggerRecords = await ow.activations.list({ name: 'perf-sls_tick_schedule_trigger', docs: true, limit: 100 });
    assert.ok(triggerRecords.some(t => (t.logs || []).some(line => line.includes(ran.activationId))),
      `a perf-sls_tick_schedule_trigger activation names ${ran.activationId}`);
    return ran;
  });

  await check('serverless remove exits 0', () => sls('remove'));
  await check('remove deleted the actions, the package, the triggers, the rules and the route', async () => {
    const actions = await ow.actions.list({ limit: 200 });
    assert.deepEqual(actions.filter(a => a.name.startsWith('perf-sls') || a.namespace.endsWith('/perf-sls-pkg')).map(a => a.name), []);
    await assert.rejects(ow.packages.get({ name: 'perf-sls-pkg' }), e => e.statusCode === 404);
    assert.deepEqual((await ow.triggers.list()).filter(t => t.name.startsWith('perf-sls')), []);
    assert.deepEqual((await ow.rules.list()).filter(r => r.name.startsWith('perf-sls')), []);
    const routes = await ow.routes.list();
    assert.equal((routes.apis || []).length, 0, JSON.stringify(routes));
  });

  return { scheduleFiredAfterMs: tick ? tick.start - deployedAt : null };
}

run(main);
