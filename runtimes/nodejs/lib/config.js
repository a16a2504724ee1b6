'use strict';
// The runtime's settings, read once from its environment at start (README.md, "Environment").

const LOG_MODES = ['structured', 'buffered'];

/**
 * @param {NodeJS.ProcessEnv} env
 * @returns {{host: string, port: number, socket: string | undefined, concurrent: boolean,
 *   logMode: 'openwhisk' | 'structured' | 'buffered'}}
 * @throws {Error} on a setting that cannot be used
 */
function readConfig(env) {
  // As OpenWhisk's runtime: only the exact word, in any case, turns concurrency on.
  const concurrent = (env.__OW_ALLOW_CONCURRENT ?? '').toLowerCase() === 'true';
  const requestedLogMode = env.OW_LOG_MODE || 'structured';
  if (!LOG_MODES.includes(requestedLogMode)) {
    throw new Error(`OW_LOG_MODE must be one of ${LOG_MODES.join(', ')}; got '${requestedLogMode}'.`);
  }
  const portText = env.OW_RUNTIME_PORT || '8080';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    throw new Error(`OW_RUNTIME_PORT must be a port number from 0 to 65535; got '${portText}'.`);
  }
  return {
    host: env.OW_RUNTIME_HOST || '127.0.0.1',
    port,
    socket: env.OW_RUNTIME_SOCKET || undefined,
    concurrent,
    // Without concurrency, logs are exactly OpenWhisk's; the tagged modes exist for concurrency.
    logMode: concurrent ? requestedLogMode : 'openwhisk',
  };
}

module.exports = { readConfig };
