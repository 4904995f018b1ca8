import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nowCast } from './nowcast.js';
import { vnCategory, vnDailyAqi, vnHourlyAqi, vnSubIndex, type VnDailyInput } from './vn.js';
import { VN_BREAKPOINTS, VN_I, type VnPollutant } from './vn-tables.js';

interface Vectors {
  vn_aqi_subindex: { pollutant: VnPollutant; c: number; aqi: number }[];
  vn_nowcast: { series: (number | null)[]; nowcast: number; pm25_aqi: number }[];
  vn_daily: ({ aqi: number } & VnDailyInput)[];
}
// The AQI sections of ../shared/domain/vectors.json, copied verbatim beside this test.
const vectors = JSON.parse(readFileSync(new URL('./vectors.json', import.meta.url), 'utf8')) as Vectors;

describe('vnSubIndex: vectors.json', () => {
  it.each(vectors.vn_aqi_subindex)('$pollutant $c µg/m³ → $aqi', ({ pollutant, c, aqi }) => {
    expect(vnSubIndex(pollutant, c)).toBe(aqi);
  });
});

describe('vnSubIndex: derived by hand', () => {
  it.each([
    [25, 50],
    [50, 100],
    [80, 150],
    [150, 200],
    [250, 300],
    [350, 400],
    [500, 500],
  ])('PM2.5 exactly on the breakpoint %d → %d (continuous scale, no EPA-style 51/101)', (c, aqi) => {
    expect(vnSubIndex('pm25', c)).toBe(aqi);
  });

  it('every breakpoint of every column gives exactly its I', () => {
    for (const [p, bps] of Object.entries(VN_BREAKPOINTS) as [VnPollutant, number[]][]) {
      bps.forEach((bp, i) => expect(vnSubIndex(p, bp), `${p} ${bp}`).toBe(VN_I[i]));
    }
  });

  it.each([
    ['pm25', 21.25, 43], // 42.5 → 43, half up (banker's rounding would give 42)
    ['pm25', 21.2, 42], // 42.4
    ['no2', 118.7, 59], // 59.35 → 59: the text's hourly example prints 60, an erratum
    ['no2', 130.8, 65], // 65.4 → 65: the text's daily example
    ['pm25', 55.7, 110], // 109.5 → 110
    // Exact halves that a float formula puts at x.4999…: decided on the exact value.
    ['o3_1h', 161.2, 52], // 51.5
    ['o3_8h', 100.6, 52], // 51.5
    ['pm10', 352.45, 204], // 203.5
    ['so2', 2107.95, 402], // 401.5
  ] as const)('%s %d → %d (round half up on the exact value)', (p, c, aqi) => {
    expect(vnSubIndex(p, c)).toBe(aqi);
  });

  it.each([
    ['co', 10_000, 50],
    ['co', 30_000, 100],
    ['co', 150_000, 500],
    ['co', 9_999, 50], // 49.995
    ['co', 9_899, 49], // 49.495
    ['so2', 0, 0],
    ['pm10', 600, 500],
    ['pm10', 2000, 500],
    ['o3_1h', 5000, 500],
    ['pm25', 1e-7, 0],
    ['pm25', 0.25, 1], // 0.5
  ] as const)('%s %d µg/m³ → %d', (p, c, aqi) => {
    expect(vnSubIndex(p, c)).toBe(aqi);
  });

  it('O3 8h: 400 µg/m³ is I 300; above 400 the column does not apply (null)', () => {
    expect(vnSubIndex('o3_8h', 400)).toBe(300);
    expect(vnSubIndex('o3_8h', 400.1)).toBeNull();
    expect(vnSubIndex('o3_8h', 210)).toBe(200);
    expect(vnSubIndex('o3_8h', 305)).toBe(250);
  });

  it.each([-1, -0.001, NaN, Infinity, -Infinity])('%d is no data (null), never 0', (c) => {
    for (const p of Object.keys(VN_BREAKPOINTS) as VnPollutant[]) expect(vnSubIndex(p, c)).toBeNull();
  });
});

describe('vnSubIndex: properties', () => {
  const pollutants = Object.keys(VN_BREAKPOINTS) as VnPollutant[];

  it.each(pollutants)('%s is monotonic non-decreasing over a dense sweep, and within 0..500', (p) => {
    const top = VN_BREAKPOINTS[p].at(-1) ?? 0;
    const end = p === 'o3_8h' ? top : top * 1.2;
    const steps = 60_000;
    let prev = -1;
    const bad: string[] = [];
    for (let k = 0; k <= steps; k++) {
      const c = (end * k) / steps;
      const aqi = vnSubIndex(p, c);
      if (aqi === null || aqi < prev || aqi > 500) bad.push(`${c} → ${aqi} after ${prev}`);
      prev = aqi ?? -1;
    }
    expect(bad).toEqual([]);
    expect(prev).toBe(p === 'o3_8h' ? 300 : 500);
  });

  it('agrees with the plain float formula wherever that is not within 1e-6 of a half', () => {
    let seed = 12345;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let k = 0; k < 20_000; k++) {
      const p = pollutants[k % pollutants.length] ?? 'pm25';
      const bps = VN_BREAKPOINTS[p];
      const c = Math.round(rand() * (bps.at(-1) ?? 0) * 100) / 100;
      const i = bps.findIndex((bp, j) => c < (bps[j + 1] ?? Infinity) && c >= bp);
      const lo = bps[i] ?? 0;
      const hi = bps[i + 1];
      if (hi === undefined) continue;
      const x = ((VN_I[i + 1] ?? 0) - (VN_I[i] ?? 0)) / (hi - lo) * (c - lo) + (VN_I[i] ?? 0);
      if (Math.abs((x % 1) - 0.5) < 1e-6) continue;
      expect(vnSubIndex(p, c), `${p} ${c}`).toBe(Math.round(x));
    }
  });
});

describe('nowCast', () => {
  it.each(vectors.vn_nowcast)('vectors.json: $series → $nowcast (PM2.5 AQI $pm25_aqi)', ({ series, nowcast, pm25_aqi }) => {
    const nc = nowCast(series);
    expect(nc).not.toBeNull();
    expect(nc).toBeCloseTo(nowcast, 2);
    expect(vnHourlyAqi({ pm25: series }).subIndices.pm25).toBe(pm25_aqi);
  });

  it.each([
    { series: [40, 20], expected: 50 / 1.5, why: 'w* = 0.5 exactly' },
    { series: [20, 40], expected: 40 / 1.5, why: 'older hours weigh less' },
    { series: [10, 100], expected: 40, why: 'w* = 0.1 is raised to 0.5' },
    { series: [30, 40], expected: 60 / 1.75, why: 'w = 0.75' },
    { series: [10, null, 20], expected: 12, why: 'a missing hour is skipped, weights stay by position (1, –, w²)' },
    { series: [null, 10, 20], expected: 40 / 3, why: '2 of c1..c3 suffice' },
    { series: [10, 10, null, null, null, null, null, null, null, null, null, 1000], expected: 10 + 990 / 3073, why: 'hour 12 counts, with weight w¹¹ = 1/2048' },
    { series: [35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 1000], expected: 35, why: 'only 12 hours are used' },
    { series: [0, 0, 0], expected: 0, why: 'Cmax = 0 → 0' },
    { series: [null, 0, 0, null], expected: 0, why: 'Cmax = 0 with a missing hour' },
    { series: [20, -5, 20], expected: 20, why: 'a negative mean is a missing hour' },
  ])('$series → $expected ($why)', ({ series, expected }) => {
    expect(nowCast(series)).toBeCloseTo(expected, 9);
  });

  it.each([
    [[]],
    [[20]],
    [[20, null, null, 20, 20, 20]],
    [[null, null, 20, 20, 20]],
    [[null, 20, NaN, 20]],
  ])('%j → null: fewer than 2 of c1..c3 have data', (series) => {
    expect(nowCast(series)).toBeNull();
    const hourly = vnHourlyAqi({ pm25: series, no2: 150 });
    expect(hourly.subIndices.pm25).toBeNull();
    expect(hourly.aqi).toBeNull();
  });

  it('returns a short decimal exactly (ratio of weights cancels)', () => {
    expect(nowCast([21.25, 21.25, 21.25])).toBe(21.25);
  });

  it('takes the sub-index of the exact NowCast', () => {
    // w* = 10/15 → NowCast of [15, 10] = (15 + 2/3·10)/(5/3) = 13, PM2.5 → 26
    expect(vnHourlyAqi({ pm25: [15, 10] }).subIndices.pm25).toBe(26);
    // [11.25, 11.25] → 11.25 → 22.5 → 23 (half up on the exact NowCast)
    expect(vnHourlyAqi({ pm25: [11.25, 11.25] }).subIndices.pm25).toBe(23);
  });
});

describe('vnHourlyAqi', () => {
  const series = vectors.vn_nowcast[0]?.series ?? [];

  it('takes the highest sub-index, names it, and categorises it', () => {
    const r = vnHourlyAqi({ pm25: series, no2: 118.7, o3: 136.1, so2: 10, co: 2000 });
    expect(r.subIndices).toEqual({ pm25: 41, pm10: null, o3: 43, no2: 59, so2: 4, co: 10 });
    expect(r.aqi).toBe(59);
    expect(r.dominant).toBe('no2');
    expect(r.category).toMatchObject({ level: 2, key: 'moderate', vi: 'Trung bình', en: 'Moderate' });
    expect(r.nowCast.pm25).toBeCloseTo(20.27, 2);
    expect(r.nowCast.pm10).toBeNull();
  });

  it('needs PM2.5 or PM10: gases alone give no AQI, but their sub-indices are reported', () => {
    const r = vnHourlyAqi({ no2: 1000, o3: 300 });
    expect(r).toMatchObject({ aqi: null, category: null, dominant: null });
    expect(r.subIndices).toMatchObject({ no2: 180, o3: 150, pm25: null, pm10: null });
  });

  it('PM10 alone is enough', () => {
    expect(vnHourlyAqi({ pm10: [100, 100, 100] })).toMatchObject({ aqi: 75, dominant: 'pm10' });
  });

  it('a PM2.5 of 0 is a valid Tốt, not missing', () => {
    expect(vnHourlyAqi({ pm25: [0, 0, 0] })).toMatchObject({ aqi: 0, dominant: 'pm25', category: { key: 'good' } });
  });

  it('on a tie, reports the first pollutant of pm25, pm10, o3, no2, so2, co', () => {
    // PM2.5 37.5 → 75, PM10 100 → 75, CO 20000 → 75
    expect(vnHourlyAqi({ pm25: [37.5, 37.5], pm10: [100, 100], co: 20_000 })).toMatchObject({ aqi: 75, dominant: 'pm25' });
    expect(vnHourlyAqi({ pm25: [10, 10], pm10: [100, 100], co: 20_000 })).toMatchObject({ aqi: 75, dominant: 'pm10' });
  });

  it('a gas at or above its top breakpoint gives 500 (Nguy hại)', () => {
    expect(vnHourlyAqi({ pm25: [10, 10], co: 200_000 })).toMatchObject({ aqi: 500, dominant: 'co', category: { level: 6 } });
  });
});

describe('vnDailyAqi', () => {
  it.each(vectors.vn_daily)('vectors.json → $aqi', ({ aqi, ...input }) => {
    expect(vnDailyAqi(input).aqi).toBe(aqi);
  });

  it('takes O3 as the larger of its 1h-column and 8h-column sub-indices', () => {
    const [v] = vectors.vn_daily;
    const r = vnDailyAqi({ ...v });
    expect(r.subIndices).toEqual({ pm25: 110, pm10: null, o3: 45, no2: 65, so2: null, co: null });
    expect(r).toMatchObject({ dominant: 'pm25', category: { key: 'poor', vi: 'Kém' } });
    // 1h 250 → 125 beats 8h 110 → 75
    expect(vnDailyAqi({ pm25_24h: 10, o3_1h_max: 250, o3_8h_max: 110 }).subIndices.o3).toBe(125);
  });

  it('skips the 8-hour O3 column above 400 µg/m³ and keeps the 1-hour one', () => {
    const r = vnDailyAqi({ pm25_24h: 10, o3_1h_max: 420, o3_8h_max: 401 });
    expect(r.subIndices.o3).toBe(205);
    expect(r).toMatchObject({ aqi: 205, dominant: 'o3', category: { key: 'very_bad' } });
    expect(vnDailyAqi({ pm25_24h: 10, o3_8h_max: 401 }).subIndices.o3).toBeNull();
    expect(vnDailyAqi({ pm25_24h: 10, o3_8h_max: 400 }).subIndices.o3).toBe(300);
  });

  it('needs PM2.5 or PM10, like the hourly AQI', () => {
    expect(vnDailyAqi({ no2_1h_max: 500, o3_1h_max: 300 })).toMatchObject({ aqi: null, dominant: null, category: null });
    expect(vnDailyAqi({ pm10_24h: 100, so2_1h_max: 2630 })).toMatchObject({ aqi: 500, dominant: 'so2' });
  });
});

describe('vnCategory', () => {
  it.each([
    [0, 1, 'good', 'Tốt', 'Good', [0, 228, 0], '#00e400'],
    [50, 1, 'good', 'Tốt', 'Good', [0, 228, 0], '#00e400'],
    [51, 2, 'moderate', 'Trung bình', 'Moderate', [255, 255, 0], '#ffff00'],
    [100, 2, 'moderate', 'Trung bình', 'Moderate', [255, 255, 0], '#ffff00'],
    [101, 3, 'poor', 'Kém', 'Poor', [255, 126, 0], '#ff7e00'],
    [150, 3, 'poor', 'Kém', 'Poor', [255, 126, 0], '#ff7e00'],
    [151, 4, 'bad', 'Xấu', 'Bad', [255, 0, 0], '#ff0000'],
    [200, 4, 'bad', 'Xấu', 'Bad', [255, 0, 0], '#ff0000'],
    [201, 5, 'very_bad', 'Rất xấu', 'Very bad', [143, 63, 151], '#8f3f97'],
    [300, 5, 'very_bad', 'Rất xấu', 'Very bad', [143, 63, 151], '#8f3f97'],
    [301, 6, 'hazardous', 'Nguy hại', 'Hazardous', [126, 0, 35], '#7e0023'],
    [500, 6, 'hazardous', 'Nguy hại', 'Hazardous', [126, 0, 35], '#7e0023'],
    [999, 6, 'hazardous', 'Nguy hại', 'Hazardous', [126, 0, 35], '#7e0023'],
  ])('%d → level %d %s (%s / %s), %j %s', (aqi, level, key, vi, en, rgb, hex) => {
    expect(vnCategory(aqi)).toEqual(expect.objectContaining({ level, key, vi, en, rgb, hex }));
  });

  it.each([-1, NaN])('refuses %d', (aqi) => {
    expect(() => vnCategory(aqi)).toThrow(RangeError);
  });
});
