'use strict';
// An activation is the async context user code runs in: one /run, or the /init that precedes the
// first /run of a container. AsyncLocalStorage carries it across awaits, timers and callbacks, so
// process.env and the log streams answer for the activation that is actually running rather than
// for whichever one last touched shared state (the OpenWhisk runtime's bug, docs/openwhisk.md §5).
const { AsyncLocalStorage } = require('node:async_hooks');

const storage = new AsyncLocalStorage();

class Activation {
  /**
   * @param {string | undefined} id activation id, as the invoker sent it
   * @param {Map<string, string | undefined>} env this activation's `__OW_*` variables
   */
  constructor(id, env) {
    /** Activation id as sent by the invoker; undefined when the request had none. */
    this.id = id;
    /** `__OW_*` variables of this activation; a key mapped to undefined was deleted by the action. */
    this.env = env;
    /** Set once the runtime has answered for it; output after that is "late" (README.md). */
    this.ended = false;
  }

  /** Every top-level string field X of a /run body except `value` becomes `__OW_<X uppercased>`. */
  static fromRunBody(body) {
    const env = new Map();
    for (const [key, value] of Object.entries(body)) {
      if (key !== 'value' && typeof value === 'string') env.set(`__OW_${key.toUpperCase()}`, value);
    }
    return new Activation(env.get('__OW_ACTIVATION_ID'), env);
  }

  /**
   * The /init runs on behalf of the activation that caused the cold start, whose id the invoker
   * puts in the init env; its variables are already in the shared environment.
   */
  static forInit(initEnv) {
    const id = initEnv !== null && typeof initEnv === 'object' ? initEnv.__OW_ACTIVATION_ID : undefined;
    return new Activation(typeof id === 'string' ? id : undefined, new Map());
  }
}

/** @returns {Activation | undefined} the activation whose code is running now */
function currentActivation() {
  return storage.getStore();
}

/** Runs fn, and everything it schedules, as part of the activation. */
function runInActivation(activation, fn) {
  return storage.run(activation, fn);
}

module.exports = { Activation, currentActivation, runInActivation };
