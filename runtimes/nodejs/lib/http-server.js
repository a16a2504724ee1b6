'use strict';
// The runtime's HTTP/1.1 endpoint (docs/openwhisk.md §5): POST /init and POST /run with JSON bodies,
// JSON answers, keep-alive connections that the invoker's pool owns for as long as it likes.
const http = require('node:http');

/** OpenWhisk's runtime accepts 48 MB bodies (body-parser limit "48mb"): action code included. */
const MAX_BODY_BYTES = 48 * 1024 * 1024;

class BodyTooLarge extends Error {}

/** The request body as a Buffer, refusing more than MAX_BODY_BYTES. */
function readBody(req) {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length']) > MAX_BODY_BYTES) {
      reject(new BodyTooLarge());
      return;
    }
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        reject(new BodyTooLarge());
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    req.on('error', reject);
    req.on('close', () => reject(new Error('request aborted'))); // no-op once settled
  });
}

/** A JSON object, {} for an empty body (as body-parser), or undefined when it is neither. */
function parseBody(buffer) {
  const text = buffer.toString('utf8');
  if (text.trim() === '') return {};
  try {
    const value = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function send(res, status, body, extraHeaders) {
  let json;
  try {
    json = JSON.stringify(body);
  } catch {
    json = undefined; // a cyclic or BigInt result
  }
  if (json === undefined) {
    status = 500;
    json = '{"error":"Internal error."}'; // OpenWhisk's answer when its res.json() throws
  }
  if (res.destroyed || res.headersSent) return; // the invoker gave up on this request (e.g. its timeout)
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(json),
    ...extraHeaders,
  });
  res.end(json);
}

/**
 * @param {{init(body: object): Promise<{status: number, body: unknown}>, run(body: object): Promise<{status: number, body: unknown}>}} service
 * @returns {http.Server} not yet listening
 */
function createHttpServer(service) {
  const routes = new Map([
    ['/init', (body) => service.init(body)],
    ['/run', (body) => service.run(body)],
  ]);

  async function handle(req, res) {
    const route = routes.get(req.url.split('?', 1)[0]);
    if (route === undefined) return send(res, 404, { error: 'Not found.' });
    if (req.method !== 'POST') return send(res, 405, { error: 'Method not allowed.' }, { Allow: 'POST' });
    let body;
    try {
      body = parseBody(await readBody(req));
    } catch (error) {
      // The rest of an oversized body is not read: close the connection instead.
      if (error instanceof BodyTooLarge) send(res, 413, { error: 'Request body too large.' }, { Connection: 'close' });
      else res.destroy();
      return undefined;
    }
    // OpenWhisk's answer to JSON its body parser rejects.
    if (body === undefined) return send(res, 500, { error: 'Bad request.' });
    const { status, body: answer } = await route(body);
    return send(res, status, answer);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error) => {
      console.error('Internal error:', error);
      send(res, 500, { error: 'Internal error.' });
    });
  });
  // The invoker's connection pool decides when a connection ends, and a /run may legitimately
  // take as long as the action's time limit: no idle, request or socket timeouts.
  server.keepAliveTimeout = 0;
  server.requestTimeout = 0;
  server.timeout = 0;
  return server;
}

module.exports = { createHttpServer };
