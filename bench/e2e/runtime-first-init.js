'use strict';
// The runtime's share of a stem cell's cold start (bench/results/coldstart.md): the first /init and /run on a runtime
// that already listens, for two runtime folders side by side, and for the second also while another runtime starts
// beside it (what a backfill started at once would do to the activation).
// usage: node bench/e2e/runtime-first-init.js OLD_RUNTIME_DIR NEW_RUNTIME_DIR
const { spawn } = require('node:child_process');
const http = require('node:http');
function post(agent, port, path, body) {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': data.length } }, (res) => { res.resume(); res.on('end', resolve); });
    req.on('error', reject); req.end(data);
  });
}
function start(dir) {
  const child = spawn(process.execPath, ['--max-old-space-size=256', dir], { env: { PATH: process.env.PATH, OW_RUNTIME_HOST: '127.0.0.1', OW_RUNTIME_PORT: '0' }, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.resume();
  const port = new Promise((resolve) => { let buf = ''; child.stdout.on('data', (d) => { buf += d; const m = /OW_RUNTIME_LISTENING (\d+)/.exec(buf); if (m) resolve(Number(m[1])); }); });
  return { child, port };
}
async function one(i, contend, dir) {
  const a = start(dir); const port = await a.port; await new Promise((r) => setTimeout(r, 300));
  const agent = new http.Agent({ keepAlive: true });
  const t0 = process.hrtime.bigint();
  const other = contend ? start(dir) : undefined;
  await post(agent, port, '/init', { value: { name: 'a', main: 'main', code: `function main() { return { i: ${i} }; }` } });
  await post(agent, port, '/run', { value: {}, activation_id: 'x' + i });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  agent.destroy();
  if (other) { await other.port; other.child.kill(); }
  a.child.kill();
  await new Promise((r) => setTimeout(r, 200));
  return ms;
}
(async () => {
  const [oldDir, newDir] = process.argv.slice(2);
  const o = [], n = [], c = [];
  for (let i = 0; i < 10; i++) { o.push(await one(i, false, oldDir)); n.push(await one(i, false, newDir)); c.push(await one(i, true, newDir)); }
  const med = (v) => v.sort((x, y) => x - y)[Math.floor((v.length - 1) / 2)].toFixed(1);
  console.log(`first /init + /run on a listening runtime, p50 of 10: main's runtime ${med(o)} ms, warmed-up runtime ${med(n)} ms, warmed-up while another runtime starts ${med(c)} ms`);
})();
