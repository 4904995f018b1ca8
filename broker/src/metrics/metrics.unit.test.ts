import { describe, expect, it } from 'vitest';
import { LogLimiter } from '../log-limiter.js';
import { exposition } from './exposition.js';
import { RateWindow } from './rates.js';

describe('exposition', () => {
  it('writes HELP, TYPE and samples, escaping label values and help text', () => {
    const text = exposition([
      { name: 'x_total', help: 'a "help"\nline \\', type: 'counter', samples: [{ labels: { reason: 'a"b\\c\nd' }, value: 3 }] },
      { name: 'g', help: 'g', type: 'gauge', samples: [{ value: NaN }, { labels: { k: 'v' }, value: Infinity }, { value: 1.5 }] },
    ]);
    expect(text).toBe(
      [
        '# HELP x_total a "help"\\nline \\\\',
        '# TYPE x_total counter',
        'x_total{reason="a\\"b\\\\c\\nd"} 3',
        '# HELP g g',
        '# TYPE g gauge',
        'g NaN',
        'g{k="v"} +Inf',
        'g 1.5',
        '',
      ].join('\n'),
    );
  });
});

describe('RateWindow', () => {
  it('averages per-second rates over the window', () => {
    const w = new RateWindow(10);
    expect(w.rates()).toEqual([]);
    w.sample(0, [0, 100]);
    expect(w.rates()).toEqual([0, 0]);
    for (let s = 1; s <= 20; s++) w.sample(s * 1000, [s * 50, 100 + s * 10]);
    expect(w.rates()).toEqual([50, 10]);
    for (let s = 21; s <= 30; s++) w.sample(s * 1000, [1000, 300]); // counters stop moving
    expect(w.rates()).toEqual([0, 0]);
  });
});

describe('LogLimiter', () => {
  it('lets a few lines per key through per window, then reports how many it suppressed', () => {
    let now = 0;
    const l = new LogLimiter(2, 1000, () => now);
    expect([l.allow('a'), l.allow('a'), l.allow('a'), l.allow('a'), l.allow('b')].map((x) => x.log)).toEqual([true, true, false, false, true]);
    now = 1000;
    expect(l.allow('a')).toEqual({ log: true, suppressed: 2 });
  });
});
