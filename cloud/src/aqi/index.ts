/**
 * @ioc/cloud/aqi — air-quality indices, pure and table-driven (no I/O):
 * VN_AQI per QĐ 1459/QĐ-TCMT (hourly with NowCast, daily, categories and colours) and the US EPA AQI (2024 table).
 * Every rounding is decided on the exact value of the formula (BigInt rationals), never on a float approximation.
 */
export { vnSubIndex, vnCategory, vnHourlyAqi, vnDailyAqi, VN_AQI_POLLUTANTS } from './vn.js';
export type { VnAqiPollutant, VnAqiResult, VnHourlyInput, VnHourlyResult, VnDailyInput } from './vn.js';
export { nowCast, NOWCAST_HOURS } from './nowcast.js';
export { epaAqi, type EpaPollutant } from './epa.js';
export { VN_BREAKPOINTS, VN_CATEGORIES, VN_I, type Category, type CategoryKey, type VnPollutant } from './vn-tables.js';
export {
  HOUR_MS,
  VN_UTC_OFFSET_MS,
  dailyMax1h,
  dailyMean,
  max8hRunningMean,
  nowCastWindow,
  vnDailyInputs,
  vnDayOf,
  vnDayRange,
  type Completeness,
  type HourlyMean,
  type PollutantSeries,
} from './series.js';
