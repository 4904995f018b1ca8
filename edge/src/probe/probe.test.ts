import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestPty, type TestPty } from '../drivers/serial/pty-fixture.js';
import { drivers } from '../drivers/index.js';
import { fakeDriverFactory } from '../testing/fake-driver.js';
import { until } from '../testing/test-broker.js';
import { runProbe, type ProbeEvent } from './probe.js';

const log = pino({ level: 'silent' });

/** A PMS5003 data frame with the given atmospheric PM2.5 (pm1 = 1, pm10 = pm25 + 10), checksum right or wrong. */
export function pmsFrame(pm25: number, badChecksum = false): Buffer {
  const frame = Buffer.alloc(32);
  frame.writeUInt16BE(0x424d, 0);
  frame.writeUInt16BE(28, 2);
  frame.writeUInt16BE(1, 10);
  frame.writeUInt16BE(pm25, 12);
  frame.writeUInt16BE(pm25 + 10, 14);
  let sum = 0;
  for (let i = 0; i < 30; i++) sum += frame[i] ?? 0;
  frame.writeUInt16BE((sum + (badChecksum ? 1 : 0)) & 0xffff, 30);
  return frame;
}

let dir: string;
let pty: TestPty;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ioc-probe-'));
  pty = await openTestPty(dir);
});
afterAll(async () => {
  await pty.close();
  rmSync(dir, { recursive: true, force: true });
});

function write(bytes: Buffer): void {
  const fd = openSync(pty.devicePath, 'w');
  writeSync(fd, bytes);
  closeSync(fd);
}

describe('runProbe', () => {
  it('reports each frame of a real PMS5003 on a port: good ones with readings, bad ones with their code', async () => {
    const events: ProbeEvent[] = [];
    let started = false;
    const probe = runProbe({ driver: 'pms5003', input: { port: pty.hostPath, emitCounts: false }, log, count: 2, pollMs: 10, onEvent: (e) => events.push(e), onStart: () => (started = true) });
    await until(() => started, 'the port open');
    write(pmsFrame(70));
    await until(() => events.length === 1, 'the first frame');
    write(pmsFrame(71, true));
    await until(() => events.length === 2, 'the bad frame');
    write(pmsFrame(72));
    expect(await probe).toEqual({ good: 2, bad: 1 });
    expect(events).toEqual([
      { ok: true, readings: [expect.objectContaining({ sensor: 'probe', metric: 'pm1', value: 1 }), expect.objectContaining({ metric: 'pm25', value: 70 }), expect.objectContaining({ metric: 'pm10', value: 80 })] },
      { ok: false, error: 'IOC_ERR_FRAME_CHECKSUM' },
      { ok: true, readings: [expect.objectContaining({ metric: 'pm1' }), expect.objectContaining({ metric: 'pm25', value: 72 }), expect.objectContaining({ metric: 'pm10' })] },
    ]);
  });

  it('prefers the errors a driver reports through onFrameError, with their own codes', async () => {
    const fake = fakeDriverFactory();
    const events: ProbeEvent[] = [];
    const controller = new AbortController();
    const probe = runProbe({ driver: 'fake', input: { sensor: 'wx-01' }, registry: { fake }, log, signal: controller.signal, pollMs: 5, onEvent: (e) => events.push(e) });
    await until(() => fake.instances[0]?.state === 'running', 'the driver');
    const driver = fake.instances[0]!;
    driver.frameError({ code: 'IOC_ERR_MODBUS_EXCEPTION', message: 'exception 02: illegal data address', sensor: 'wx-01' });
    driver.emit({ temperature: 31.4 });
    await new Promise((r) => setTimeout(r, 30)); // several counter polls: none may report the error a second time
    controller.abort();
    expect(await probe).toEqual({ good: 1, bad: 1 });
    expect(events).toEqual([
      { ok: false, error: 'IOC_ERR_MODBUS_EXCEPTION', message: 'exception 02: illegal data address', sensor: 'wx-01' },
      { ok: true, readings: [expect.objectContaining({ sensor: 'wx-01', metric: 'temperature', value: 31.4 })] },
    ]);
    expect(driver.state).toBe('stopped');
  });

  it('refuses an unknown driver and a bad input, naming the field', async () => {
    await expect(runProbe({ driver: 'pms9000', input: {}, log, onEvent: () => undefined })).rejects.toThrow(/unknown driver "pms9000"; known: pms5003/);
    await expect(runProbe({ driver: 'pms5003', input: { port: '/dev/x', mode: 'sleepy' }, registry: drivers, log, onEvent: () => undefined })).rejects.toThrow(/^probe\.mode: must be one of/);
  });
});
