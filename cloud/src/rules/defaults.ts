/**
 * The rules that ship: exceedances of QCVN 05:2023/BTNMT (1 h, 8 h and 24 h limits, ../shared/domain/AIR-QUALITY.md),
 * VN_AQI at Kém or worse, camera offline, gateway offline, sensor silent. Operators edit or disable them through
 * the API; ids are stable so edits survive upgrades.
 *
 * QCVN limits apply to means, so each is a rolling_mean rule (its window's mean above the limit), which clears
 * below 90 % of the limit held for 10 min: a mean hovering at the limit does not flap.
 */
import { parseRule, type Rule } from './schema.js';

/** PM2.5 24-hour limit: 50 µg/m³, 45 µg/m³ from 2026-01-01 (local time). */
export const PM25_24H_LIMIT_CHANGE = Date.UTC(2026, 0, 1) - 7 * 3_600_000;

interface Limit {
  metric: string;
  window: '1h' | '8h' | '24h';
  limit: number;
  vi: string;
  en: string;
}

/** The rules in force on `on` (epoch ms; default now): the PM2.5 24 h limit depends on the date. */
export function defaultRules(on: number = Date.now()): Rule[] {
  const pm25 = on >= PM25_24H_LIMIT_CHANGE ? 45 : 50;
  const limits: Limit[] = [
    { metric: 'pm25', window: '24h', limit: pm25, vi: 'Bụi PM2.5', en: 'PM2.5' },
    { metric: 'pm10', window: '24h', limit: 100, vi: 'Bụi PM10', en: 'PM10' },
    { metric: 'tsp', window: '1h', limit: 300, vi: 'Tổng bụi lơ lửng (TSP)', en: 'TSP' },
    { metric: 'tsp', window: '24h', limit: 200, vi: 'Tổng bụi lơ lửng (TSP)', en: 'TSP' },
    { metric: 'no2', window: '1h', limit: 200, vi: 'NO₂', en: 'NO₂' },
    { metric: 'no2', window: '24h', limit: 100, vi: 'NO₂', en: 'NO₂' },
    { metric: 'so2', window: '1h', limit: 350, vi: 'SO₂', en: 'SO₂' },
    { metric: 'so2', window: '24h', limit: 125, vi: 'SO₂', en: 'SO₂' },
    { metric: 'co', window: '1h', limit: 30_000, vi: 'CO', en: 'CO' },
    { metric: 'co', window: '8h', limit: 10_000, vi: 'CO', en: 'CO' },
    { metric: 'o3', window: '1h', limit: 200, vi: 'O₃', en: 'O₃' },
    { metric: 'o3', window: '8h', limit: 120, vi: 'O₃', en: 'O₃' },
  ];
  const hours = { '1h': '1 giờ', '8h': '8 giờ', '24h': '24 giờ' } as const;
  const qcvn = limits.map((l) => ({
    id: `qcvn-${l.metric}-${l.window}`,
    kind: 'rolling_mean',
    label: {
      vi: `${l.vi} trung bình ${hours[l.window]} vượt QCVN 05:2023 (${l.limit} µg/m³)`,
      en: `${l.en} ${l.window} mean above QCVN 05:2023 (${l.limit} µg/m³)`,
    },
    severity: 'warning',
    metric: l.metric,
    window: l.window,
    limit: l.limit,
    clear: (l.limit * 9) / 10,
    clearHoldMs: 10 * 60_000,
  }));
  const others = [
    {
      id: 'vn-aqi-poor',
      kind: 'aqi_category',
      label: { vi: 'VN_AQI từ mức Kém trở lên', en: 'VN_AQI Poor or worse' },
      severity: 'warning',
      level: 3,
    },
    {
      id: 'camera-offline',
      kind: 'camera_offline',
      label: { vi: 'Camera mất kết nối', en: 'Camera offline' },
      severity: 'warning',
      missed: 3,
    },
    {
      id: 'gateway-offline',
      kind: 'gateway_offline',
      label: { vi: 'Gateway mất kết nối', en: 'Gateway offline' },
      severity: 'critical',
      silenceMs: 5 * 60_000,
      forMs: 60_000,
    },
    {
      id: 'sensor-silent',
      kind: 'no_data',
      label: { vi: 'Cảm biến không gửi dữ liệu 15 phút', en: 'Sensor silent for 15 min' },
      severity: 'warning',
      silenceMs: 15 * 60_000,
    },
    {
      id: 'outbox-drops',
      kind: 'outbox_drops',
      label: { vi: 'Gateway làm rơi dữ liệu', en: 'Gateway dropped readings' },
      severity: 'warning',
      minDrops: 1,
    },
  ];
  return [...qcvn, ...others].map((r, i) => parseRule(r, `defaults[${i}]`));
}
