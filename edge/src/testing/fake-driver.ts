// Test support: an input driver under the test's control, for agent-level tests (remote config, metrics, calibration).
import net from 'node:net';
import type { Reading } from '@ioc/protocol';
import type { Driver, DriverContext, DriverFactory, FrameError } from '../driver.js';

export interface FakeConfig {
  readonly driver: 'fake';
  readonly id: string;
  readonly sensor: string;
  /** start() rejects with IOC_ERR_FAKE_START (to test rollbacks). */
  readonly failStart: boolean;
  /** Any value: lets a test change an input's config without changing its behaviour. */
  readonly tag?: string;
}

export interface FakeDriver extends Driver {
  readonly config: FakeConfig;
  readonly state: 'created' | 'running' | 'stopped';
  /** Emits one frame of readings (metric → value), stamped ctx.now(). */
  emit(values: Record<string, number>): void;
  frameError(error: FrameError): void;
}

/** A registry entry whose instances are all recorded in `instances`, oldest first. */
export function fakeDriverFactory(): DriverFactory<FakeConfig> & { instances: FakeDriver[] } {
  const instances: FakeDriver[] = [];
  return {
    name: 'fake',
    instances,
    parseConfig(raw, path) {
      const r = raw as Record<string, unknown>;
      for (const key of Object.keys(r)) {
        if (!['driver', 'id', 'sensor', 'failStart', 'tag'].includes(key)) throw Object.assign(new Error(`${path}.${key}: unknown field`), { code: 'IOC_ERR_CONFIG', path: `${path}.${key}` });
      }
      if (typeof r.sensor !== 'string' || !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(r.sensor)) {
        throw Object.assign(new Error(`${path}.sensor: must be a valid id`), { code: 'IOC_ERR_CONFIG', path: `${path}.sensor` });
      }
      return Object.freeze({ driver: 'fake', id: r.id as string, sensor: r.sensor, failStart: r.failStart === true, ...(typeof r.tag === 'string' ? { tag: r.tag } : {}) });
    },
    create(config, ctx: DriverContext) {
      let state: FakeDriver['state'] = 'created';
      let frames = 0;
      let frameErrors = 0;
      const driver: FakeDriver = {
        id: config.id,
        config,
        get state() {
          return state;
        },
        async start() {
          if (config.failStart) throw Object.assign(new Error(`${config.id} cannot start`), { code: 'IOC_ERR_FAKE_START' });
          state = 'running';
        },
        async stop() {
          state = 'stopped';
        },
        stats: () => ({ framesOk: frames, checksumErrors: frameErrors, connected: state === 'running' ? 1 : 0 }),
        emit(values) {
          if (state !== 'running') return;
          frames += 1;
          const ts = ctx.now();
          ctx.sink(Object.entries(values).map(([metric, value]): Reading => ({ sensor: config.sensor, metric, ts, value, quality: 'good' })));
        },
        frameError(error) {
          frameErrors += 1;
          ctx.onFrameError?.(error);
        },
      };
      instances.push(driver);
      return driver;
    },
  };
}

/** A TCP port free right now on 127.0.0.1 (for configs where 0 means "off", not "any"). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
