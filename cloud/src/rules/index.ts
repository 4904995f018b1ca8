/**
 * The rules engine core: rule definitions (TypeBox), the default rule set, and an evaluator with an alert lifecycle.
 * Pure logic with an injectable clock; no database, no HTTP. Ingest calls evaluate()/gatewayState(), the AQI job
 * siteAqi(), a timer tick(); the caller stores and delivers the returned transitions and saves snapshot().
 */
export { RuleEngine, type EngineSnapshot, type RuleEngineOptions, type RuleEngineStats } from './engine.js';
export type { FlapOptions } from './lifecycle.js';
export { defaultRules, PM25_24H_LIMIT_CHANGE } from './defaults.js';
export { RuleError, RuleErrorCode } from './errors.js';
export {
  AqiCategoryRuleSchema,
  CameraOfflineRuleSchema,
  GatewayOfflineRuleSchema,
  NoDataRuleSchema,
  OutboxDropsRuleSchema,
  RateOfChangeRuleSchema,
  RollingMeanRuleSchema,
  RuleSchema,
  RULE_KINDS,
  ScopeSchema,
  SeveritySchema,
  StuckRuleSchema,
  ThresholdRuleSchema,
  parseRule,
  parseRules,
  type AqiCategoryRule,
  type CameraOfflineRule,
  type GatewayOfflineRule,
  type NoDataRule,
  type OutboxDropsRule,
  type RateOfChangeRule,
  type RollingMeanRule,
  type Rule,
  type RuleKind,
  type Scope,
  type Severity,
  type StuckRule,
  type ThresholdRule,
} from './schema.js';
export type { Tracker } from './tracker.js';
export type {
  Alert,
  AlertState,
  Cause,
  Clock,
  GatewayContext,
  ReadingContext,
  SiteAqi,
  SiteContext,
  SourcedReading,
  Subject,
  Transition,
  TransitionType,
} from './types.js';
