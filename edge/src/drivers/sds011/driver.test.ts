// The driver against a real pty pair (socat): the bytes cross the kernel's tty layer as from a USB-serial adapter.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reading } from '@ioc/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Driver } from '../../driver.js';
import { drivers } from '../index.js';
import { openTestPty, type TestPty } from '../serial/pty-fixture.js';
import { FakeDeviceEnd, recordingContext, sleep, until, type RecordingContext } from '../serial/test-support.js';

const CAPTURED_1 = Buffer.from('aac08c009400bcf9d5ab', 'hex');
const CAPTURED_2 = Buffer.from('aac00900090058d943ab', 'hex');
const COMMAND = {
  work: 'aab406010100000000000000000000ffff06ab',
  activeMode: 'aab402010000000000000000000000ffff01ab',
  queryMode: 'aab402010100000000000000000000ffff02ab',
  period0: 'aab408010000000000000000000000ffff07ab',
  period5: 'aab408010500000000000000000000ffff0cab',
  query: 'aab404000000000000000000000000ffff02ab',
};
const REPLY_QUERY_MODE = Buffer.from('aac5020101 00bcf9 b9ab'.replace(/\s/g, ''), 'hex');
const T0 = 1_735_689_600_000;

let dir: string;
let pty: TestPty | undefined;
let sensor: FakeDeviceEnd | undefined;
let driver: Driver | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-sds-drv-'));
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

function makeDriver(h: RecordingContext, port: string, extra: Record<string, unknown> = {}): Driver {
  const factory = drivers.sds011;
  const raw = { driver: 'sds011', id: 'sds-1', port, sensor: 'hn-hoankiem-01', ...extra };
  return factory.create(factory.parseConfig(raw, 'inputs[0]'), h.ctx);
}

const r = (metric: string, value: number, ts = T0): Reading => ({ sensor: 'hn-hoankiem-01', metric, ts, value, quality: 'good' });

async function openSensor(): Promise<FakeDeviceEnd> {
  pty = await openTestPty(dir);
  sensor = await FakeDeviceEnd.open(pty.devicePath);
  return sensor;
}

describe('sds011 driver on a real pty', () => {
  it('wakes the sensor, sets active mode and the working period, then reports the captured frames', async () => {
    const end = await openSensor();
    const h = recordingContext(T0);
    driver = makeDriver(h, pty?.hostPath ?? '', { workingPeriodMin: 5 });
    await driver.start();

    await until(() => end.received.length === 3 * 19, 'the three set-up commands');
    expect(end.received.toString('hex')).toBe(COMMAND.work + COMMAND.activeMode + COMMAND.period5);

    await end.write(CAPTURED_1);
    await until(() => h.readings.length === 2, 'the first frame');
    await end.write(CAPTURED_2);
    await until(() => h.readings.length === 4, 'the second frame');
    expect(h.readings).toEqual([r('pm25', 14), r('pm10', 14.8), r('pm25', 0.9, T0 + 1000), r('pm10', 0.9, T0 + 1000)]);
    expect(driver.stats()).toMatchObject({
      framesOk: 2,
      connected: 1,
      opens: 1,
      readings: 4,
      lastFrameAt: T0 + 1000,
      deviceId: 0x58d9,
      queriesSent: 0,
    });
    expect(h.logs.filter((l) => l.msg === 'SDS011 device id').map((l) => l.obj)).toEqual([{ deviceId: 'bcf9' }, { deviceId: '58d9' }]);
  });

  it('resynchronises on a noisy line written in 3-byte pieces, counting checksum and tail errors', async () => {
    const end = await openSensor();
    const h = recordingContext(T0);
    driver = makeDriver(h, pty?.hostPath ?? '');
    await driver.start();
    const badSum = Buffer.from(CAPTURED_1);
    badSum[8] = 0x00;
    const badTail = Buffer.from(CAPTURED_2);
    badTail[9] = 0x00;
    const line = Buffer.concat([Buffer.from('ffaa00', 'hex'), badSum, CAPTURED_1, badTail, REPLY_QUERY_MODE, Buffer.from('13', 'hex'), CAPTURED_2]);
    for (let i = 0; i < line.length; i += 3) await end.write(line.subarray(i, i + 3));

    await until(() => h.readings.length === 4, 'two frames of readings');
    expect(h.readings.filter((x) => x.metric === 'pm25').map((x) => x.value)).toEqual([14, 0.9]);
    expect(driver.stats()).toMatchObject({ framesOk: 2, checksumErrors: 1, tailErrors: 1, commandReplies: 1, garbageBytes: 3 + 10 + 10 + 1 });
  });

  it('in query mode sets query mode, queries at once, then every intervalMs, and counts an unanswered query', async () => {
    const end = await openSensor();
    const h = recordingContext(T0);
    driver = makeDriver(h, pty?.hostPath ?? '', { mode: 'query', intervalMs: 1000 });
    // Answer the first query and the third, not the second: a sensor that missed one.
    let queries = 0;
    end.onData(() => {
      const seen = end.received.toString('hex').split(COMMAND.query).length - 1;
      for (; queries < seen; queries += 1) if (queries !== 1) void end.write(queries === 0 ? CAPTURED_1 : CAPTURED_2);
    });
    await driver.start();

    await until(() => h.readings.length === 2, 'the answer to the first query', 2000);
    const setUp = COMMAND.work + COMMAND.queryMode + COMMAND.period0 + COMMAND.query;
    expect(end.received.toString('hex')).toBe(setUp); // the first query goes out on open, not after an interval
    await until(() => h.readings.length === 4, 'the answer to the third query', 5000);

    const sent = end.received.toString('hex');
    expect(sent.startsWith(setUp)).toBe(true);
    expect(sent.slice(setUp.length).replaceAll(COMMAND.query, '')).toBe('');
    expect(h.readings.map((x) => x.value)).toEqual([14, 14.8, 0.9, 0.9]);
    expect(driver.stats()).toMatchObject({ queriesSent: 3, queriesUnanswered: 1, framesOk: 2 });
  });

  it('waits for a port that is not there yet, and reopens after it vanishes (USB unplug)', async () => {
    const h = recordingContext(T0);
    const hostPath = join(dir, 'ttyDEV');
    driver = makeDriver(h, hostPath, { reconnectMinMs: 20, reconnectMaxMs: 100 });
    await driver.start(); // resolves although the port is absent
    expect(driver.stats()).toMatchObject({ connected: 0, openErrors: 1 });
    expect(h.logs.filter((l) => l.level === 'warn')).toHaveLength(1);

    let end = await openSensor();
    await until(() => driver?.stats().connected === 1, 'the first open');
    await end.write(CAPTURED_1);
    await until(() => h.readings.length === 2, 'readings after plug-in');

    await end.close();
    await pty?.close();
    await until(() => driver?.stats().disconnects === 1, 'the disconnect');
    expect(driver.stats().connected).toBe(0);
    await sleep(150); // a few failed reopens while the device is away

    end = await openSensor();
    await until(() => driver?.stats().connected === 1, 'the reopen');
    // The set-up commands go out again on the new port.
    await until(() => end.received.length === 3 * 19, 'the set-up commands after the reopen');
    expect(end.received.toString('hex')).toBe(COMMAND.work + COMMAND.activeMode + COMMAND.period0);
    await end.write(CAPTURED_2);
    await until(() => h.readings.length === 4, 'readings after the reopen');
    expect(h.readings[2]?.value).toBe(0.9);
    expect(driver.stats()).toMatchObject({ opens: 2, disconnects: 1, framesOk: 2 });
  });

  it('emits no reading after stop() resolves, and sends no more queries', async () => {
    const end = await openSensor();
    const h = recordingContext(T0);
    driver = makeDriver(h, pty?.hostPath ?? '', { mode: 'query', intervalMs: 1000 });
    await driver.start();
    await until(() => end.received.length === 4 * 19, 'the set-up and the first query');
    await end.write(CAPTURED_1);
    await until(() => h.readings.length === 2, 'readings before stop');
    await driver.stop();
    expect(driver.stats().connected).toBe(0);
    await end.write(Buffer.concat([CAPTURED_1, CAPTURED_2])).catch(() => undefined);
    await sleep(1200); // longer than intervalMs
    expect(h.readings).toHaveLength(2);
    expect(end.received.length).toBe(4 * 19);
  });

  it('keeps running when the sink throws', async () => {
    const end = await openSensor();
    const h = recordingContext(T0);
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
    driver = makeDriver(h, pty?.hostPath ?? '');
    await driver.start();
    await end.write(CAPTURED_1);
    await until(() => driver?.stats().sinkErrors === 1, 'the sink error');
    await end.write(CAPTURED_2);
    await until(() => h.readings.length === 2, 'the next frame');
    expect(h.readings[0]?.value).toBe(0.9);
    expect(h.logs.some((l) => l.level === 'error')).toBe(true);
  });
});
