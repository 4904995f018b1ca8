import { describe, expect, it } from 'vitest';
import { dailyMax1h, dailyMean, HOUR_MS, max8hRunningMean, nowCastWindow, vnDailyInputs, vnDayOf, vnDayRange, type HourlyMean } from './series.js';
import { vnDailyAqi } from './vn.js';

// VN day 2026-11-26 starts at 2026-11-25T17:00Z (00:00+07:00): the hour labelled 01:00 local.
const DAY = '2026-11-26';
const START = Date.UTC(2026, 10, 25, 17);

function repeat(n: number, value: number | null): (number | null)[] {
  return Array.from({ length: n }, () => value);
}

/** Hourly means from `from`, one per hour. */
function hours(from: number, values: (number | null)[]): HourlyMean[] {
  return values.map((value, i) => ({ ts: from + i * HOUR_MS, value }));
}

describe('VN local day (UTC+7, hours 01:00 … 00:00)', () => {
  it('maps hour starts to days', () => {
    expect(vnDayRange(DAY)).toEqual({ from: START, to: START + 24 * HOUR_MS });
    expect(vnDayOf(START)).toBe(DAY); // 00:00–01:00 local, labelled 01:00
    expect(vnDayOf(START + 23 * HOUR_MS)).toBe(DAY); // 23:00–24:00 local, labelled 00:00 of the next day
    expect(vnDayOf(START - HOUR_MS)).toBe('2026-11-25');
    expect(vnDayOf(START + 24 * HOUR_MS)).toBe('2026-11-27');
  });

  it.each(['2026-13-01', '2026-02-30', '26-11-2026', ''])('refuses %j', (day) => {
    expect(() => vnDayRange(day)).toThrow(RangeError);
  });
});

describe('daily statistics', () => {
  it('24-hour mean of exactly the day’s 24 hourly means', () => {
    const series = [...hours(START - 2 * HOUR_MS, [1000, 1000]), ...hours(START, repeat(24, 55.7)), ...hours(START + 24 * HOUR_MS, [1000])];
    expect(dailyMean(series, DAY)).toBe(55.7);
    expect(dailyMax1h(series, DAY)).toBe(55.7);
  });

  it('mean of hours with data; null below 18 of 24 (adjustable)', () => {
    const values = [...repeat(18, 40), ...repeat(6, null)];
    expect(dailyMean(hours(START, values), DAY)).toBe(40);
    const fewer = [...repeat(17, 40), ...repeat(7, null)];
    expect(dailyMean(hours(START, fewer), DAY)).toBeNull();
    expect(dailyMean(hours(START, fewer), DAY, { dailyMinHours: 12 })).toBe(40);
  });

  it('is exact: the mean of 55.6, 55.8 and 55.7 ×22 is 55.7, whose PM2.5 sub-index rounds 109.5 up to 110', () => {
    const series = hours(START, [55.6, 55.8, ...repeat(22, 55.7)]);
    const pm25 = dailyMean(series, DAY);
    expect(pm25).toBe(55.7);
    expect(vnDailyAqi({ pm25_24h: pm25 }).aqi).toBe(110);
  });

  it('8-hour running mean: the highest over windows ending in the day, reaching into the previous day', () => {
    // Previous day's last 7 hours at 200, then the day at 50 except 120 at hour 12..19.
    const prev = hours(START - 7 * HOUR_MS, repeat(7, 200));
    const day = hours(START, Array.from({ length: 24 }, (_, h) => (h >= 12 && h < 20 ? 120 : 50)));
    // window ending at the day's first hour: 7×200 + 50 → 181.25
    expect(max8hRunningMean([...prev, ...day], DAY)).toBe(181.25);
    expect(max8hRunningMean(day, DAY)).toBe(120);
  });

  it('an 8-hour window needs 6 of 8 hours', () => {
    const day = hours(START, [100, 100, 100, 100, 100, null, null, null, ...repeat(16, null)]);
    expect(max8hRunningMean(day, DAY)).toBeNull();
    expect(max8hRunningMean(day, DAY, { eightHourMinHours: 5 })).toBe(100);
  });

  it('builds vnDailyInputs from series, null where there is no series or not enough data', () => {
    const o3 = hours(START, Array.from({ length: 24 }, (_, h) => 60 + h));
    const input = vnDailyInputs({ pm25: hours(START, repeat(24, 30)), no2: hours(START, [10, 130.8, 20]), o3 }, DAY);
    expect(input).toEqual({
      pm25_24h: 30,
      pm10_24h: null,
      no2_1h_max: 130.8,
      so2_1h_max: null,
      co_1h_max: null,
      o3_1h_max: 83,
      o3_8h_max: 79.5, // mean of 76..83
    });
    expect(vnDailyAqi(input)).toMatchObject({ aqi: 65, dominant: 'no2' });
  });

  it('refuses timestamps that are not whole hours', () => {
    expect(() => dailyMean([{ ts: START + 1, value: 1 }], DAY)).toThrow(RangeError);
  });
});

describe('nowCastWindow', () => {
  it('lists the current hour first, then the 11 before it, null for gaps', () => {
    const series = [...hours(START, [1, 2, 3, null, 5]), { ts: START - 5 * HOUR_MS, value: 9 }];
    expect(nowCastWindow(series, START + 4 * HOUR_MS)).toEqual([5, null, 3, 2, 1, null, null, null, null, 9, null, null]);
  });
});
