// The driver against a real pty pair (socat), with a minimal RTU slave written here on the device end: the bytes
// cross the kernel's tty layer as through a USB-RS485 adapter. (The full slave emulator lives in
// simulators/src/devices/modbus/; the edge does not import it.)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Driver } from '../../driver.js';
import { drivers } from '../index.js';
import { openTestPty, type TestPty } from '../serial/pty-fixture.js';
import { FakeDeviceEnd, recordingContext, sleep, until, type RecordingContext } from '../serial/test-support.js';
import { crcValid, withCrc } from './crc.js';

const T0 = 1_735_689_600_000;

/** Answers function 3 requests for the units it holds; other units stay silent, as on a real bus. */
class TinySlaves {
  readonly requests: Buffer[] = [];
  private rx = Buffer.alloc(0);
  constructor(
    private readonly end: FakeDeviceEnd,
    private readonly units: Record<number, Record<number, number>>,
  ) {
    end.onData((chunk) => this.onData(chunk));
  }
  private onData(chunk: Buffer): void {
    this.rx = Buffer.concat([this.rx, chunk]);
    while (this.rx.length >= 8) {
      const req = this.rx.subarray(0, 8);
      this.rx = this.rx.subarray(8);
      if (!crcValid(req) || req[1] !== 3) continue;
      this.requests.push(Buffer.from(req));
      const words = this.units[req[0] ?? 0];
      if (!words) continue;
      const address = req.readUInt16BE(2);
      const count = req.readUInt16BE(4);
      const pdu = Buffer.alloc(3 + 2 * count);
      pdu.set([req[0] ?? 0, 3, 2 * count]);
      for (let i = 0; i < count; i += 1) pdu.writeUInt16BE(words[address + i] ?? 0, 3 + 2 * i);
      void this.end.write(withCrc(pdu));
    }
  }
}

const weather = (unitId: number): unknown => ({
  unitId,
  sensor: `ws-${unitId}`,
  registers: [
    { metric: 'humidity', function: 3, address: 0, type: 'uint16', scale: 0.1 },
    { metric: 'temperature', function: 3, address: 1, type: 'int16', scale: 0.1 },
  ],
});
const water = {
  unitId: 3,
  sensor: 'wq-3',
  registers: [{ metric: 'water_ph', function: 3, address: 0, type: 'float32', wordOrder: 'little' }],
};

let dir: string;
let pty: TestPty | undefined;
let end: FakeDeviceEnd | undefined;
let driver: Driver | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-modbus-drv-'));
});

afterEach(async () => {
  await driver?.stop();
  driver = undefined;
  await end?.close();
  end = undefined;
  await pty?.close();
  pty = undefined;
  await rm(dir, { recursive: true, force: true });
});

function makeDriver(h: RecordingContext, port: string, extra: Record<string, unknown> = {}): Driver {
  const factory = drivers['modbus-rtu'];
  const raw = { driver: 'modbus-rtu', id: 'rs485-1', port, devices: [weather(1), weather(2), water], ...extra };
  return factory.create(factory.parseConfig(raw, 'inputs[0]'), h.ctx);
}

describe('modbus-rtu driver on a real pty', () => {
  it('polls several unit ids in turn; the live ones answer every cycle while unit 2 is dead', async () => {
    pty = await openTestPty(dir);
    end = await FakeDeviceEnd.open(pty.devicePath);
    const slaves = new TinySlaves(end, { 1: { 0: 785, 1: 0xff9c }, 3: { 0: 0x6666, 1: 0x40e6 } }); // no unit 2
    const h = recordingContext(T0);
    driver = makeDriver(h, pty.hostPath, { intervalMs: 400, timeoutMs: 100, retries: 1 });
    await driver.start();
    await until(() => (driver?.stats().cycles ?? 0) >= 4, 'four poll cycles');
    await driver.stop();

    const stats = driver.stats();
    const cycles = stats.cycles ?? 0;
    // Each live unit answered once per cycle (the last cycle may have been cut short by stop()).
    for (const unit of [1, 3]) expect(stats[`unit${unit}_responses`]).toBeGreaterThanOrEqual(cycles - 1);
    expect(stats.unit2_timeouts).toBeGreaterThanOrEqual(cycles); // 2 on its first poll (one retry), then 1 per cycle
    expect(stats.unit2_timeouts).toBeLessThanOrEqual(cycles + 1);
    expect(stats).toMatchObject({ unit1_online: 1, unit3_online: 1, unit2_online: 0, crcErrors: 0, exceptions: 0 });
    // The requests on the wire, in order: unit 1, unit 2 twice, unit 3, then one attempt for unit 2 per cycle.
    expect(slaves.requests.slice(0, 4).map((r) => r.toString('hex'))).toEqual([
      withCrc(Buffer.from('010300000002', 'hex')).toString('hex'),
      withCrc(Buffer.from('020300000002', 'hex')).toString('hex'),
      withCrc(Buffer.from('020300000002', 'hex')).toString('hex'),
      withCrc(Buffer.from('030300000002', 'hex')).toString('hex'),
    ]);
    expect(slaves.requests.slice(4, 7).map((r) => r[0])).toEqual([1, 2, 3]);
    // And the values.
    expect(h.readings.slice(0, 3).map((r) => [r.sensor, r.metric, r.value])).toEqual([
      ['ws-1', 'humidity', 78.5],
      ['ws-1', 'temperature', -10],
      ['wq-3', 'water_ph', 7.2],
    ]);
    expect(h.readings.filter((r) => r.sensor === 'ws-2')).toEqual([]);
    expect(h.logs.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual(['Modbus unit 2 does not answer']);
  });

  it('opens the port with the configured line settings and waits for a port that is not there yet', async () => {
    const h = recordingContext(T0);
    driver = makeDriver(h, join(dir, 'ttyDEV'), {
      parity: 'none',
      devices: [weather(1)],
      intervalMs: 200,
      reconnectMinMs: 20,
      reconnectMaxMs: 50,
    });
    await driver.start(); // resolves although the port is absent
    expect(driver.stats()).toMatchObject({ connected: 0, openErrors: 1 });
    await sleep(250);
    expect(driver.stats().requests).toBe(0);
    expect(driver.stats().skippedCycles).toBeGreaterThanOrEqual(1);

    pty = await openTestPty(dir);
    end = await FakeDeviceEnd.open(pty.devicePath);
    new TinySlaves(end, { 1: { 0: 500, 1: 250 } });
    await until(() => h.readings.length >= 2, 'readings once the port exists');
    expect(h.readings.slice(0, 2).map((r) => r.value)).toEqual([50, 25]);
    expect(driver.stats()).toMatchObject({ connected: 1, unit1_timeouts: 0 });
  });

  it('emits no reading after stop() resolves', async () => {
    pty = await openTestPty(dir);
    end = await FakeDeviceEnd.open(pty.devicePath);
    new TinySlaves(end, { 1: { 0: 1, 1: 2 } });
    const h = recordingContext(T0);
    driver = makeDriver(h, pty.hostPath, { devices: [weather(1)], intervalMs: 100 });
    await driver.start();
    await until(() => h.readings.length >= 2, 'the first readings');
    await driver.stop();
    const count = h.readings.length;
    const requests = driver.stats().requests;
    await sleep(300);
    expect(h.readings).toHaveLength(count);
    expect(driver.stats()).toMatchObject({ requests, connected: 0 });
  });
});
