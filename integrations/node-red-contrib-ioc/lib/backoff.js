'use strict';

/**
 * Delay before reconnect attempt `attempt` (0 for the first retry after a drop): "equal jitter", a random
 * value between half and all of min(maxMs, minMs · 2^attempt). The jitter keeps many Node-RED instances
 * from reconnecting in lockstep after the cloud restarts; the floor keeps a tight loop impossible.
 * @param {number} attempt        0, 1, 2, …
 * @param {{ minMs: number, maxMs: number }} range  ms; minMs > 0, maxMs >= minMs
 * @param {() => number} [random] uniform in [0, 1); injectable for tests
 * @returns {number} ms
 */
function backoffDelay(attempt, range, random = Math.random) {
  const ceiling = Math.min(range.maxMs, range.minMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

module.exports = { backoffDelay };
