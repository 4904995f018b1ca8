import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { getMetric, isPlausible, isValidId, metricNames, metrics } from './index.js';

describe('metric catalogue', () => {
  it('holds every metric the field sends', () => {
    const required = [
      'pm1', 'pm25', 'pm10', 'tsp', 'co', 'no2', 'so2', 'o3', 'temperature', 'humidity', 'pressure', 'noise',
      'wind_speed', 'wind_direction', 'rainfall', 'water_ph', 'water_do', 'water_turbidity', 'camera_online',
      'pc_0_3', 'pc_0_5', 'pc_1_0', 'pc_2_5', 'pc_5_0', 'pc_10',
    ];
    expect([...metricNames].sort()).toEqual([...required].sort());
  });

  it('is consistent: key = name, names follow the id rule, min < max, both labels set', () => {
    for (const name of metricNames) {
      const m = metrics[name];
      expect(m.name).toBe(name);
      expect(isValidId(name)).toBe(true);
      expect(m.min).toBeLessThan(m.max);
      expect(m.label.vi.length).toBeGreaterThan(0);
      expect(m.label.en.length).toBeGreaterThan(0);
    }
  });

  it('uses the canonical units (gases, CO included, in µg/m³)', () => {
    const units = Object.fromEntries(metricNames.map((n) => [n, metrics[n].unit]));
    expect(units).toMatchObject({
      pm25: 'µg/m³', tsp: 'µg/m³', co: 'µg/m³', no2: 'µg/m³', so2: 'µg/m³', o3: 'µg/m³',
      temperature: '°C', humidity: '%', pressure: 'hPa', noise: 'dBA', wind_speed: 'm/s', wind_direction: '°',
      rainfall: 'mm', water_ph: 'pH', water_do: 'mg/L', water_turbidity: 'NTU', pc_0_3: '#/0.1 L',
    });
  });

  it('has Vietnamese labels with diacritics', () => {
    expect(metrics.pm25.label).toEqual({ vi: 'Bụi PM2.5', en: 'PM2.5' });
    expect(metrics.temperature.label).toEqual({ vi: 'Nhiệt độ', en: 'Temperature' });
    expect(metrics.water_do.label.vi).toBe('Oxy hòa tan (DO)');
    expect(metrics.no2.label.vi).toBe('Nitơ đioxit (NO₂)');
    expect(metrics.pc_0_3.label).toEqual({ vi: 'Số hạt > 0,3 µm / 0,1 L', en: 'Particles > 0.3 µm / 0.1 L' });
    expect(metrics.pc_10.label.vi).toBe('Số hạt > 10 µm / 0,1 L');
  });

  it('is frozen, down to the labels', () => {
    expect(Object.isFrozen(metrics) && Object.isFrozen(metrics.pm25) && Object.isFrozen(metrics.pm25.label)).toBe(true);
    expect(Object.isFrozen(metricNames)).toBe(true);
  });

  it('getMetric finds catalogued names only, never inherited keys', () => {
    expect(getMetric('water_ph')).toMatchObject({ unit: 'pH', min: 0, max: 14 });
    for (const name of ['PM25', 'pm2.5', 'toString', 'constructor', '__proto__', '']) expect(getMetric(name)).toBeUndefined();
  });
});

describe('isPlausible', () => {
  const cases: Array<[string, number, boolean]> = [
    ['pm25', 0, true],
    ['pm25', 42.1, true],
    ['pm25', -1, false],
    ['pm25', 1000, true],
    ['pm25', 1000.1, false],
    ['humidity', 100, true],
    ['humidity', 101, false],
    ['water_ph', 14, true],
    ['water_ph', 14.01, false],
    ['temperature', -40, true],
    ['temperature', 85.5, false],
    ['wind_direction', 360, true],
    ['camera_online', 1, true],
    ['camera_online', 2, false],
    ['pc_0_3', 65_535, true],
    ['pressure', 0, false],
    ['pm25', Number.NaN, false],
    ['pm25', Infinity, false],
    ['unknown_metric', 1, false],
    ['toString', 1, false],
  ];

  it.each(cases)('%s = %d → %s', (name, v, expected) => {
    expect(isPlausible(name, v)).toBe(expected);
  });
});

describe('docs/protocol.md', () => {
  it('lists exactly the catalogue, with the same unit, range and labels', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../docs/protocol.md', import.meta.url)), 'utf8');
    const rows = doc
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
    const documented = rows.filter((cells) => cells.length === 6).map((cells) => cells.join(' | '));
    const expected = metricNames.map((n) => {
      const m = metrics[n];
      return [`\`${n}\``, m.unit || '—', `${m.min} … ${m.max}`, String(m.decimals ?? ''), m.label.vi, m.label.en].join(' | ');
    });
    expect(documented).toEqual(expected);
  });
});
