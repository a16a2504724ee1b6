'use strict';
// The Node.js action runtime: `node runtimes/nodejs`. See README.md for its contract.
const fs = require('node:fs');
const { readConfig } = require('./lib/config');
const { currentActivation } = require('./lib/activation');
const { isolateEnvironment } = require('./lib/env-isolation');
const { createLogCapture } = require('./lib/log-capture');
const { ActionService } = require('./lib/action-service');
const { createHttpServer } = require('./lib/http-server');
const { warmUp } = require('./lib/warm-up');

let config;
try {
  config = readConfig(process.env);
} catch (error) {
  console.error(error.message);
  process.exit(2);
}

// Both before any action code loads, so that it only ever sees the isolated env and streams.
isolateEnvironment(currentActivation);
const logs = createLogCapture(config.logMode, currentActivation);

const server = createHttpServer(new ActionService({ concurrent: config.concurrent, logs }));

server.on('error', (error) => {
  console.error(`Cannot listen: ${error.message}`);
  process.exit(1);
});

// Listening only once warm: whoever connects first, the stem cell's pool included, finds the first request's costs paid.
warmUp().then(() => {
  if (config.socket !== undefined) {
    removeStaleSocket(config.socket);
    server.listen(config.socket);
  } else {
    server.listen(config.port, config.host, () => {
      // With port 0 the caller cannot know the port: announce it, before any other output.
      if (config.port === 0) process.stdout.write(`OW_RUNTIME_LISTENING ${server.address().port}\n`);
    });
  }
});

// Stopped politely, exit normally so that 'exit' handlers (work directory removal) run.
process.once('SIGTERM', () => process.exit(143));

/** A socket file left by a previous runtime would make listen() fail with EADDRINUSE. */
function removeStaleSocket(socketPath) {
  try {
    if (fs.statSync(socketPath).isSocket()) fs.unlinkSync(socketPath);
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
}
