import type { Quality, Reading } from '@ioc/protocol';
import type { Driver, DriverContext, DriverFactory } from '../../driver.js';
import { numericValue, OpcuaLink, qualityOfStatus, type OpcuaSample } from '../opcua/index.js';
import { parseCameraConfig, type CameraConfig, type CameraOpcuaConfig, type CameraProbeConfig } from './config.js';
import { CameraHeartbeats } from './heartbeat.js';
import { ProbePool } from './probe-pool.js';
import { probeCamera, type ProbeFn } from './probes.js';

/** One heartbeat source: probes or the NVR's status nodes. */
interface HeartbeatSource {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Runs one heartbeat period; resolves when its outcomes are recorded. */
  round(): Promise<void>;
  stats(): Record<string, number>;
}

/**
 * Traffic-camera liveness: one `camera_online` reading (1/0, sensor = camera id) per camera per `intervalMs`, from an
 * active probe of each camera or from its NVR's OPC-UA status node. Offline after `missedHeartbeats` consecutive
 * misses, online again at the first heartbeat.
 */
class CameraDriver implements Driver {
  readonly id: string;
  private readonly heartbeats: CameraHeartbeats;
  private readonly source: HeartbeatSource;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly rounds = new Set<Promise<void>>();
  private readings = 0;
  private sinkErrors = 0;

  constructor(
    private readonly config: CameraConfig,
    private readonly ctx: DriverContext,
    probe: ProbeFn,
  ) {
    this.id = config.id;
    this.heartbeats = new CameraHeartbeats({
      ids: config.cameras.map((camera) => camera.id),
      missedHeartbeats: config.missedHeartbeats,
      emit: (reading) => this.emit(reading),
    });
    this.source =
      config.mode === 'probe'
        ? probeSource(config, ctx, this.heartbeats, probe)
        : nvrSource(config, ctx, this.heartbeats);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.source.start();
    if (!this.running) return;
    this.timer = setInterval(() => this.round(), this.config.intervalMs);
    // Probes start at once; the NVR's status nodes need one interval to deliver their first values.
    if (this.config.mode === 'probe') this.round();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.timer);
    await this.source.stop();
    await Promise.all(this.rounds);
  }

  /** Heartbeat counters (fleet totals and `<camera>.online|missed|failures`), readings, sinkErrors, and the source's. */
  stats(): Record<string, number> {
    return { ...this.heartbeats.stats(), readings: this.readings, sinkErrors: this.sinkErrors, ...this.source.stats() };
  }

  private round(): void {
    if (!this.running) return;
    const round = this.source.round().finally(() => this.rounds.delete(round));
    this.rounds.add(round);
  }

  private emit(reading: Reading): void {
    if (!this.running) return;
    this.readings += 1;
    try {
      this.ctx.sink([reading]);
    } catch (err) {
      this.sinkErrors += 1;
      this.ctx.log.error({ err }, 'reading sink threw');
    }
  }
}

function probeSource(config: CameraProbeConfig, ctx: DriverContext, heartbeats: CameraHeartbeats, probe: ProbeFn): HeartbeatSource {
  const pool = new ProbePool({
    targets: config.cameras.map((camera) => camera.target),
    concurrency: config.concurrency,
    timeoutMs: config.timeoutMs,
    probe,
    now: () => ctx.now(),
    onResult: (index, outcome, startedAt) => heartbeats.record(index, outcome === 'ok', startedAt),
  });
  return {
    start: async () => {
      const worstRoundMs = Math.ceil(config.cameras.length / config.concurrency) * config.timeoutMs;
      if (worstRoundMs > config.intervalMs) {
        ctx.log.warn({ worstRoundMs, intervalMs: config.intervalMs }, 'if many cameras time out, a round of probes outlasts intervalMs: raise concurrency or intervalMs');
      }
    },
    stop: () => pool.stop(),
    round: () => pool.round(),
    stats: () => ({ ...pool.stats() }),
  };
}

/** The last status of each camera's NVR node. */
interface NvrStatus {
  online: boolean;
  quality: Quality;
}

function nvrSource(config: CameraOpcuaConfig, ctx: DriverContext, heartbeats: CameraHeartbeats): HeartbeatSource {
  const latest: (NvrStatus | undefined)[] = config.cameras.map(() => undefined);
  let nonBoolean = 0;
  const link = new OpcuaLink({
    connection: config,
    nodeIds: config.cameras.map((camera) => camera.nodeId),
    log: ctx.log,
    onSample: (index: number, sample: OpcuaSample) => {
      const value = numericValue(sample);
      const quality = qualityOfStatus(sample.statusCode);
      if (value === undefined && quality !== 'bad') nonBoolean += 1;
      latest[index] = { online: value !== undefined && value !== 0, quality };
    },
  });
  return {
    start: () => link.start(),
    stop: () => link.stop(),
    round: async () => {
      const ts = ctx.now();
      // While the NVR is unreachable every camera misses its heartbeat, and the readings say we do not really know.
      const quality: Quality = link.connected ? 'good' : 'uncertain';
      latest.forEach((status, index) => {
        const arrived = link.connected && status !== undefined && status.online && status.quality !== 'bad';
        heartbeats.record(index, arrived, ts, quality);
      });
    },
    stats: () => ({ ...link.stats(), nonBoolean }),
  };
}

/** Registry entry of the camera heartbeat driver. */
export const camera: DriverFactory<CameraConfig> = {
  name: 'camera',
  parseConfig: parseCameraConfig,
  create: (config, ctx) => new CameraDriver(config, ctx, probeCamera),
};

/** A camera driver whose probes are `probe` (tests, or a probe kind the registry does not ship). */
export function createCameraDriver(config: CameraConfig, ctx: DriverContext, probe: ProbeFn = probeCamera): Driver {
  return new CameraDriver(config, ctx, probe);
}
