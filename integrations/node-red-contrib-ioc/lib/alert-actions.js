'use strict';

const { apiUrl, requestJson, statusError } = require('./http-json');
const { ErrorCode, iocError } = require('./errors');

/** What the ack node can do to an alert: the two officer actions of the cloud's API. */
const ACTIONS = Object.freeze(['ack', 'resolve']);

/** The cloud accepts notes of at most this many characters (cloud/src/api/alerts.ts). */
const MAX_NOTE_CHARS = 2000;

/**
 * @typedef {{ baseUrl: string, token: string, timeoutMs: number }} ApiTarget
 * @typedef {Record<string, unknown> & { id: string, state: string }} AlertView  The cloud's current view of an alert.
 */

/**
 * `POST /api/v1/alerts/:id/ack` or `/resolve` with an optional note. Resolves with the updated alert;
 * rejects with the cloud's code (IOC_ERR_CONFLICT for an alert that is not open / already resolved,
 * IOC_ERR_NOT_FOUND, IOC_ERR_UNAUTHORIZED, IOC_ERR_FORBIDDEN for a token below officer) and `statusCode`,
 * or with IOC_ERR_NR_UNREACHABLE / _TIMEOUT / _BAD_RESPONSE. Not retried: a retry after a lost answer
 * would report a false 409.
 * @param {ApiTarget} target
 * @param {string} alertId
 * @param {'ack' | 'resolve'} action
 * @param {string | undefined} note  Cut to 2000 characters.
 * @returns {Promise<AlertView>}
 */
async function alertAction(target, alertId, action, note) {
  const url = apiUrl(target.baseUrl, `/api/v1/alerts/${encodeURIComponent(alertId)}/${action}`);
  const body = note ? { note: note.slice(0, MAX_NOTE_CHARS) } : {};
  const answer = await requestJson({ url, method: 'POST', headers: { authorization: `Bearer ${target.token}` }, body, timeoutMs: target.timeoutMs });
  if (answer.status !== 200) throw statusError(answer, `POST ${url.pathname}`);
  const alert = /** @type {AlertView | undefined} */ (answer.body);
  if (typeof alert !== 'object' || alert === null || typeof alert.id !== 'string' || typeof alert.state !== 'string') {
    throw iocError(ErrorCode.BAD_RESPONSE, `POST ${url.pathname}: the answer is not an alert`, { statusCode: answer.status });
  }
  return alert;
}

/**
 * Which alert a message is about: msg.alertId (set by `ioc alert`, and kept by most nodes while the
 * payload is replaced, e.g. by an http request node), else msg.payload.alertId (an AlertEvent).
 * @param {Record<string, any>} msg
 * @returns {string | undefined}
 */
function alertIdOf(msg) {
  if (typeof msg.alertId === 'string' && msg.alertId.length > 0) return msg.alertId;
  const fromPayload = msg.payload?.alertId;
  return typeof fromPayload === 'string' && fromPayload.length > 0 ? fromPayload : undefined;
}

module.exports = { ACTIONS, MAX_NOTE_CHARS, alertAction, alertIdOf };
