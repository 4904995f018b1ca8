import { describe, expect, it } from 'vitest';
import { metricName, renderExposition } from './metrics.js';

describe('Prometheus text exposition', () => {
  it('writes HELP and TYPE once per family, then its samples with escaped labels', () => {
    const text = renderExposition([
      { name: 'ioc_edge_readings_total', help: 'Readings.\nAll of them \\ really.', type: 'counter', samples: [{ value: 42 }] },
      { name: 'ioc_edge_input_frames_ok', help: 'x', type: 'untyped', samples: [{ labels: { input: 'pms-1', driver: 'pms5003' }, value: 7 }, { labels: { input: 'a"b\\c\nd', driver: 'x' }, value: 1.5 }] },
      { name: 'ioc_edge_empty', help: 'no samples, no lines', type: 'gauge', samples: [] },
      { name: 'ioc_edge_odd', help: 'specials', type: 'gauge', samples: [{ value: Number.NaN }, { value: Infinity }, { value: -Infinity }] },
    ]);
    expect(text).toBe(
      [
        '# HELP ioc_edge_readings_total Readings.\\nAll of them \\\\ really.',
        '# TYPE ioc_edge_readings_total counter',
        'ioc_edge_readings_total 42',
        '# HELP ioc_edge_input_frames_ok x',
        '# TYPE ioc_edge_input_frames_ok untyped',
        'ioc_edge_input_frames_ok{input="pms-1",driver="pms5003"} 7',
        'ioc_edge_input_frames_ok{input="a\\"b\\\\c\\nd",driver="x"} 1.5',
        '# HELP ioc_edge_odd specials',
        '# TYPE ioc_edge_odd gauge',
        'ioc_edge_odd NaN',
        'ioc_edge_odd +Inf',
        'ioc_edge_odd -Inf',
        '',
      ].join('\n'),
    );
  });

  it.each([
    ['framesOk', 'frames_ok'],
    ['checksumErrors', 'checksum_errors'],
    ['bytesIn', 'bytes_in'],
    ['pc0.3', 'pc0_3'],
    ['connected', 'connected'],
  ])('names the driver stat %s as %s', (key, name) => {
    expect(metricName(key)).toBe(name);
  });
});
