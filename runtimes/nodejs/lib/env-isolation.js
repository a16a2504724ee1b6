'use strict';
// Gives each activation its own `__OW_*` variables in process.env. OpenWhisk's runtime assigns
// them to the shared process.env, so concurrent activations read each other's activation ids.
// Here process.env becomes a Proxy over the real environment: a key the current activation owns
// resolves from that activation; everything else, and everything outside an activation, is the
// real, shared environment. Child processes see the activation's values too, because
// child_process copies process.env through the same traps.

/** @param {() => import('./activation').Activation | undefined} currentActivation */
function isolateEnvironment(currentActivation) {
  const realEnv = process.env;

  /** The current activation when it owns key (has it, even as deleted), else undefined. */
  function owner(key) {
    const activation = currentActivation();
    return activation !== undefined && activation.env.has(key) ? activation : undefined;
  }

  /** Writes of `__OW_*` keys inside an activation stay in that activation. */
  function writer(key) {
    const activation = currentActivation();
    return activation !== undefined && typeof key === 'string' && key.startsWith('__OW_') ? activation : undefined;
  }

  // The real environment stays the Proxy target so that util.inspect(process.env), which formats
  // a Proxy's target without calling traps, still prints the environment. Its properties are all
  // configurable and it is extensible, so reporting extra or missing keys keeps the Proxy invariants.
  process.env = new Proxy(realEnv, {
    get(target, key) {
      const activation = owner(key);
      return activation !== undefined ? activation.env.get(key) : Reflect.get(realEnv, key);
    },
    has(target, key) {
      const activation = owner(key);
      return activation !== undefined ? activation.env.get(key) !== undefined : Reflect.has(realEnv, key);
    },
    set(target, key, value) {
      const activation = writer(key);
      if (activation === undefined) return Reflect.set(realEnv, key, value);
      activation.env.set(key, String(value)); // the real environment stringifies too
      return true;
    },
    defineProperty(target, key, descriptor) {
      const activation = writer(key);
      if (activation === undefined) return Reflect.defineProperty(realEnv, key, descriptor);
      activation.env.set(key, String(descriptor.value));
      return true;
    },
    deleteProperty(target, key) {
      const activation = writer(key);
      if (activation === undefined) return Reflect.deleteProperty(realEnv, key);
      activation.env.set(key, undefined);
      return true;
    },
    ownKeys() {
      const keys = Reflect.ownKeys(realEnv);
      const activation = currentActivation();
      if (activation === undefined || activation.env.size === 0) return keys;
      const merged = new Set(keys);
      for (const [key, value] of activation.env) {
        if (value === undefined) merged.delete(key);
        else merged.add(key);
      }
      return [...merged];
    },
    getOwnPropertyDescriptor(target, key) {
      const activation = owner(key);
      if (activation === undefined) return Reflect.getOwnPropertyDescriptor(realEnv, key);
      const value = activation.env.get(key);
      return value === undefined ? undefined : { value, writable: true, enumerable: true, configurable: true };
    },
  });
}

module.exports = { isolateEnvironment };
