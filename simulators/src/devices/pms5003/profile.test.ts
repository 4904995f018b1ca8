import { describe, expect, it } from 'vitest';
import { cf1FromAtmospheric, countsFromMass, hanoiProfile } from './profile.js';

const HOUR_MS = 3_600_000;

/** Mean PM2.5 over every hour in [from, to), UTC instants. */
function meanPm25(source: ReturnType<typeof hanoiProfile>, from: string, to: string, localHour?: number): number {
  let sum = 0;
  let n = 0;
  for (let t = Date.parse(from); t < Date.parse(to); t += HOUR_MS) {
    if (localHour !== undefined && (new Date(t).getUTCHours() + 7) % 24 !== localHour) continue;
    sum += source(new Date(t)).pm25;
    n += 1;
  }
  return sum / n;
}

describe('hanoiProfile', () => {
  const source = hanoiProfile({ seed: 42 });

  it('has an annual PM2.5 mean near Hà Nội’s ≈ 40 µg/m³', () => {
    expect(meanPm25(source, '2025-01-01T00:00Z', '2026-01-01T00:00Z')).toBeGreaterThan(35);
    expect(meanPm25(source, '2025-01-01T00:00Z', '2026-01-01T00:00Z')).toBeLessThan(45);
  });

  it('makes winter about three times as polluted as summer', () => {
    const winter = meanPm25(source, '2025-12-01T00:00Z', '2026-02-01T00:00Z');
    const summer = meanPm25(source, '2025-06-01T00:00Z', '2025-08-01T00:00Z');
    expect(winter / summer).toBeGreaterThan(2.5);
    expect(winter / summer).toBeLessThan(4);
  });

  it('peaks in the early morning and bottoms out in the afternoon (local time)', () => {
    const night = meanPm25(source, '2025-01-01T00:00Z', '2025-02-01T00:00Z', 4);
    const afternoon = meanPm25(source, '2025-01-01T00:00Z', '2025-02-01T00:00Z', 14);
    expect(night / afternoon).toBeGreaterThan(2);
  });

  it('keeps PM1 ≤ PM2.5 ≤ PM10 on average and repeats itself for the same seed', () => {
    const a = hanoiProfile({ seed: 7 });
    const b = hanoiProfile({ seed: 7 });
    const at = new Date('2025-01-15T22:00Z');
    expect(a(at)).toEqual(b(at));
    let pm1 = 0;
    let pm25 = 0;
    let pm10 = 0;
    for (let i = 0; i < 500; i += 1) {
      const s = a(at);
      pm1 += s.pm1;
      pm25 += s.pm25;
      pm10 += s.pm10;
    }
    expect(pm1).toBeLessThan(pm25);
    expect(pm25).toBeLessThan(pm10);
  });
});

describe('countsFromMass', () => {
  it('gives non-increasing cumulative counts near the captured frame', () => {
    expect(countsFromMass({ pm1: 0, pm25: 8, pm10: 8 })).toEqual([208, 68, 44, 28, 0, 0]);
    const c = countsFromMass({ pm1: 60, pm25: 90, pm10: 160 });
    for (let i = 1; i < c.length; i += 1) expect(c[i]).toBeLessThanOrEqual(c[i - 1] ?? 0);
  });
});

describe('cf1FromAtmospheric', () => {
  it('equals atmospheric at low concentrations and is 1.5× above ≈ 67 µg/m³, continuously', () => {
    expect(cf1FromAtmospheric(8)).toBe(8);
    expect(cf1FromAtmospheric(30)).toBe(30);
    expect(cf1FromAtmospheric(100)).toBe(150);
    let previous = 0;
    for (let atm = 0; atm <= 300; atm += 1) {
      const cf1 = cf1FromAtmospheric(atm);
      expect(cf1).toBeGreaterThanOrEqual(previous);
      expect(cf1 - previous).toBeLessThanOrEqual(3);
      previous = cf1;
    }
  });
});
