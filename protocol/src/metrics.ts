/**
 * The metric catalogue: every metric name a reading may carry, its canonical unit and its plausible range.
 *
 * A reading whose metric is not here is rejected on decode (IOC_ERR_UNKNOWN_METRIC). Adding a metric is a
 * compatible change, but a gateway may only send it once the cloud runs a catalogue that knows it.
 */

/** Description of one metric. All readings of it are in `unit`; drivers convert before publishing. */
export interface MetricDef {
  /** Metric name as on the wire (matches ID_PATTERN). */
  readonly name: string;
  /** Canonical unit symbol, e.g. `µg/m³`; `''` for dimensionless values such as a 0/1 flag. */
  readonly unit: string;
  /**
   * Lowest plausible value, in `unit`, inclusive: below it the instrument cannot physically report a true
   * measurement, so the reading is marked quality `bad`. This is NOT a regulatory limit or alert threshold.
   */
  readonly min: number;
  /** Highest plausible value, in `unit`, inclusive. Same meaning as `min`. */
  readonly max: number;
  /** Suggested number of decimals for display; absent means show as received. Never used to round data. */
  readonly decimals?: number;
  /** Display names: Vietnamese (with diacritics) and English. */
  readonly label: { readonly vi: string; readonly en: string };
}

const UGM3 = 'µg/m³';
/** PMS5003 particle counts: 16-bit counters per 0.1 L of air. */
const PER_DL = '#/0.1 L';

const catalogue = {
  pm1: def('pm1', UGM3, 0, 1000, 1, 'Bụi PM1', 'PM1'),
  pm25: def('pm25', UGM3, 0, 1000, 1, 'Bụi PM2.5', 'PM2.5'),
  pm10: def('pm10', UGM3, 0, 2000, 1, 'Bụi PM10', 'PM10'),
  tsp: def('tsp', UGM3, 0, 5000, 1, 'Tổng bụi lơ lửng (TSP)', 'Total suspended particulates (TSP)'),
  co: def('co', UGM3, 0, 100_000, 0, 'Cacbon monoxit (CO)', 'Carbon monoxide (CO)'),
  no2: def('no2', UGM3, 0, 4000, 1, 'Nitơ đioxit (NO₂)', 'Nitrogen dioxide (NO₂)'),
  so2: def('so2', UGM3, 0, 5000, 1, 'Lưu huỳnh đioxit (SO₂)', 'Sulfur dioxide (SO₂)'),
  o3: def('o3', UGM3, 0, 2000, 1, 'Ôzôn (O₃)', 'Ozone (O₃)'),
  temperature: def('temperature', '°C', -40, 85, 1, 'Nhiệt độ', 'Temperature'),
  humidity: def('humidity', '%', 0, 100, 1, 'Độ ẩm', 'Relative humidity'),
  pressure: def('pressure', 'hPa', 300, 1100, 1, 'Áp suất khí quyển', 'Atmospheric pressure'),
  noise: def('noise', 'dBA', 20, 140, 1, 'Tiếng ồn', 'Noise level'),
  wind_speed: def('wind_speed', 'm/s', 0, 75, 1, 'Tốc độ gió', 'Wind speed'),
  wind_direction: def('wind_direction', '°', 0, 360, 0, 'Hướng gió', 'Wind direction'),
  rainfall: def('rainfall', 'mm', 0, 500, 1, 'Lượng mưa', 'Rainfall'),
  water_ph: def('water_ph', 'pH', 0, 14, 2, 'pH nước', 'Water pH'),
  water_do: def('water_do', 'mg/L', 0, 50, 2, 'Oxy hòa tan (DO)', 'Dissolved oxygen (DO)'),
  water_turbidity: def('water_turbidity', 'NTU', 0, 4000, 1, 'Độ đục', 'Turbidity'),
  camera_online: def('camera_online', '', 0, 1, 0, 'Camera trực tuyến', 'Camera online'),
  pc_0_3: particles('pc_0_3', '0,3', '0.3'),
  pc_0_5: particles('pc_0_5', '0,5', '0.5'),
  pc_1_0: particles('pc_1_0', '1,0', '1.0'),
  pc_2_5: particles('pc_2_5', '2,5', '2.5'),
  pc_5_0: particles('pc_5_0', '5,0', '5.0'),
  pc_10: particles('pc_10', '10', '10'),
} as const satisfies Record<string, MetricDef>;

/** Name of a catalogued metric, e.g. `'pm25'`. */
export type MetricName = keyof typeof catalogue;

/**
 * The catalogue, frozen (entries and labels too). Units and ranges, per metric:
 * particulates and gases µg/m³ (CO too, not mg/m³ or ppm), temperature °C, humidity % RH, pressure hPa,
 * noise dBA, wind_speed m/s, wind_direction degrees from north (0–360), rainfall mm accumulated over the
 * reading's interval, water_ph pH, water_do mg/L, water_turbidity NTU, camera_online 0 (offline) or 1 (online),
 * pc_* particle counts larger than the size in the name (µm) per 0.1 L of air.
 */
export const metrics: Readonly<Record<MetricName, MetricDef>> = Object.freeze(catalogue);

/** Every catalogued metric name, in catalogue order. */
export const metricNames: readonly MetricName[] = Object.freeze(Object.keys(catalogue) as MetricName[]);

const byName: ReadonlyMap<string, MetricDef> = new Map(Object.entries(catalogue));

/** The definition of `name`, or undefined when it is not catalogued (inherited keys like `toString` are not). */
export function getMetric(name: string): MetricDef | undefined {
  return byName.get(name);
}

/** True when `name` is catalogued. */
export function isMetricName(name: unknown): name is MetricName {
  return typeof name === 'string' && byName.has(name);
}

/**
 * True when `value` (in the metric's unit) is finite and within [min, max] of metric `name`.
 * False for unknown metrics. Use it to mark a reading's quality `bad`, not to drop it.
 */
export function isPlausible(name: string, value: number): boolean {
  const metric = byName.get(name);
  return metric !== undefined && Number.isFinite(value) && value >= metric.min && value <= metric.max;
}

function def<N extends string>(
  name: N,
  unit: string,
  min: number,
  max: number,
  decimals: number,
  vi: string,
  en: string,
): MetricDef & { readonly name: N } {
  return Object.freeze({ name, unit, min, max, decimals, label: Object.freeze({ vi, en }) });
}

/** A particle-count metric; `viSize`/`enSize` is the size threshold in µm with the locale's decimal mark. */
function particles<N extends string>(name: N, viSize: string, enSize: string): MetricDef & { readonly name: N } {
  const vi = `Số hạt > ${viSize} µm / 0,1 L`;
  return def(name, PER_DL, 0, 65_535, 0, vi, `Particles > ${enSize} µm / 0.1 L`);
}
