'use strict';
// Runs the runtime as a real child process for a test and talks HTTP/1.1 to it.
//
// Ports: the runtime is started with OW_RUNTIME_PORT=0, binds a free loopback port itself and
// announces it as its first stdout line ("OW_RUNTIME_LISTENING <port>"), so parallel test files
// never race for a port. With a Unix socket, readiness is polled by connecting.
// Every child is killed by its PID when the test stops it, and at the latest when this process
// exits. Each child gets its own TMPDIR, removed when it is stopped, since a killed runtime cannot
// remove the directory it extracted an archive into.
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { setTimeout: delay } = require('node:timers/promises');

const RUNTIME_DIR = path.resolve(__dirname, '..');
/** Not a timing assertion: a test waiting for output or an answer that never comes fails instead of hanging. */
const HANG_GUARD_MS = 30_000;
const LISTENING = /^(?:- )?OW_RUNTIME_LISTENING (\d+)\n/;

/** Runtimes not yet exited, or whose TMPDIR is not yet removed. */
const live = new Set();
process.on('exit', () => {
  for (const runtime of live) {
    if (runtime.child.exitCode === null && runtime.child.signalCode === null) {
      try {
        process.kill(runtime.pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
    fs.rmSync(runtime.tmpdir, { recursive: true, force: true });
  }
});

/** A fresh 32-hex activation id, like the invoker's. */
function activationId() {
  return crypto.randomBytes(16).toString('hex');
}

/** The runtime's environment: the test's own, minus anything that would configure the runtime. */
function runtimeEnv(extra) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('OW_') && !key.startsWith('__OW_')) env[key] = value;
  }
  return { ...env, ...extra };
}

class RuntimeProcess {
  /**
   * @param {{concurrent?: boolean, logMode?: string, socket?: string, env?: object}} [options]
   * @returns {Promise<RuntimeProcess>} once it accepts connections
   */
  static async start({ concurrent = false, logMode, socket, env = {} } = {}) {
    const runtime = new RuntimeProcess(runtimeEnv({
      ...(concurrent ? { __OW_ALLOW_CONCURRENT: 'true' } : {}),
      ...(logMode ? { OW_LOG_MODE: logMode } : {}),
      ...(socket ? { OW_RUNTIME_SOCKET: socket } : { OW_RUNTIME_HOST: '127.0.0.1', OW_RUNTIME_PORT: '0' }),
      ...env,
    }), socket);
    try {
      if (socket) {
        await runtime._connectable();
      } else {
        const stdout = await runtime.waitFor('stdout', (text) => LISTENING.test(text) || text.includes('\n'));
        const match = LISTENING.exec(stdout);
        if (!match) throw new Error(`no port announcement: ${JSON.stringify(stdout)}`);
        runtime.port = Number(match[1]);
        runtime._announcement = match[0].length;
      }
    } catch (error) {
      await runtime.stop();
      throw error;
    }
    return runtime;
  }

  constructor(env, socket) {
    this.socket = socket;
    this.port = undefined;
    this._announcement = 0;
    this._out = { stdout: '', stderr: '' };
    this._waiters = new Set();
    this._agent = new http.Agent({ keepAlive: true });
    this.tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ow-runtime-tmp-'));
    this.child = spawn(process.execPath, [RUNTIME_DIR], {
      env: { ...env, TMPDIR: this.tmpdir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.pid = this.child.pid;
    live.add(this);
    /** True once the process has exited and its output has been read to the end. */
    this._closed = false;
    /** Resolves with {code, signal} then ('close', not 'exit': output may still be arriving at 'exit'). */
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this._closed = true;
        resolve({ code, signal });
        this._check();
      });
    });
    for (const name of ['stdout', 'stderr']) {
      this.child[name].setEncoding('utf8');
      this.child[name].on('data', (text) => {
        this._out[name] += text;
        this._check();
      });
    }
  }

  /** Everything the runtime wrote to stdout (without the port announcement, once read) or stderr so far. */
  output(stream) {
    return stream === 'stdout' ? this._out.stdout.slice(this._announcement) : this._out.stderr;
  }

  /** Lines written so far, without the trailing empty one. */
  lines(stream) {
    const text = this.output(stream);
    return text === '' ? [] : text.replace(/\n$/, '').split('\n');
  }

  /**
   * Resolves with the stream's output once predicate(output) holds; rejects if the runtime exits first.
   * @param {'stdout' | 'stderr'} stream
   * @param {(text: string) => boolean} predicate
   */
  waitFor(stream, predicate) {
    return new Promise((resolve, reject) => {
      const waiter = { stream, predicate, resolve, reject };
      const guard = setTimeout(() => {
        this._waiters.delete(waiter);
        reject(new Error(`no such ${stream} output; stdout: ${this._out.stdout}\nstderr: ${this._out.stderr}`));
      }, HANG_GUARD_MS);
      waiter.resolve = (text) => { clearTimeout(guard); resolve(text); };
      waiter.reject = (error) => { clearTimeout(guard); reject(error); };
      this._waiters.add(waiter);
      this._check();
    });
  }

  _check() {
    for (const waiter of this._waiters) {
      const text = this.output(waiter.stream);
      if (waiter.predicate(text)) {
        this._waiters.delete(waiter);
        waiter.resolve(text);
      } else if (this._closed) {
        this._waiters.delete(waiter);
        waiter.reject(new Error(`runtime exited; stdout: ${this._out.stdout}\nstderr: ${this._out.stderr}`));
      }
    }
  }

  async _connectable() {
    for (;;) {
      if (this._closed) throw new Error(`runtime exited: ${this._out.stderr}`);
      const connected = await new Promise((resolve) => {
        const socket = net.connect(this.socket, () => {
          socket.destroy();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      });
      if (connected) return;
      await delay(20);
    }
  }

  /**
   * One HTTP request on a keep-alive connection.
   * @returns {Promise<{status: number, headers: object, text: string, body: any}>} body is the parsed JSON, if any
   */
  request(method, urlPath, payload, { headers = {}, signal } = {}) {
    const data = payload === undefined ? undefined : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
    const target = this.socket ? { socketPath: this.socket } : { host: '127.0.0.1', port: this.port };
    return new Promise((resolve, reject) => {
      const req = http.request({
        ...target,
        method,
        path: urlPath,
        agent: this._agent,
        signal: signal ?? AbortSignal.timeout(HANG_GUARD_MS),
        headers: {
          'Content-Type': 'application/json',
          ...(data ? { 'Content-Length': data.length } : {}),
          ...headers,
        },
      }, (res) => {
        res.setEncoding('utf8');
        let text = '';
        res.on('data', (chunk) => { text += chunk; });
        res.on('end', () => {
          let body;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode, headers: res.headers, text, body });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(data);
    });
  }

  post(urlPath, payload, options) {
    return this.request('POST', urlPath, payload, options);
  }

  /** POST /init with {value: {main, code, binary?, env?}}; main defaults to "main". */
  init(value) {
    return this.post('/init', { value: { main: 'main', ...value } });
  }

  /** POST /run with params as value and a fresh activation id unless fields give one. */
  run(params = {}, fields = {}) {
    return this.post('/run', { value: params, activation_id: activationId(), ...fields });
  }

  /** Kills the runtime by its PID, waits for it to be gone and removes its TMPDIR. */
  async stop() {
    this._agent.destroy();
    // Only while not yet exited: once reaped, the PID may belong to another process.
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
    await this.exited;
    fs.rmSync(this.tmpdir, { recursive: true, force: true });
    live.delete(this);
  }
}

/**
 * Starts a runtime for the duration of a test: `const rt = await startRuntime(t, options)`.
 * @param {import('node:test').TestContext} t
 */
async function startRuntime(t, options) {
  const runtime = await RuntimeProcess.start(options);
  t.after(() => runtime.stop());
  return runtime;
}

module.exports = { RuntimeProcess, startRuntime, activationId };
