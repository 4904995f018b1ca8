/**
 * Rule definitions: TypeBox schemas (the API validates request bodies with `RuleSchema`; YAML imports go through
 * `parseRule`) and their static types. Units are in the names: `…Ms` are milliseconds; values and limits are in the
 * metric's canonical unit (µg/m³ for every gas and particulate, see the metric catalogue).
 */
import { Type, type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { RuleError, RuleErrorCode } from './errors.js';

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' });
const WEEK_MS = 7 * 24 * 3_600_000;
const Ms = (description: string, dflt: number, minimum = 0) =>
  Type.Integer({ minimum, maximum: WEEK_MS, default: dflt, description });

/** info | warning | critical. Only unacknowledged critical alerts are re-notified. */
export const SeveritySchema = Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]);
export type Severity = Static<typeof SeveritySchema>;

/** Which subjects a rule applies to: every given field must match (AND); `{}` is everything. */
export const ScopeSchema = Type.Object(
  {
    site: Type.Optional(Id),
    /** District id, as the registry assigns it to a site. */
    district: Type.Optional(Id),
    /** Sensor kind, as the registry records it (e.g. `pms5003`, `camera`). Never matches gateway or site rules. */
    sensorKind: Type.Optional(Id),
  },
  { additionalProperties: false, default: {} },
);
export type Scope = Static<typeof ScopeSchema>;

const common = {
  /** Stable id; alerts and snapshots refer to it. */
  id: Id,
  /** Display name in Vietnamese and English. */
  label: Type.Optional(Type.Object({ vi: Type.String({ maxLength: 200 }), en: Type.String({ maxLength: 200 }) }, { additionalProperties: false })),
  enabled: Type.Boolean({ default: true }),
  severity: SeveritySchema,
  scope: ScopeSchema,
  /** An open alert resolves once its clear condition has held this long (the minimum hold time against flapping). */
  clearHoldMs: Ms('clear condition must hold this long before the alert resolves', 0),
  /** For critical rules: re-notify an unacknowledged alert at this interval (engine default otherwise). */
  renotifyMs: Type.Optional(Type.Integer({ minimum: 60_000, maximum: WEEK_MS })),
};
const forMs = Ms('condition must hold this long before an alert opens ("above 150 for 10 min")', 0);
const Metric = Id;

/** `value` above (strictly) or below (strictly) a threshold; clears at `clear` (default `value`), which gives hysteresis. */
export const ThresholdRuleSchema = Type.Object(
  {
    ...common,
    kind: Type.Literal('threshold'),
    metric: Metric,
    direction: Type.Union([Type.Literal('above'), Type.Literal('below')]),
    value: Type.Number(),
    /** above: clears when value ≤ clear (clear ≤ value); below: clears when value ≥ clear (clear ≥ value). */
    clear: Type.Optional(Type.Number()),
    forMs,
  },
  { additionalProperties: false },
);

/** The mean of a metric's readings over a trailing window, above (strictly) `limit` (the QCVN limits). */
export const RollingMeanRuleSchema = Type.Object(
  {
    ...common,
    kind: Type.Literal('rolling_mean'),
    metric: Metric,
    window: Type.Union([Type.Literal('1h'), Type.Literal('8h'), Type.Literal('24h')]),
    limit: Type.Number(),
    /** Clears when the mean ≤ clear (default `limit`, must be ≤ limit). */
    clear: Type.Optional(Type.Number()),
    /** Fraction of the window the data must span before the mean is judged at all. */
    minCoverage: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.75 }),
    forMs,
  },
  { additionalProperties: false },
);

/** The change of a metric over a trailing window (latest value minus the oldest in the window) beyond `limit`. */
export const RateOfChangeRuleSchema = Type.Object(
  {
    ...common,
    kind: Type.Literal('rate_of_change'),
    metric: Metric,
    windowMs: Ms('window the change is measured over', 600_000, 1000),
    /** Absolute change in the metric's unit, > 0. */
    limit: Type.Number({ exclusiveMinimum: 0 }),
    direction: Type.Union([Type.Literal('rise'), Type.Literal('fall'), Type.Literal('either')], { default: 'either' }),
    forMs,
  },
  { additionalProperties: false },
);

/** The same value `count` readings in a row (a frozen sensor). */
export const StuckRuleSchema = Type.Object(
  { ...common, kind: Type.Literal('stuck'), metric: Metric, count: Type.Integer({ minimum: 2, maximum: 1_000_000 }) },
  { additionalProperties: false },
);

/** No reading (of `metric`, or of any metric) from a sensor for `silenceMs`. Subjects are sensors seen at least once. */
export const NoDataRuleSchema = Type.Object(
  { ...common, kind: Type.Literal('no_data'), metric: Type.Optional(Metric), silenceMs: Ms('silence that opens the alert', 900_000, 1000) },
  { additionalProperties: false },
);

/** A gateway's last will (`online: false`) held for `forMs`, or nothing at all from it for `silenceMs`. */
export const GatewayOfflineRuleSchema = Type.Object(
  { ...common, kind: Type.Literal('gateway_offline'), silenceMs: Ms('silence that counts as offline', 300_000, 1000), forMs },
  { additionalProperties: false },
);

/** `missed` consecutive `camera_online` readings of 0. */
export const CameraOfflineRuleSchema = Type.Object(
  { ...common, kind: Type.Literal('camera_offline'), missed: Type.Integer({ minimum: 1, maximum: 10_000, default: 3 }) },
  { additionalProperties: false },
);

/** A gateway's state reports `outbox.dropped` grown by `minDrops` or more; resolves after `quietMs` without new drops. */
export const OutboxDropsRuleSchema = Type.Object(
  {
    ...common,
    kind: Type.Literal('outbox_drops'),
    minDrops: Type.Integer({ minimum: 1, default: 1 }),
    quietMs: Ms('time without new drops after which the alert clears', 3_600_000, 1000),
  },
  { additionalProperties: false },
);

/** A site's hourly VN_AQI in category `level` or worse (3 = Kém, AQI ≥ 101). */
export const AqiCategoryRuleSchema = Type.Object(
  { ...common, kind: Type.Literal('aqi_category'), level: Type.Integer({ minimum: 1, maximum: 6 }) },
  { additionalProperties: false },
);

const byKind = {
  threshold: ThresholdRuleSchema,
  rolling_mean: RollingMeanRuleSchema,
  rate_of_change: RateOfChangeRuleSchema,
  stuck: StuckRuleSchema,
  no_data: NoDataRuleSchema,
  gateway_offline: GatewayOfflineRuleSchema,
  camera_offline: CameraOfflineRuleSchema,
  outbox_drops: OutboxDropsRuleSchema,
  aqi_category: AqiCategoryRuleSchema,
} as const;

/** Every rule kind. */
export type RuleKind = keyof typeof byKind;
export const RULE_KINDS = Object.freeze(Object.keys(byKind) as RuleKind[]);

/** Any rule (discriminated by `kind`); what the API accepts and returns. */
export const RuleSchema = Type.Union(Object.values(byKind));

export type ThresholdRule = Static<typeof ThresholdRuleSchema>;
export type RollingMeanRule = Static<typeof RollingMeanRuleSchema>;
export type RateOfChangeRule = Static<typeof RateOfChangeRuleSchema>;
export type StuckRule = Static<typeof StuckRuleSchema>;
export type NoDataRule = Static<typeof NoDataRuleSchema>;
export type GatewayOfflineRule = Static<typeof GatewayOfflineRuleSchema>;
export type CameraOfflineRule = Static<typeof CameraOfflineRuleSchema>;
export type OutboxDropsRule = Static<typeof OutboxDropsRuleSchema>;
export type AqiCategoryRule = Static<typeof AqiCategoryRuleSchema>;
export type Rule =
  | ThresholdRule
  | RollingMeanRule
  | RateOfChangeRule
  | StuckRule
  | NoDataRule
  | GatewayOfflineRule
  | CameraOfflineRule
  | OutboxDropsRule
  | AqiCategoryRule;

const validators = Object.fromEntries(Object.entries(byKind).map(([k, s]) => [k, Compile(s as TSchema)])) as Record<
  RuleKind,
  ReturnType<typeof Compile>
>;

/**
 * Validates one rule definition, fills its defaults and returns it frozen. Throws RuleError IOC_ERR_RULE_INVALID whose
 * `path` names the first problem (`forMs`, `scope.site`, `clear`), prefixed with `at` (e.g. `rules[3]`).
 */
export function parseRule(raw: unknown, at = ''): Rule {
  const join = (p: string): string => [at, p].filter(Boolean).join('.');
  const kind = (raw as { kind?: unknown } | null)?.kind;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid(at, 'must be an object');
  if (typeof kind !== 'string' || !(RULE_KINDS as readonly string[]).includes(kind)) {
    throw invalid(join('kind'), `must be one of ${RULE_KINDS.join(', ')}`);
  }
  const validator = validators[kind as RuleKind];
  const value = validator.Default(structuredClone(raw));
  const first = validator.Errors(value)[0];
  if (first) {
    const missing = first.keyword === 'required' ? (first.params as { requiredProperties?: string[] }).requiredProperties?.[0] : undefined;
    const path = [pointerToPath(first.instancePath), missing].filter(Boolean).join('.');
    const unknown = first.keyword === 'boolean' && first.schemaPath.endsWith('/additionalProperties');
    throw invalid(join(path), missing ? 'is required' : unknown ? 'is not a known property' : first.message);
  }
  const rule = value as Rule;
  checkClear(rule, join);
  return deepFreeze(rule);
}

/** Parses a list of rules (e.g. a YAML import), refusing duplicate ids; paths are `rules[i].…`. */
export function parseRules(raw: unknown): Rule[] {
  if (!Array.isArray(raw)) throw invalid('rules', 'must be an array');
  const seen = new Set<string>();
  return raw.map((r, i) => {
    const rule = parseRule(r, `rules[${i}]`);
    if (seen.has(rule.id)) throw invalid(`rules[${i}].id`, `duplicate id ${JSON.stringify(rule.id)}`);
    seen.add(rule.id);
    return rule;
  });
}

function checkClear(rule: Rule, join: (p: string) => string): void {
  if (rule.kind === 'threshold' && rule.clear !== undefined) {
    if (rule.direction === 'above' && rule.clear > rule.value) throw invalid(join('clear'), 'must be <= value for direction above');
    if (rule.direction === 'below' && rule.clear < rule.value) throw invalid(join('clear'), 'must be >= value for direction below');
  }
  if (rule.kind === 'rolling_mean' && rule.clear !== undefined && rule.clear > rule.limit) throw invalid(join('clear'), 'must be <= limit');
}

function invalid(path: string, message: string): RuleError {
  return new RuleError(RuleErrorCode.RULE_INVALID, message, path);
}

/** `/scope/site` → `scope.site`, `/label/vi` → `label.vi`. */
function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .join('.');
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
