/** Stable error codes of the rules engine; callers check `err.code`, never `instanceof`. */
export const RuleErrorCode = {
  /** A rule definition does not match its schema; `path` names the first offending field (`forMs`, `scope.site`). */
  RULE_INVALID: 'IOC_ERR_RULE_INVALID',
  /** No active (open or acknowledged) alert has this id: unknown, or already resolved. */
  ALERT_NOT_FOUND: 'IOC_ERR_ALERT_NOT_FOUND',
  /** The alert is not in a state that allows the operation (e.g. acknowledging it twice). */
  ALERT_STATE: 'IOC_ERR_ALERT_STATE',
  /** A snapshot given to restore() is not one this engine can read. */
  SNAPSHOT_INVALID: 'IOC_ERR_RULE_SNAPSHOT',
} as const;
export type RuleErrorCode = (typeof RuleErrorCode)[keyof typeof RuleErrorCode];

/** What the rules engine throws. `path` is set for RULE_INVALID, `''` otherwise. */
export class RuleError extends Error {
  readonly code: RuleErrorCode;
  readonly path: string;
  constructor(code: RuleErrorCode, message: string, path = '') {
    super(path ? `${path}: ${message}` : message);
    this.name = 'RuleError';
    this.code = code;
    this.path = path;
  }
}
