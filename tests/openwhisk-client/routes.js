// Drives the standalone invoker's API routes with the real OpenWhisk JavaScript client (issue 14): a web action,
// ow.routes.create for GET /hello/greet on base path /demo, ow.routes.get and list, the route called on the gateway
// URL the API answers (gwApiUrl), ow.routes.delete, then the route is gone. Exits non-zero with the reason when a step fails.
// Usage: OW_APIHOST=http://127.0.0.1:PORT OW_AUTH=uuid:key node routes.js
'use strict';
const assert = require('node:assert/strict');
const openwhisk = require('openwhisk');

const ow = openwhisk({ apihost: process.env.OW_APIHOST, api_key: process.env.OW_AUTH });

async function run() {
  await ow.actions.create({
    name: 'greeter',
    action: 'function main(p) { return { greeting: "hello " + (p.name || "world"), method: p.__ow_method }; }',
    annotations: { 'web-export': true },
  });

  const created = await ow.routes.create({ basepath: '/demo', relpath: '/hello/greet', operation: 'GET', action: 'greeter' });
  const url = created.gwApiUrl; // createApi answers the API's value alone, as OpenWhisk's routemgmt does
  assert.match(url, /\/api\/[0-9a-f]{32}\/demo$/);
  assert.equal(created.apidoc.paths['/hello/greet'].get['x-openwhisk'].action, 'greeter');

  const got = await ow.routes.get({ basepath: '/demo' });
  assert.equal(got.apis.length, 1);
  assert.equal(got.apis[0].value.gwApiUrl, url);
  const listed = await ow.routes.list();
  assert.equal(listed.apis.length, 1);

  const answer = await fetch(`${url}/hello/greet?name=route`);
  assert.equal(answer.status, 200);
  assert.deepEqual(await answer.json(), { greeting: 'hello route', method: 'get' });

  await ow.routes.delete({ basepath: '/demo' });
  assert.equal((await ow.routes.list()).apis.length, 0);
  assert.equal((await fetch(`${url}/hello/greet`)).status, 404);
  await assert.rejects(ow.routes.delete({ basepath: '/demo' }), /does not exist/);
  console.log(JSON.stringify({ ok: true, gwApiUrl: url }));
}

run().catch(e => {
  console.error(e.stack || e);
  process.exit(1);
});
