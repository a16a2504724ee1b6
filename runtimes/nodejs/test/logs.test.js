'use strict';
// Activation output: OpenWhisk's untouched streams without concurrency; tagged lines and named
// sentinels in the structured and buffered modes (README.md, "Logs").
const test = require('node:test');
const assert = require('node:assert/strict');
const { startRuntime, activationId } = require('../test-support/runtime-process');

const SENTINEL = 'XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX';
const TIMEOUT = { timeout: 60_000 };

/** Splits tagged output into { tag, text } lines and { sentinel } lines, as the invoker would. */
function parseTagged(lines) {
  return lines.map((line) => {
    if (line.startsWith(`${SENTINEL} `)) return { sentinel: line.slice(SENTINEL.length + 1) };
    const space = line.indexOf(' ');
    assert.notEqual(space, -1, `untagged line ${JSON.stringify(line)}`);
    return { tag: line.slice(0, space), text: line.slice(space + 1) };
  });
}

function countSentinels(text) {
  return text.split('\n').filter((line) => line.startsWith(SENTINEL)).length;
}

/** Waits until both streams carry `count` sentinels, then returns their parsed lines. */
async function taggedOutput(rt, count) {
  await rt.waitFor('stdout', (text) => countSentinels(text) >= count);
  await rt.waitFor('stderr', (text) => countSentinels(text) >= count);
  return { stdout: parseTagged(rt.lines('stdout')), stderr: parseTagged(rt.lines('stderr')) };
}

/**
 * Overlapping activations (a barrier holds them until all have arrived) that write lines, partial
 * lines, multi-line strings and a UTF-8 character split across two Buffer writes, with pauses in between.
 */
const CHATTY_ACTION = `
  let arrived = 0;
  let open;
  const barrier = new Promise((resolve) => { open = resolve; });
  const pause = () => new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 10)));

  async function main(params) {
    const id = process.env.__OW_ACTIVATION_ID;
    console.log('start ' + id);
    if (++arrived === params.expected) open();
    await barrier;
    await pause();
    process.stdout.write('partial ' + id);
    await pause();
    process.stdout.write(' continued ' + id + '\\n');
    console.error('multi 1 ' + id + '\\nmulti 2 ' + id);
    await pause();
    const utf8 = Buffer.from('h\\u00e9llo ' + id + '\\n');
    process.stdout.write(utf8.subarray(0, 2));
    await pause();
    process.stdout.write(utf8.subarray(2));
    await new Promise((resolve) => setTimeout(() => { console.log('timer ' + id); resolve(); }, Math.random() * 5));
    process.stdout.write('unterminated ' + id);
    return {};
  }`;

function expectedChat(id) {
  return {
    stdout: [`start ${id}`, `partial ${id} continued ${id}`, `h\u00e9llo ${id}`, `timer ${id}`, `unterminated ${id}`],
    stderr: [`multi 1 ${id}`, `multi 2 ${id}`],
  };
}

async function runChattyActivations(rt, count) {
  assert.equal((await rt.init({ code: CHATTY_ACTION })).status, 200);
  const ids = Array.from({ length: count }, () => activationId());
  const responses = await Promise.all(ids.map((id) => rt.run({ expected: count }, { activation_id: id })));
  for (const res of responses) assert.equal(res.status, 200);
  return { ids, output: await taggedOutput(rt, count) };
}

/** Every line is tagged with its writer, in order, and precedes the writer's sentinel. */
function assertAttributed(ids, output) {
  for (const stream of ['stdout', 'stderr']) {
    const lines = output[stream];
    for (const line of lines) {
      if (line.tag !== undefined) assert.ok(line.text.endsWith(line.tag), `${stream}: ${line.tag} ${line.text}`);
    }
    for (const id of ids) {
      const own = lines.filter((line) => line.tag === id).map((line) => line.text);
      assert.deepEqual(own, expectedChat(id)[stream]);
      const lastLine = lines.findLastIndex((line) => line.tag === id);
      const sentinels = lines.flatMap((line, index) => (line.sentinel === id ? [index] : []));
      assert.equal(sentinels.length, 1, `${stream}: one sentinel for ${id}`);
      assert.ok(sentinels[0] > lastLine, `${stream}: sentinel of ${id} after its lines`);
    }
  }
}

test('without concurrency output is untouched and each activation ends with bare sentinels', async (t) => {
  const rt = await startRuntime(t, { logMode: 'buffered' }); // OW_LOG_MODE applies only with concurrency
  const code = 'function main(p) { console.log("out " + p.n); console.error("err " + p.n + "\\nsecond line"); return {}; }';
  assert.equal((await rt.init({ code })).status, 200);
  await rt.run({ n: 1 });
  await rt.run({ n: 2 });
  await rt.waitFor('stderr', (text) => countSentinels(text) === 2);
  await rt.waitFor('stdout', (text) => countSentinels(text) === 2);
  assert.equal(rt.output('stdout'), `out 1\n${SENTINEL}\nout 2\n${SENTINEL}\n`);
  assert.equal(rt.output('stderr'), `err 1\nsecond line\n${SENTINEL}\nerr 2\nsecond line\n${SENTINEL}\n`);
});

test('structured: interleaved lines of 50 overlapping activations are each tagged with their own id', TIMEOUT, async (t) => {
  const rt = await startRuntime(t, { concurrent: true });
  const { ids, output } = await runChattyActivations(rt, 50);
  assertAttributed(ids, output);
  // The barrier makes activations interleave: some activation's line comes between another's.
  const tags = output.stdout.filter((line) => line.tag !== undefined).map((line) => line.tag);
  assert.ok(tags.some((tag, i) => i > 0 && tag !== tags[i - 1] && tags.indexOf(tag) < i - 1), 'interleaved');
});

test('structured is the default log mode with concurrency', async (t) => {
  const rt = await startRuntime(t, { concurrent: true });
  assert.equal((await rt.init({ code: 'function main() { console.log("one"); return {}; }' })).status, 200);
  const id = activationId();
  await rt.run({}, { activation_id: id });
  await rt.waitFor('stderr', (text) => text.includes(SENTINEL));
  assert.equal(await rt.waitFor('stdout', (text) => text.includes(SENTINEL)), `${id} one\n${SENTINEL} ${id}\n`);
  assert.equal(rt.output('stderr'), `${SENTINEL} ${id}\n`);
});

test('buffered: each activation\'s lines come as one block directly followed by its sentinel', TIMEOUT, async (t) => {
  const rt = await startRuntime(t, { concurrent: true, logMode: 'buffered' });
  const { ids, output } = await runChattyActivations(rt, 50);
  assertAttributed(ids, output);
  for (const stream of ['stdout', 'stderr']) {
    const lines = output[stream];
    for (const id of ids) {
      const expected = expectedChat(id)[stream];
      const first = lines.findIndex((line) => line.tag === id);
      const block = lines.slice(first, first + expected.length + 1);
      assert.deepEqual(block, [...expected.map((text) => ({ tag: id, text })), { sentinel: id }]);
    }
  }
});

for (const logMode of ['structured', 'buffered']) {
  test(`${logMode}: output outside any activation is tagged "-"`, async (t) => {
    const rt = await startRuntime(t, { concurrent: true, logMode });
    assert.equal((await rt.run()).status, 403);
    await rt.waitFor('stderr', (text) => text.includes('\n'));
    assert.equal(rt.output('stderr'), '- Internal system error: System not initialized.\n');
  });

  test(`${logMode}: init output belongs to the activation named in the init env`, async (t) => {
    const rt = await startRuntime(t, { concurrent: true, logMode });
    const id = activationId();
    const code = 'console.log("loading\\nmodule"); function main() { console.log("running"); return {}; }';
    assert.equal((await rt.init({ code, env: { __OW_ACTIVATION_ID: id } })).status, 200);
    await rt.run({}, { activation_id: id });
    const stdout = await rt.waitFor('stdout', (text) => text.includes(SENTINEL));
    assert.equal(stdout, `${id} loading\n${id} module\n${id} running\n${SENTINEL} ${id}\n`);
  });

  test(`${logMode}: a failed init ends with sentinels naming the activation in the init env`, async (t) => {
    const rt = await startRuntime(t, { concurrent: true, logMode });
    const id = activationId();
    const res = await rt.init({ code: 'console.log("about to fail"); throw new Error("bad module");', env: { __OW_ACTIVATION_ID: id } });
    assert.equal(res.status, 502);
    const stdout = await rt.waitFor('stdout', (text) => text.includes(SENTINEL));
    assert.equal(stdout, `${id} about to fail\n${SENTINEL} ${id}\n`);
    const stderr = parseTagged((await rt.waitFor('stderr', (text) => text.includes(SENTINEL))).trimEnd().split('\n'));
    assert.deepEqual(stderr[0], { tag: id, text: 'Error during initialization: Error: bad module' });
    assert.ok(stderr.slice(0, -1).every((line) => line.tag === id));
    assert.deepEqual(stderr.at(-1), { sentinel: id });
  });

  test(`${logMode}: output an activation leaves behind comes after its sentinel, still tagged`, async (t) => {
    const rt = await startRuntime(t, { concurrent: true, logMode });
    const code = 'function main() { setTimeout(() => process.stdout.write("late\\nlater"), 20); console.log("on time"); return {}; }';
    assert.equal((await rt.init({ code })).status, 200);
    const id = activationId();
    await rt.run({}, { activation_id: id });
    const stdout = await rt.waitFor('stdout', (text) => text.endsWith('later\n'));
    assert.equal(stdout, `${id} on time\n${SENTINEL} ${id}\n${id} late\n${id} later\n`);
  });

  test(`${logMode}: an activation id that could be confused with the format is tagged "-"`, async (t) => {
    const rt = await startRuntime(t, { concurrent: true, logMode });
    assert.equal((await rt.init({ code: 'function main() { console.log("spaced"); return {}; }' })).status, 200);
    await rt.run({}, { activation_id: 'not an id' });
    assert.equal(await rt.waitFor('stdout', (text) => text.includes(SENTINEL)), `- spaced\n${SENTINEL} -\n`);
  });
}

test('buffered: an activation that calls process.exit() still gets its held lines out', async (t) => {
  const rt = await startRuntime(t, { concurrent: true, logMode: 'buffered' });
  const code = 'function main() { console.log("last words"); process.stdout.write("unfinished"); process.exit(3); }';
  assert.equal((await rt.init({ code })).status, 200);
  const id = activationId();
  await assert.rejects(rt.run({}, { activation_id: id }));
  assert.deepEqual(await rt.exited, { code: 3, signal: null });
  assert.equal(rt.output('stdout'), `${id} last words\n${id} unfinished\n`);
});
