import type { Quality, Reading } from '@ioc/protocol';

/** What the gateway believes of a camera: nothing yet, online, or offline. */
export type CameraState = 'unknown' | 'online' | 'offline';

/**
 * The liveness of one camera from its heartbeats: online at the first heartbeat that arrives, offline only after
 * `missedHeartbeats` consecutive misses (one lost probe on a busy link is not an outage). Before either, unknown.
 */
export class HeartbeatTracker {
  state: CameraState = 'unknown';
  /** Consecutive misses since the last heartbeat that arrived. */
  missed = 0;
  /** Heartbeats that arrived, and misses, since start. */
  heartbeats = 0;
  failures = 0;
  /** Transitions to offline. */
  wentOffline = 0;

  constructor(readonly missedHeartbeats: number) {
    if (!Number.isInteger(missedHeartbeats) || missedHeartbeats < 1) throw new RangeError('missedHeartbeats must be ≥ 1');
  }

  /** Records one heartbeat period: `arrived` true if the camera answered. Returns the state after it. */
  record(arrived: boolean): CameraState {
    if (arrived) {
      this.heartbeats += 1;
      this.missed = 0;
      this.state = 'online';
      return this.state;
    }
    this.failures += 1;
    this.missed += 1;
    if (this.missed >= this.missedHeartbeats && this.state !== 'offline') {
      this.state = 'offline';
      this.wentOffline += 1;
    }
    return this.state;
  }
}

export interface CameraHeartbeatsOptions {
  /** Camera ids, in config order; `record`'s index points into this list. */
  readonly ids: readonly string[];
  readonly missedHeartbeats: number;
  /** Receives each camera_online reading; must not throw. */
  emit(reading: Reading): void;
}

/** The trackers of a fleet and the camera_online readings they produce. */
export class CameraHeartbeats {
  private readonly trackers: HeartbeatTracker[];

  constructor(private readonly options: CameraHeartbeatsOptions) {
    this.trackers = options.ids.map(() => new HeartbeatTracker(options.missedHeartbeats));
  }

  /**
   * Records camera `index`'s heartbeat period that began at `ts` (epoch ms) and emits its camera_online reading
   * (1 online, 0 offline) with `quality`; an unknown camera emits nothing yet.
   */
  record(index: number, arrived: boolean, ts: number, quality: Quality = 'good'): void {
    const tracker = this.trackers[index];
    const sensor = this.options.ids[index];
    if (!tracker || sensor === undefined) return;
    const state = tracker.record(arrived);
    if (state === 'unknown') return;
    this.options.emit({ sensor, metric: 'camera_online', ts, value: state === 'online' ? 1 : 0, quality });
  }

  stateOf(index: number): CameraState | undefined {
    return this.trackers[index]?.state;
  }

  /**
   * Fleet totals (camerasOnline, camerasOffline, camerasUnknown, heartbeats, missedHeartbeats, wentOffline) and, per
   * camera, `<id>.online` (1, 0, or -1 while unknown), `<id>.missed` (consecutive) and `<id>.failures` (since start).
   */
  stats(): Record<string, number> {
    const totals = { camerasOnline: 0, camerasOffline: 0, camerasUnknown: 0, heartbeats: 0, missedHeartbeats: 0, wentOffline: 0 };
    const perCamera: Record<string, number> = {};
    this.trackers.forEach((t, i) => {
      const id = this.options.ids[i] ?? String(i);
      if (t.state === 'online') totals.camerasOnline += 1;
      else if (t.state === 'offline') totals.camerasOffline += 1;
      else totals.camerasUnknown += 1;
      totals.heartbeats += t.heartbeats;
      totals.missedHeartbeats += t.failures;
      totals.wentOffline += t.wentOffline;
      perCamera[`${id}.online`] = t.state === 'online' ? 1 : t.state === 'offline' ? 0 : -1;
      perCamera[`${id}.missed`] = t.missed;
      perCamera[`${id}.failures`] = t.failures;
    });
    return { ...totals, ...perCamera };
  }
}
