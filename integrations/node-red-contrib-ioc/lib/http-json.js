'use strict';

const http = require('node:http');
const https = require('node:https');
const { ErrorCode, iocError } = require('./errors');

/** Answers larger than this are cut off and reported as a bad response (an alert view is ~1 KB). */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Joins the configured base URL (with or without a trailing slash or a path prefix behind a proxy)
 * and an API path. Throws IOC_ERR_NR_CONFIG for anything but http(s).
 * @param {string} base  e.g. "https://ioc.hanam.gov.vn" or "http://127.0.0.1:8080/"
 * @param {string} apiPath  e.g. "/api/v1/alerts/stream"
 * @returns {URL}
 */
function apiUrl(base, apiPath) {
  let url;
  try {
    url = new URL(base);
  } catch {
    throw iocError(ErrorCode.CONFIG, `server URL "${base}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw iocError(ErrorCode.CONFIG, `server URL must be http or https, not ${url.protocol}`);
  url.pathname = url.pathname.replace(/\/+$/, '') + apiPath;
  return url;
}

/** @param {URL} url */
const transport = (url) => (url.protocol === 'https:' ? https : http);

/**
 * @typedef {object} JsonAnswer
 * @property {number} status
 * @property {unknown} body  Parsed JSON; `undefined` for an empty body; the raw text when not JSON.
 */

/**
 * One HTTP request with a JSON body and a JSON answer. Resolves for every HTTP status (the caller
 * classifies); rejects only with IOC_ERR_NR_UNREACHABLE, IOC_ERR_NR_TIMEOUT or IOC_ERR_NR_BAD_RESPONSE.
 * @param {{ url: URL, method: string, headers?: Record<string, string>, body?: unknown, timeoutMs: number }} req
 * @returns {Promise<JsonAnswer>}
 */
function requestJson(req) {
  return new Promise((resolve, reject) => {
    const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    const headers = { accept: 'application/json', ...req.headers };
    if (payload) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(payload.length) });
    const r = transport(req.url).request(req.url, { method: req.method, headers });
    const timer = setTimeout(() => r.destroy(iocError(ErrorCode.TIMEOUT, `no answer from ${req.url.host} within ${req.timeoutMs} ms`)), req.timeoutMs);
    /** @param {Error & { code?: string }} err */
    const fail = (err) => {
      clearTimeout(timer);
      reject(err.code?.startsWith('IOC_ERR_') ? err : iocError(ErrorCode.UNREACHABLE, `${req.url.host}: ${err.message}`, { cause: err }));
    };
    r.on('error', fail);
    r.on('response', (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      let size = 0;
      res.on('data', (/** @type {Buffer} */ c) => {
        size += c.length;
        if (size > MAX_BODY_BYTES) r.destroy(iocError(ErrorCode.BAD_RESPONSE, `answer larger than ${MAX_BODY_BYTES} bytes`));
        else chunks.push(c);
      });
      res.on('error', fail);
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: parseBody(text) });
      });
    });
    r.end(payload);
  });
}

/** @param {string} text @returns {unknown} */
function parseBody(text) {
  if (text.length === 0) return undefined;
  try {
    return /** @type {unknown} */ (JSON.parse(text));
  } catch {
    return text;
  }
}

/**
 * The error for a non-2xx answer: the cloud's own `{ code, message }` when it sent one, else
 * IOC_ERR_NR_HTTP_STATUS. `statusCode` is always set.
 * @param {JsonAnswer} answer
 * @param {string} what  e.g. "POST /api/v1/alerts/a-1/ack"
 */
function statusError(answer, what) {
  const b = /** @type {{ code?: unknown, message?: unknown } | undefined} */ (typeof answer.body === 'object' && answer.body !== null ? answer.body : undefined);
  const code = typeof b?.code === 'string' && b.code.startsWith('IOC_ERR_') ? b.code : ErrorCode.HTTP_STATUS;
  const detail = typeof b?.message === 'string' ? b.message : `HTTP ${answer.status}`;
  return iocError(code, `${what}: ${answer.status} ${code}: ${detail}`, { statusCode: answer.status });
}

module.exports = { apiUrl, transport, requestJson, statusError, MAX_BODY_BYTES };
