'use strict';
// Activation output on stdout and stderr, in the modes of README.md ("Logs"):
// - openwhisk (no concurrency): streams untouched, a bare sentinel after each activation, as OpenWhisk.
// - structured: every line is tagged with the activation that wrote it and written at once.
// - buffered: the same tagged lines, held per activation and written with its sentinel as one block.
// With concurrency, sentinel pairs no longer delimit activations, so the tags carry the attribution.
const { StringDecoder } = require('node:string_decoder');

const SENTINEL = 'XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX';
/** Tag of output that belongs to no activation, or to one without a usable id. */
const UNATTRIBUTED = '-';
/** Ids are used as tags only when they cannot be confused with "-", the sentinel or the separator. */
const TAG = /^[0-9A-Za-z]+$/;
/** Buffered mode writes an activation's held lines early past this many characters per stream, so memory stays bounded. */
const MAX_HELD_CHARS = 1 << 20;

function tagOf(activation) {
  const id = activation === undefined ? undefined : activation.id;
  return id !== undefined && TAG.test(id) ? id : UNATTRIBUTED;
}

/** "a\nb" becomes "<tag> a\n<tag> b\n". */
function tagLines(tag, text) {
  return `${tag} ${text.replaceAll('\n', `\n${tag} `)}\n`;
}

/** A write's text; a decoder keeps multi-byte characters split across Buffer writes intact. */
function decode(chunk, encoding, decoder) {
  if (typeof chunk === 'string') {
    const converted = encoding !== undefined && encoding !== 'utf8' && encoding !== 'utf-8' && Buffer.isEncoding(encoding);
    return converted ? Buffer.from(chunk, encoding).toString('utf8') : chunk;
  }
  if (decoder !== undefined) return decoder.write(chunk);
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
}

/** Takes over one std stream's write() so that every line it carries is tagged with its activation. */
class TaggedStream {
  constructor(stream, hold, currentActivation) {
    this._stream = stream;
    this._rawWrite = stream.write;
    /** True in buffered mode: complete lines wait in their activation's state until it ends. */
    this._hold = hold;
    this._currentActivation = currentActivation;
    /** Line state of each running activation that wrote to this stream; removed when it ends. */
    this._open = new Map();
    // console.* and process.stdout.write() both end up here; fs.writeSync(1) and inherited
    // child stdio do not (README.md, "Limits").
    stream.write = (chunk, encoding, callback) => this._write(chunk, encoding, callback);
  }

  _write(chunk, encoding, callback) {
    if (typeof encoding === 'function') {
      callback = encoding;
      encoding = undefined;
    }
    if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) {
      return this._rawWrite.call(this._stream, chunk, encoding, callback); // the stream rejects it as usual
    }
    const activation = this._currentActivation();
    const out = activation !== undefined && !activation.ended
      ? this._collect(activation, chunk, encoding)
      : this._immediate(activation, chunk, encoding);
    if (out === '') {
      if (callback) process.nextTick(callback);
      return true;
    }
    return this._rawWrite.call(this._stream, out, 'utf8', callback);
  }

  /** A running activation's write: complete lines are tagged; a trailing partial line waits for more. */
  _collect(activation, chunk, encoding) {
    let state = this._open.get(activation);
    if (state === undefined) {
      state = { partial: '', decoder: new StringDecoder('utf8'), held: '' };
      this._open.set(activation, state);
    }
    const text = state.partial + decode(chunk, encoding, state.decoder);
    const lastNewline = text.lastIndexOf('\n');
    state.partial = text.slice(lastNewline + 1);
    if (lastNewline === -1) return '';
    const lines = tagLines(tagOf(activation), text.slice(0, lastNewline));
    if (!this._hold) return lines;
    state.held += lines;
    if (state.held.length <= MAX_HELD_CHARS) return '';
    const early = state.held;
    state.held = '';
    return early;
  }

  /** Output outside any running activation has no end to wait for: written at once, a partial line completed. */
  _immediate(activation, chunk, encoding) {
    const text = decode(chunk, encoding);
    if (text === '') return '';
    return tagLines(tagOf(activation), text.endsWith('\n') ? text.slice(0, -1) : text);
  }

  /** Writes what the activation still holds, then its sentinel when asked, in one write. */
  end(activation, sentinel) {
    const state = this._open.get(activation);
    this._open.delete(activation);
    let out = '';
    if (state !== undefined) {
      const partial = state.partial + state.decoder.end();
      out = partial === '' ? state.held : state.held + tagLines(tagOf(activation), partial);
    }
    if (sentinel) out += `${SENTINEL} ${tagOf(activation)}\n`;
    if (out !== '') this._rawWrite.call(this._stream, out, 'utf8');
  }

  /** Writes what running activations hold, without sentinels: the process is exiting. */
  flushAll() {
    for (const activation of [...this._open.keys()]) this.end(activation, false);
  }
}

/** Structured and buffered modes. */
class TaggedLogs {
  constructor(hold, currentActivation) {
    this._streams = [
      new TaggedStream(process.stdout, hold, currentActivation),
      new TaggedStream(process.stderr, hold, currentActivation),
    ];
    // An action that calls process.exit() must not take its held output with it.
    process.on('exit', () => this._streams.forEach((stream) => stream.flushAll()));
  }

  /** The runtime has answered for the activation: its lines go out, then its sentinel if asked. */
  endActivation(activation, sentinel) {
    for (const stream of this._streams) stream.end(activation, sentinel);
    activation.ended = true;
  }
}

/** No concurrency: OpenWhisk's own behaviour, byte for byte. */
class OpenWhiskLogs {
  endActivation(activation, sentinel) {
    activation.ended = true;
    if (sentinel) {
      process.stdout.write(`${SENTINEL}\n`);
      process.stderr.write(`${SENTINEL}\n`);
    }
  }
}

/**
 * @param {'openwhisk' | 'structured' | 'buffered'} mode
 * @param {() => import('./activation').Activation | undefined} currentActivation
 */
function createLogCapture(mode, currentActivation) {
  return mode === 'openwhisk' ? new OpenWhiskLogs() : new TaggedLogs(mode === 'buffered', currentActivation);
}

module.exports = { createLogCapture };
