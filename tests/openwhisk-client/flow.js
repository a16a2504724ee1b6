// What the client flows (serverless-flow.js, client-methods.js, aio-flow.js) share: the OpenWhisk client for
// OW_APIHOST/OW_AUTH, named steps that fail with the step's name and the reason, and waiting by polling.
'use strict';
const openwhisk = require('openwhisk');

const apihost = process.env.OW_APIHOST;
const auth = process.env.OW_AUTH;
if (!apihost || !auth) {
  console.error('usage: OW_APIHOST=http://127.0.0.1:PORT OW_AUTH=uuid:key node SCRIPT');
  process.exit(2);
}

const ow = openwhisk({ apihost, api_key: auth });
const sleep = ms => new Promise(r => setTimeout(r, ms));

// Why a step failed: the client's status and message, or the assertion with the script line that made it.
function reason(e) {
  if (e && e.statusCode) return `${e.statusCode} ${e.message}`;
  if (e && e.code === 'ERR_ASSERTION') {
    const at = (e.stack || '').split('\n').find(line => /-(flow|methods)\.js:/.test(line));
    // deepEqual's message is a whole diff: its first lines say enough.
    const message = e.message.split('\n').slice(0, 12).join('\n');
    return `${message}${at ? ` (${at.trim()})` : ''}`;
  }
  return (e && e.stack) || e;
}

// One line per step on stdout, so a failed run shows how far it got; the error names the step.
async function step(name, fn) {
  const started = Date.now();
  try {
    const value = await fn();
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
    return value;
  } catch (e) {
    throw new Error(`step "${name}" failed: ${reason(e)}`);
  }
}

// A step whose failure does not stop the flow: later steps still run, so one run lists every answer that differs
// from OpenWhisk's; its value is then undefined (steps that need it fail too), and the flow exits non-zero at the end.
const failures = [];
function failed(e) {
  failures.push(e.message);
  console.log(`FAIL ${e.message}`);
}
const check = (name, fn) => step(name, fn).catch(failed);

// Polls fn until it returns something truthy (which it returns); errors of fn count as "not yet", the last one
// is reported with the timeout.
async function eventually(what, fn, timeoutMs = 60000) {
  const until = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
      last = undefined;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) {
      throw new Error(`${what}: not within ${timeoutMs / 1000} s${last ? ` (last error: ${last.statusCode || ''} ${last.message})` : ''}`);
    }
    await sleep(250);
  }
}

// An activation record by id, once it is written.
const activation = id => eventually(`the record of activation ${id}`, () => ow.activations.get({ name: id }));

// A request without the client (web actions, the API gateway): status, headers and body text.
async function request(method, url, { headers = {}, body } = {}) {
  const response = await fetch(url, { method, headers, body });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function run(main) {
  main().then(
    summary => {
      if (failures.length) throw new Error(`${failures.length} step(s) failed:\n${failures.join('\n')}`);
      console.log(JSON.stringify({ ok: true, ...summary }));
    }).then(undefined,
    e => {
      console.error(e && e.message ? e.message : e);
      process.exit(1);
    });
}

module.exports = { ow, apihost, auth, sleep, step, check, failed, eventually, activation, request, run };
