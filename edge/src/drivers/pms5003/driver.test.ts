// The driver against a real pty pair (socat): the bytes cross the kernel's tty layer as from a USB-serial adapter.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reading } from '@ioc/protocol';
import { SerialPort } from 'serialport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Driver, DriverContext, DriverLogger } from '../../driver.js';
import { drivers } from '../index.js';
import { openTestPty, type TestPty } from '../serial/pty-fixture.js';

const CAPTURED = Buffer.from('424d001c00000008000800000008000800d20046002d001e00000000970002c5', 'hex');
const SECOND = Buffer.from('424d001c0034004e005c00230034003d15180640012c00280008000297000386', 'hex');
const COMMAND = { passive: '424de100000170', active: '424de100010171', read: '424de200000171' };
const T0 = 1_735_689_600_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** The sensor's side of the cable: records what the driver sends, writes what the test says. */
class FakeSensorEnd {
  received = Buffer.alloc(0);
  private constructor(private readonly port: SerialPort) {
    port.on('data', (chunk: Buffer) => (this.received = Buffer.concat([this.received, chunk])));
    port.on('error', () => undefined);
  }
  static async open(path: string): Promise<FakeSensorEnd> {
    const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    return new FakeSensorEnd(port);
  }
  write(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.port.write(bytes, (err) => (err ? reject(err) : resolve())));
  }
  async close(): Promise<void> {
    if (!this.port.isOpen) return;
    await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }
}

interface Harness {
  ctx: DriverContext;
  readings: Reading[];
  batches: number;
  logs: { level: string; msg: string }[];
}

function harness(): Harness {
  const h: Harness = { readings: [], batches: 0, logs: [], ctx: undefined as unknown as DriverContext };
  const logFn =
    (level: string) =>
    (objOrMsg: object | string, msg?: string): void => {
      h.logs.push({ level, msg: typeof objOrMsg === 'string' ? objOrMsg : (msg ?? '') });
    };
  const log: DriverLogger = { debug: logFn('debug'), info: logFn('info'), warn: logFn('warn'), error: logFn('error') };
  let tick = 0;
  h.ctx = {
    sink: (readings) => {
      h.batches += 1;
      h.readings.push(...readings);
    },
    log,
    now: () => T0 + 1000 * tick++,
  };
  return h;
}

let dir: string;
let pty: TestPty | undefined;
let sensor: FakeSensorEnd | undefined;
let driver: Driver | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-pms-drv-'));
});

afterEach(async () => {
  await driver?.stop();
  driver = undefined;
  await sensor?.close();
  sensor = undefined;
  await pty?.close();
  pty = undefined;
  await rm(dir, { recursive: true, force: true });
});

function makeDriver(h: Harness, port: string, extra: Record<string, unknown> = {}): Driver {
  const factory = drivers.pms5003;
  const raw = { driver: 'pms5003', id: 'pms-1', port, sensor: 'hn-hoankiem-01', ...extra };
  return factory.create(factory.parseConfig(raw, 'inputs[0]'), h.ctx);
}

describe('pms5003 driver on a real pty', () => {
  it('reads the captured frame and emits the exact readings (active mode)', async () => {
    pty = await openTestPty(dir);
    sensor = await FakeSensorEnd.open(pty.devicePath);
    const h = harness();
    driver = makeDriver(h, pty.hostPath);
    await driver.start();

    // On open the driver puts the sensor in the configured mode.
    await until(() => sensor?.received.length === 7, 'the mode command');
    expect(sensor.received.toString('hex')).toBe(COMMAND.active);

    await sensor.write(CAPTURED);
    await until(() => h.readings.length === 9, 'nine readings');
    const r = (metric: string, value: number): Reading => ({ sensor: 'hn-hoankiem-01', metric, ts: T0, value, quality: 'good' });
    expect(h.readings).toEqual([
      r('pm1', 0),
      r('pm25', 8),
      r('pm10', 8),
      r('pc_0_3', 210),
      r('pc_0_5', 70),
      r('pc_1_0', 45),
      r('pc_2_5', 30),
      r('pc_5_0', 0),
      r('pc_10', 0),
    ]);
    expect(driver.stats()).toMatchObject({ framesOk: 1, connected: 1, opens: 1, readings: 9, lastFrameAt: T0 });
  });

  it('resynchronises on a noisy line written in 3-byte pieces', async () => {
    pty = await openTestPty(dir);
    sensor = await FakeSensorEnd.open(pty.devicePath);
    const h = harness();
    driver = makeDriver(h, pty.hostPath, { emitCounts: false });
    await driver.start();
    const corrupt = Buffer.from(CAPTURED);
    corrupt[31] = 0;
    const line = Buffer.concat([Buffer.from('ff00424d', 'hex'), corrupt, CAPTURED, Buffer.from('13', 'hex'), SECOND]);
    for (let i = 0; i < line.length; i += 3) await sensor.write(line.subarray(i, i + 3));

    await until(() => h.readings.length === 6, 'two frames of readings');
    expect(h.readings.filter((x) => x.metric === 'pm25').map((x) => x.value)).toEqual([8, 52]);
    expect(driver.stats()).toMatchObject({ framesOk: 2, checksumErrors: 1, lengthErrors: 1 });
  });

  it('gives frames that arrive in one read distinct times, so no reading collapses into another downstream', async () => {
    pty = await openTestPty(dir);
    sensor = await FakeSensorEnd.open(pty.devicePath);
    const h = harness(); // its clock stands still at T0
    driver = makeDriver(h, pty.hostPath, { emitCounts: false });
    await driver.start();
    await sensor.write(Buffer.concat([CAPTURED, SECOND, CAPTURED]));
    await until(() => h.readings.length === 9, 'three frames of readings');
    const pm25 = h.readings.filter((x) => x.metric === 'pm25');
    expect(pm25.map((x) => x.ts)).toEqual([T0, T0 + 1, T0 + 2]);
    expect(pm25.map((x) => x.value)).toEqual([8, 52, 8]);
  });

  it('in passive mode sends the passive command, then a read every intervalMs', async () => {
    pty = await openTestPty(dir);
    sensor = await FakeSensorEnd.open(pty.devicePath);
    const h = harness();
    driver = makeDriver(h, pty.hostPath, { mode: 'passive', intervalMs: 300, emitCounts: false });
    const started = Date.now();
    await driver.start();

    // Answer every read command with one frame, as the sensor does.
    let answered = 0;
    let firstAfterMs = Infinity;
    const answering = setInterval(() => {
      const reads = sensor?.received.toString('hex').split(COMMAND.read).length ?? 1;
      for (; answered < reads - 1; answered += 1) void sensor?.write(CAPTURED);
    }, 10);
    try {
      await until(() => h.readings.length >= 3, 'the answer to the first read');
      firstAfterMs = Date.now() - started;
      await until(() => h.readings.length >= 9, 'three answered reads');
    } finally {
      clearInterval(answering);
    }
    const elapsed = Date.now() - started;
    const sent = sensor.received.toString('hex');
    expect(sent.startsWith(COMMAND.passive + COMMAND.read)).toBe(true); // mode first, then an immediate read
    expect(sent.replaceAll(COMMAND.read, '')).toBe(COMMAND.passive);
    expect(firstAfterMs).toBeLessThan(200); // the first read goes out on open, not after a whole interval
    expect(elapsed).toBeGreaterThanOrEqual(2 * 300 - 20); // reads 2 and 3 waited for the interval
    expect(h.readings.slice(0, 3).map((x) => x.value)).toEqual([0, 8, 8]);
  });

  it('waits for a port that is not there yet, and reopens after it vanishes (USB unplug)', async () => {
    const h = harness();
    const hostPath = join(dir, 'ttyDEV');
    driver = makeDriver(h, hostPath, { reconnectMinMs: 20, reconnectMaxMs: 100 });
    await driver.start(); // resolves although the port is absent
    expect(driver.stats()).toMatchObject({ connected: 0, openErrors: 1 });
    expect(h.logs.filter((l) => l.level === 'warn')).toHaveLength(1);

    pty = await openTestPty(dir);
    await until(() => driver?.stats().connected === 1, 'the first open');
    sensor = await FakeSensorEnd.open(pty.devicePath);
    await sensor.write(CAPTURED);
    await until(() => h.readings.length === 9, 'readings after plug-in');

    // Unplug: socat exits, the pty disappears under the open port.
    await sensor.close();
    await pty.close();
    await until(() => driver?.stats().disconnects === 1, 'the disconnect');
    expect(driver.stats().connected).toBe(0);
    await sleep(150); // a few failed reopens while the device is away

    pty = await openTestPty(dir);
    await until(() => driver?.stats().connected === 1, 'the reopen');
    sensor = await FakeSensorEnd.open(pty.devicePath);
    await sensor.write(SECOND);
    await until(() => h.readings.length === 18, 'readings after the reopen');
    expect(h.readings.find((x, i) => i >= 9 && x.metric === 'pm25')?.value).toBe(52);
    expect(driver.stats()).toMatchObject({ opens: 2, disconnects: 1, framesOk: 2 });
  });

  it('emits no reading after stop() resolves, and stops retrying', async () => {
    pty = await openTestPty(dir);
    sensor = await FakeSensorEnd.open(pty.devicePath);
    const h = harness();
    driver = makeDriver(h, pty.hostPath);
    await driver.start();
    await sensor.write(CAPTURED);
    await until(() => h.readings.length === 9, 'readings before stop');
    await driver.stop();
    expect(driver.stats().connected).toBe(0);
    await sensor.write(Buffer.concat([CAPTURED, SECOND]));
    await sleep(150);
    expect(h.readings).toHaveLength(9);

    const absent = makeDriver(h, join(dir, 'nothing-here'), { reconnectMinMs: 10, reconnectMaxMs: 10 });
    await absent.start();
    await absent.stop();
    const errors = absent.stats().openErrors;
    await sleep(100);
    expect(absent.stats().openErrors).toBe(errors);
  });

  it('keeps running when the sink throws', async () => {
    pty = await openTestPty(dir);
    sensor = await FakeSensorEnd.open(pty.devicePath);
    const h = harness();
    const sink = h.ctx.sink;
    let calls = 0;
    h.ctx = {
      ...h.ctx,
      sink: (readings) => {
        calls += 1;
        if (calls === 1) throw new Error('outbox full');
        sink(readings);
      },
    };
    driver = makeDriver(h, pty.hostPath, { emitCounts: false });
    await driver.start();
    await sensor.write(CAPTURED);
    await until(() => driver?.stats().sinkErrors === 1, 'the sink error');
    await sensor.write(SECOND);
    await until(() => h.readings.length === 3, 'the next frame');
    expect(h.readings[1]?.value).toBe(52);
    expect(h.logs.some((l) => l.level === 'error')).toBe(true);
  });
});
