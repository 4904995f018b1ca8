import type { Reading } from '@ioc/protocol';
import { describe, expect, it } from 'vitest';
import { CameraHeartbeats, HeartbeatTracker } from './heartbeat.js';

describe('HeartbeatTracker', () => {
  it.each([1, 2, 3, 5])('goes offline after exactly %i consecutive misses, online at the first heartbeat', (n) => {
    const t = new HeartbeatTracker(n);
    expect(t.record(true)).toBe('online');
    for (let i = 1; i < n; i += 1) expect(t.record(false)).toBe('online');
    expect(t.record(false)).toBe('offline');
    expect(t.record(false)).toBe('offline');
    expect(t.record(true)).toBe('online');
    expect(t).toMatchObject({ missed: 0, heartbeats: 2, failures: n + 1, wentOffline: 1 });
  });

  it('restarts the count after a heartbeat: misses must be consecutive', () => {
    const t = new HeartbeatTracker(3);
    const states = [true, false, false, true, false, false, true, false, false, false].map((arrived) => t.record(arrived));
    expect(states.lastIndexOf('online')).toBe(8);
    expect(states.at(-1)).toBe('offline');
    expect(t.wentOffline).toBe(1);
  });

  it('stays unknown at start until a heartbeat or N misses', () => {
    const t = new HeartbeatTracker(3);
    expect([t.record(false), t.record(false), t.record(false)]).toEqual(['unknown', 'unknown', 'offline']);
    expect(new HeartbeatTracker(3).record(true)).toBe('online');
  });

  it('refuses a count below 1', () => {
    expect(() => new HeartbeatTracker(0)).toThrow(RangeError);
  });
});

describe('CameraHeartbeats', () => {
  it('emits one camera_online reading per known camera per period, stamped with the period start', () => {
    const out: Reading[] = [];
    const hb = new CameraHeartbeats({ ids: ['cam-a', 'cam-b'], missedHeartbeats: 2, emit: (r) => out.push(r) });
    hb.record(0, true, 1000);
    hb.record(1, false, 1000); // unknown: nothing yet
    hb.record(0, false, 2000);
    hb.record(1, false, 2000, 'uncertain');
    hb.record(0, false, 3000);
    expect(out).toEqual([
      { sensor: 'cam-a', metric: 'camera_online', ts: 1000, value: 1, quality: 'good' },
      { sensor: 'cam-a', metric: 'camera_online', ts: 2000, value: 1, quality: 'good' },
      { sensor: 'cam-b', metric: 'camera_online', ts: 2000, value: 0, quality: 'uncertain' },
      { sensor: 'cam-a', metric: 'camera_online', ts: 3000, value: 0, quality: 'good' },
    ]);
    expect(hb.stats()).toEqual({
      camerasOnline: 0,
      camerasOffline: 2,
      camerasUnknown: 0,
      heartbeats: 1,
      missedHeartbeats: 4,
      wentOffline: 2,
      'cam-a.online': 0,
      'cam-a.missed': 2,
      'cam-a.failures': 2,
      'cam-b.online': 0,
      'cam-b.missed': 2,
      'cam-b.failures': 2,
    });
  });

  it('reports an unknown camera as -1 and ignores an index out of range', () => {
    const hb = new CameraHeartbeats({ ids: ['cam-a'], missedHeartbeats: 3, emit: () => expect.unreachable() });
    hb.record(5, true, 1);
    hb.record(0, false, 1);
    expect(hb.stats()).toMatchObject({ camerasUnknown: 1, 'cam-a.online': -1, 'cam-a.missed': 1 });
  });
});
