'use strict';
// Binary (ZIP) actions: the built-in extractor, entry file and main resolution, exact errors.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startRuntime } = require('../test-support/runtime-process');
const { makeZip } = require('../test-support/zip-writer');

const FIXTURES = path.join(__dirname, '..', 'test-support', 'fixtures');

function fixture(name) {
  return fs.readFileSync(path.join(FIXTURES, name)).toString('base64');
}

/** Starts a runtime, inits it with a base64 archive and returns it with the init response. */
async function initZip(t, code, main = 'main') {
  const rt = await startRuntime(t);
  const init = await rt.init({ binary: true, code, main });
  return { rt, init };
}

async function assertRuns(t, code, main, expected) {
  const { rt, init } = await initZip(t, code, main);
  assert.equal(init.status, 200, init.text);
  const run = await rt.run({ name: 'zip' });
  assert.equal(run.status, 200, run.text);
  assert.deepEqual(run.body, expected);
}

test('a package made by zip(1): package.json main, node_modules and the archive as working directory', async (t) => {
  await assertRuns(t, fixture('package-action.zip'), 'main', { message: 'HELLO ZIP!', packageInCwd: true });
});

test('zip(1) archives with Zip64 records and with data descriptors', async (t) => {
  await assertRuns(t, fixture('zip64-action.zip'), 'main', { zip64: true });
  await assertRuns(t, fixture('streamed-action.zip'), 'main', { zip64: true });
});

test('stored entries, directories, symlinks and index.js without package.json', async (t) => {
  const zip = makeZip([
    { name: 'lib/' },
    { name: 'lib/data.txt', data: 'stored text', method: 'stored' },
    { name: 'data-link.txt', data: 'lib/data.txt', mode: 0o120777 },
    { name: 'index.js', data: 'exports.main = () => ({ text: require("fs").readFileSync("data-link.txt", "utf8") });' },
  ]);
  await assertRuns(t, zip.toString('base64'), 'main', { text: 'stored text' });
});

test('main resolution in archives: "file.path.to.fn", module.exports as the function, ES modules', async (t) => {
  const cases = [
    ['file and dotted name', [{ name: 'handlers.js', data: 'exports.api = { get: (p) => ({ got: p.name }) };' }], 'handlers.api.get', { got: 'zip' }],
    ['module.exports function', [{ name: 'index.js', data: 'module.exports = (p) => ({ whole: p.name });' }], 'main', { whole: 'zip' }],
    ['index.mjs', [{ name: 'index.mjs', data: 'export function main(p) { return { esm: p.name }; }' }], 'main', { esm: 'zip' }],
    ['file.mjs', [{ name: 'fns.mjs', data: 'export const hello = (p) => ({ esmFile: p.name });' }], 'fns.hello', { esmFile: 'zip' }],
    ['"type": "module" package', [
      { name: 'package.json', data: '{ "type": "module", "main": "src/app.js" }' },
      { name: 'src/app.js', data: 'import { join } from "node:path";\nexport default (p) => ({ typeModule: join(p.name, "x") });' },
    ], 'main', { typeModule: 'zip/x' }],
  ];
  for (const [name, entries, main, expected] of cases) {
    await t.test(name, (t) => assertRuns(t, makeZip(entries).toString('base64'), main, expected));
  }
});

test('an archive without package.json or index.js fails init with OpenWhisk\'s message', async (t) => {
  const { init } = await initZip(t, makeZip([{ name: 'other.js', data: 'exports.main = () => ({})' }]).toString('base64'));
  assert.equal(init.status, 502);
  assert.deepEqual(init.body, {
    error: 'Initialization has failed due to: Zipped actions must contain either package.json or index.js at the root.',
  });
});

test('archives that cannot be extracted fail init with There was an error uncompressing the action archive.', async (t) => {
  const good = makeZip([{ name: 'index.js', data: 'exports.main = () => ({});' }]);
  const corrupt = Buffer.from(good);
  corrupt[40] ^= 0xff; // inside the deflated data of index.js
  const cases = {
    'not a zip': Buffer.from('definitely not a zip archive').toString('base64'),
    'empty': '',
    'truncated': good.subarray(0, good.length - 10).toString('base64'),
    'corrupt data': corrupt.toString('base64'),
    'zip slip': makeZip([{ name: '../escaped.js', data: 'x' }]).toString('base64'),
    'absolute name': makeZip([{ name: '/tmp/absolute.js', data: 'x' }]).toString('base64'),
  };
  for (const [name, code] of Object.entries(cases)) {
    await t.test(name, async (t) => {
      const rt = await startRuntime(t);
      const init = await rt.post('/init', { value: { binary: true, main: 'main', code } });
      if (name === 'empty') {
        assert.deepEqual(init.body, { error: 'Missing main/no code to execute.' }); // an empty code is missing code
        return;
      }
      assert.equal(init.status, 502);
      assert.deepEqual(init.body, { error: 'Initialization has failed due to: There was an error uncompressing the action archive.' });
    });
  }
});

test('a main name OpenWhisk cannot split fails init with Name of main function is not valid.', async (t) => {
  const { init } = await initZip(t, makeZip([{ name: 'index.js', data: 'exports.main = () => ({});' }]).toString('base64'), 'index.');
  assert.deepEqual(init.body, { error: 'Initialization has failed due to: Name of main function is not valid.' });
});

test('a missing export in an archive fails init with Action entrypoint is not a function.', async (t) => {
  const { init } = await initZip(t, makeZip([{ name: 'index.js', data: 'exports.other = () => ({});' }]).toString('base64'));
  assert.deepEqual(init.body, { error: "Initialization has failed due to: Action entrypoint 'main' is not a function." });
});
