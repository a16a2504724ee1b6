'use strict';
// How a rejected action promise becomes the `error` of its result. OpenWhisk's runtime uses the
// npm package serialize-error@3.0.0; this reproduces its output so that results stay byte-for-byte
// the same: own enumerable properties (functions dropped, cycles as "[Circular]"), then name,
// message, stack and code when they are strings.

const COMMON_PROPERTIES = ['name', 'message', 'stack', 'code'];

function copyWithoutCycles(from, seen) {
  const to = Array.isArray(from) ? [] : {};
  seen.push(from);
  for (const key of Object.keys(from)) {
    const value = from[key];
    if (typeof value === 'function') continue;
    if (!value || typeof value !== 'object') to[key] = value;
    else if (!seen.includes(value)) to[key] = copyWithoutCycles(value, seen.slice());
    else to[key] = '[Circular]';
  }
  for (const property of COMMON_PROPERTIES) {
    if (typeof from[property] === 'string') to[property] = from[property];
  }
  return to;
}

/** @param {unknown} value a rejection reason (never null: callers handle falsy reasons) */
function serializeError(value) {
  if (typeof value === 'object') return copyWithoutCycles(value, []);
  if (typeof value === 'function') return `[Function: ${value.name || 'anonymous'}]`;
  return value;
}

module.exports = { serializeError };
