'use strict';

/**
 * Stable codes of the errors these nodes raise themselves; errors answered by the cloud keep the cloud's
 * own code (IOC_ERR_CONFLICT, IOC_ERR_NOT_FOUND, IOC_ERR_UNAUTHORIZED, …). Check `err.code`, never the message.
 */
const ErrorCode = Object.freeze({
  /** The server could not be reached (DNS, refused, reset); `cause` holds the socket error. */
  UNREACHABLE: 'IOC_ERR_NR_UNREACHABLE',
  /** No answer within the request timeout. */
  TIMEOUT: 'IOC_ERR_NR_TIMEOUT',
  /** The stream stayed silent longer than the idle timeout (keep-alives stopped): the link is presumed dead. */
  IDLE: 'IOC_ERR_NR_IDLE',
  /** An HTTP status the server explained with no IOC error code. */
  HTTP_STATUS: 'IOC_ERR_NR_HTTP_STATUS',
  /** A 200 answer that is not `text/event-stream`, or a body that is not the JSON expected. */
  BAD_RESPONSE: 'IOC_ERR_NR_BAD_RESPONSE',
  /** The stream ended (server restart, proxy timeout); the client reconnects. */
  STREAM_ENDED: 'IOC_ERR_NR_STREAM_ENDED',
  /** The input message names no alert (neither msg.alertId nor msg.payload.alertId). */
  NO_ALERT_ID: 'IOC_ERR_NR_NO_ALERT_ID',
  /** Bad node configuration (missing server, bad URL). */
  CONFIG: 'IOC_ERR_NR_CONFIG',
  /** The broker refused the MQTT connection (bad user name or password, not authorized). */
  MQTT_REFUSED: 'IOC_ERR_NR_MQTT_REFUSED',
  /** The broker accepted the connection but refused the alert subscription (the account is not an observer). */
  SUBSCRIBE_REFUSED: 'IOC_ERR_NR_SUBSCRIBE_REFUSED',
  /** MQTT source chosen but the `mqtt` package cannot be loaded. */
  NO_MQTT: 'IOC_ERR_NR_NO_MQTT',
});

/**
 * @param {string} code
 * @param {string} message
 * @param {{ statusCode?: number, cause?: unknown }} [extra]
 * @returns {Error & { code: string, statusCode?: number }}
 */
function iocError(code, message, extra = {}) {
  const err = /** @type {Error & { code: string, statusCode?: number }} */ (new Error(message, extra.cause === undefined ? undefined : { cause: extra.cause }));
  err.code = code;
  if (extra.statusCode !== undefined) err.statusCode = extra.statusCode;
  return err;
}

module.exports = { ErrorCode, iocError };
