'use strict';

/**
 * A number typed into an edit dialog: the value when it is a finite number ≥ `min`, else `fallback`.
 * (Node-RED stores dialog fields as strings.)
 * @param {unknown} value
 * @param {number} fallback
 * @param {number} [min]
 */
function numberOr(value, fallback, min = 0) {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) && n >= min ? n : fallback;
}

module.exports = { numberOr };
