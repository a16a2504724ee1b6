'use strict';
// The /init and /run state machine of OpenWhisk's nodejs runtime (its src/service.js), with its
// status codes and messages word for word, plus per-activation env and logs (docs/openwhisk.md §5).
// Every outcome is a value { status, body }; nothing here throws for a bad request or action.
const { Activation, runInActivation } = require('./activation');
const { serializeError } = require('./error-serializer');
const { loadAction } = require('./action-loader');

const Status = Object.freeze({ ready: 'ready', starting: 'starting', running: 'running', stopped: 'stopped' });

function reply(status, body) {
  return { status, body };
}

function failure(status, message) {
  return reply(status, { error: message });
}

function isObject(value) {
  return value !== null && typeof value === 'object';
}

/** String(value) for any thrown value, even one whose toString throws or is missing. */
function describe(value) {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** OpenWhisk's init env: null and falsy values become "", objects their JSON, the rest their string. */
function applyInitEnv(env) {
  if (!isObject(env)) return;
  for (const [key, value] of Object.entries(env)) {
    process.env[key] = isObject(value) ? JSON.stringify(value) : value ? value.toString() : '';
  }
}

/**
 * Calls main like OpenWhisk's runner: a synchronous throw is `thrown`; anything else is awaited,
 * undefined becomes {} and a rejection becomes the result { error: <serialized reason> }.
 */
async function invoke(main, params) {
  let result;
  try {
    result = main(params);
  } catch (error) {
    return { thrown: error };
  }
  try {
    const value = await result;
    return { value: value === undefined ? {} : value };
  } catch (error) {
    return { value: { error: error ? serializeError(error) : {} } };
  }
}

class ActionService {
  /**
   * @param {{concurrent: boolean, logs: {endActivation(activation, sentinel: boolean): void}}} options
   */
  constructor({ concurrent, logs }) {
    /** Overlapping /run requests are served only with __OW_ALLOW_CONCURRENT=true. */
    this._concurrent = concurrent;
    this._logs = logs;
    /** OpenWhisk's status; once stopped (failed init, or an action threw) it never changes. */
    this._status = Status.ready;
    /** The action's main function; set once, by the first successful /init. */
    this._main = undefined;
  }

  _setStatus(status) {
    if (this._status !== Status.stopped) this._status = status;
  }

  /** @param {object} body the parsed /init request body */
  async init(body) {
    if (this._main !== undefined) {
      const message = 'Cannot initialize the action more than once.';
      console.error('Internal system error:', message);
      return failure(403, message);
    }
    if (this._status !== Status.ready) {
      const message = `System not ready, status is ${this._status}.`;
      console.error('Internal system error:', message);
      return failure(403, message);
    }
    const message = isObject(body.value) ? body.value : {};
    const { main, code } = message;
    if (!main || !code || typeof main !== 'string' || typeof code !== 'string') {
      return failure(403, 'Missing main/no code to execute.');
    }

    this._setStatus(Status.starting);
    applyInitEnv(message.env);
    const activation = Activation.forInit(message.env);
    try {
      const action = await runInActivation(activation, () => loadAction(message));
      this._logs.endActivation(activation, false);
      this._main = action;
      this._setStatus(Status.ready);
      return reply(200, { OK: true });
    } catch (error) {
      // This goes to the logs of the activation that caused the cold start.
      runInActivation(activation, () => console.error('Error during initialization:', error));
      this._logs.endActivation(activation, true);
      this._setStatus(Status.stopped);
      const cause = isObject(error) && error.stack ? String(error.stack) : describe(error);
      return failure(502, `Initialization has failed due to: ${cause}`);
    }
  }

  /** @param {object} body the parsed /run request body */
  async run(body) {
    if (this._main === undefined || this._status !== Status.ready) {
      const message = this._main === undefined ? 'System not initialized.' : `System not ready, status is ${this._status}.`;
      console.error('Internal system error:', message);
      return failure(403, message);
    }
    // OpenWhisk checks this after marking itself running, and then stays "running" for good;
    // checking first keeps the runtime usable.
    let params = body.value;
    if (params === null || params === undefined) {
      params = {};
    } else if (typeof params !== 'object') {
      const message = `Internal system error: the argument must be a dictionary but has type '${typeof params}'.`;
      console.error('Internal system error:', message);
      return failure(403, message);
    }

    const activation = Activation.fromRunBody(body);
    if (!this._concurrent) {
      this._setStatus(Status.running);
      // One activation at a time: the shared environment can hold its values too, as in
      // OpenWhisk, so that console.log(process.env) shows them.
      for (const [key, value] of activation.env) process.env[key] = value;
    }
    const outcome = await runInActivation(activation, async () => {
      const result = await invoke(this._main, params);
      if ('thrown' in result) {
        console.error(result.thrown);
      } else if (typeof result.value !== 'object') {
        console.error(`Result must be of type object but has type "${typeof result.value}":`, result.value);
      }
      this._logs.endActivation(activation, true);
      return result;
    });

    if ('thrown' in outcome) {
      this._setStatus(Status.stopped);
      return failure(502, `An error has occurred: ${describe(outcome.thrown)}`);
    }
    if (!this._concurrent) this._setStatus(Status.ready);
    if (typeof outcome.value !== 'object') return failure(502, 'The action did not return a dictionary.');
    return reply(200, outcome.value);
  }
}

module.exports = { ActionService };
