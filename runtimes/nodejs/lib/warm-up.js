'use strict';
// Before the runtime listens, one /init and one /run of a trivial action go through a throwaway
// server and service made by the same functions (README.md, "Warm-up"). V8 compiles a function on its
// first call and node's HTTP internals set themselves up on their first request; paid here, at start,
// that work is off the first activation's path, which for a stem cell is a cold start that no longer
// waits for the process to start (docs/pool.md). The throwaway service is concurrent, so its /run
// leaves process.env alone; its logs end nothing and the action writes nothing, so no output is made.
const net = require('node:net');
const { ActionService } = require('./action-service');
const { createHttpServer } = require('./http-server');

const INIT = JSON.stringify({ value: { name: 'warm-up', main: 'main', code: 'function main(params) { return { ok: true, params }; }' } });
const RUN = JSON.stringify({ value: { warm: true }, activation_id: 'warmup' });
/** A start is never held up longer than this by the warm-up, whatever goes wrong with it. */
const WARM_UP_LIMIT_MS = 2000;

function request(path, body) {
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** Resolves once both answers came back, or the exchange failed: warming up is never a reason not to start. */
function warmUp() {
  const server = createHttpServer(new ActionService({ concurrent: true, logs: { endActivation() {} } }));
  return new Promise((resolve) => {
    const done = () => server.close(() => resolve());
    server.on('error', done);
    server.listen(0, '127.0.0.1', () => {
      const socket = net.connect(server.address().port, '127.0.0.1');
      let answers = '';
      let runSent = false;
      socket.setEncoding('latin1');
      // Every answer is one JSON object: an answer is complete when the text so far ends with its closing brace.
      socket.on('data', (chunk) => {
        answers += chunk;
        const complete = answers.endsWith('}') ? answers.split('HTTP/1.1 ').length - 1 : 0;
        if (complete === 1 && !runSent) {
          runSent = true;
          socket.write(request('/run', RUN));
        } else if (complete === 2) {
          socket.end();
        }
      });
      socket.setTimeout(WARM_UP_LIMIT_MS, () => socket.destroy());
      socket.on('close', done);
      socket.on('error', () => {});
      socket.write(request('/init', INIT));
    });
  });
}

module.exports = { warmUp };
