'use strict';

/**
 * The cloud's AlertEvent (cloud/src/alerts/types.ts), checked at the boundary: whatever arrives on the
 * stream or over MQTT is untrusted text until `parseAlertEvent` says otherwise.
 *
 * @typedef {'info' | 'warning' | 'critical'} Severity
 * @typedef {'opened' | 'acknowledged' | 'resolved' | 'renotified' | 'flapping' | 'updated'} TransitionType
 * @typedef {{ site: string, gateway?: string, sensor?: string, metric?: string, camera?: string }} Subject
 * @typedef {object} AlertEvent
 * @property {number} id          Stream event id: a positive integer, increasing (usable as Last-Event-ID).
 * @property {string} alertId
 * @property {TransitionType} type
 * @property {string} ruleId
 * @property {string} ruleName
 * @property {Severity} severity
 * @property {Subject} subject
 * @property {'open' | 'acknowledged' | 'resolved'} state  State after this transition.
 * @property {number} at          Epoch ms of the transition.
 * @property {string} message
 * @property {string} [actor]
 * @property {string} [note]
 * @property {{ sensor?: string, metric?: string, ts: number, value?: number }} [cause]
 */

/** Severities from least to most urgent; the filter's "minimum severity" compares these ranks. */
const SEVERITIES = Object.freeze(['info', 'warning', 'critical']);
const TYPES = Object.freeze(['opened', 'acknowledged', 'resolved', 'renotified', 'flapping', 'updated']);
const STATES = Object.freeze(['open', 'acknowledged', 'resolved']);

/** @param {unknown} v @returns {v is Record<string, unknown>} */
const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
/** @param {unknown} v @returns {v is string} */
const isText = (v) => typeof v === 'string' && v.length > 0;

/**
 * Why a value is not an AlertEvent, or null when it is one. Checks what the nodes and flows rely on;
 * extra fields are allowed (a newer cloud may add some).
 * @param {unknown} v
 * @returns {string | null}
 */
function invalidReason(v) {
  if (!isObject(v)) return 'not-an-object';
  if (!Number.isSafeInteger(v.id) || /** @type {number} */ (v.id) < 1) return 'bad-id';
  if (!isText(v.alertId)) return 'bad-alertId';
  if (!TYPES.includes(/** @type {string} */ (v.type))) return 'bad-type';
  if (!SEVERITIES.includes(/** @type {string} */ (v.severity))) return 'bad-severity';
  if (!STATES.includes(/** @type {string} */ (v.state))) return 'bad-state';
  if (!isObject(v.subject) || !isText(v.subject.site)) return 'bad-subject';
  if (!Number.isFinite(v.at)) return 'bad-at';
  if (typeof v.ruleId !== 'string' || typeof v.ruleName !== 'string' || typeof v.message !== 'string') return 'bad-text';
  return null;
}

/**
 * Parses one JSON text into an AlertEvent. Never throws.
 * @param {string} text
 * @returns {{ ok: true, event: AlertEvent } | { ok: false, reason: string }}
 */
function parseAlertEvent(text) {
  let value;
  try {
    value = /** @type {unknown} */ (JSON.parse(text));
  } catch {
    return { ok: false, reason: 'bad-json' };
  }
  const reason = invalidReason(value);
  return reason === null ? { ok: true, event: /** @type {AlertEvent} */ (value) } : { ok: false, reason };
}

/**
 * @typedef {object} FilterOptions
 * @property {Severity} [minSeverity]  Default 'info' (everything).
 * @property {string[]} [sites]        Empty or absent: every site.
 * @property {string[]} [types]        Empty or absent: every transition type.
 * @property {number} [maxAgeMs]       Drop events whose `at` is older than this when received; 0 or absent: keep all.
 */

/**
 * Builds the node's filter. Returns null for an event to deliver, else why it is held back
 * ('severity' | 'site' | 'type' | 'stale').
 * @param {FilterOptions} opts
 * @returns {(e: AlertEvent, nowMs: number) => null | 'severity' | 'site' | 'type' | 'stale'}
 */
function compileFilter(opts) {
  const minRank = SEVERITIES.indexOf(opts.minSeverity ?? 'info');
  const sites = new Set(opts.sites ?? []);
  const types = new Set(opts.types ?? []);
  const maxAge = opts.maxAgeMs ?? 0;
  return (e, nowMs) => {
    if (SEVERITIES.indexOf(e.severity) < minRank) return 'severity';
    if (sites.size > 0 && !sites.has(e.subject.site)) return 'site';
    if (types.size > 0 && !types.has(e.type)) return 'type';
    if (maxAge > 0 && nowMs - e.at > maxAge) return 'stale';
    return null;
  };
}

/**
 * Splits a list typed by a person ("ha-nam-phu-ly, ha-nam-duy-tien") into its items.
 * @param {unknown} text
 * @returns {string[]}
 */
function splitList(text) {
  if (typeof text !== 'string') return [];
  return text.split(/[\s,;]+/).filter((s) => s.length > 0);
}

/**
 * The Node-RED message for one event: `topic` is `ioc/alerts/<site>/<severity>` so a switch node or an
 * MQTT out node can route on it.
 * @param {AlertEvent} e
 */
function toMessage(e) {
  return { topic: `ioc/alerts/${e.subject.site}/${e.severity}`, payload: e, alertId: e.alertId, eventId: e.id };
}

module.exports = { SEVERITIES, TYPES, parseAlertEvent, compileFilter, splitList, toMessage };
