// The poll cycle under a fake clock, against an in-memory bus: exact schedules without timed assertions.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { recordingContext } from '../serial/test-support.js';
import { parseModbusRtuConfig } from './config.js';
import { ModbusRtuMaster } from './master.js';
import { ModbusPoller } from './poller.js';
import { FakeBus, type FakeSlave } from './test-bus.js';

const T0 = 1_735_689_600_000;

const weather = (unitId: number, sensor: string): unknown => ({
  unitId,
  sensor,
  registers: [
    { metric: 'humidity', function: 3, address: 0, type: 'uint16', scale: 0.1 },
    { metric: 'temperature', function: 3, address: 1, type: 'int16', scale: 0.1 },
  ],
});
const WEATHER_REGISTERS = { 0: 785, 1: 0xff9c }; // 78.5 %, −10.0 °C

function setUp(devices: unknown[], slaves: Record<number, FakeSlave>, extra: Record<string, unknown> = {}) {
  const config = parseModbusRtuConfig({ driver: 'modbus-rtu', id: 'bus', port: '/dev/null', devices, ...extra }, 'inputs[0]');
  const bus = new FakeBus(slaves);
  const master = new ModbusRtuMaster(bus, { baudRate: 9600, bitsPerChar: 11 });
  bus.master = master;
  const h = recordingContext(T0);
  let connected = true;
  const poller = new ModbusPoller({ ...config, master, ctx: h.ctx, isConnected: () => connected });
  return { bus, master, poller, h, setConnected: (c: boolean) => (connected = c) };
}

let poller: ModbusPoller | undefined;

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});

afterEach(async () => {
  await poller?.stop();
  poller = undefined;
  vi.useRealTimers();
});

describe('ModbusPoller', () => {
  it('keeps the live devices at their poll rate while one device is dead', async () => {
    const devices = [weather(1, 'ws-1'), weather(2, 'ws-2'), weather(3, 'ws-3')];
    const s = setUp(devices, { 1: { holding: WEATHER_REGISTERS }, 2: { dead: true }, 3: { holding: WEATHER_REGISTERS } }, {
      intervalMs: 1000,
      timeoutMs: 300,
      retries: 2,
    });
    poller = s.poller;
    poller.start();
    await vi.advanceTimersByTimeAsync(10_000 - 1); // cycles start at 0, 1000, … 9000

    // Every live device was read once in every second; after the first cycle (where the dead device still got its
    // retries) at the same offset in every cycle.
    for (const unit of [1, 3]) {
      const times = s.bus.of(unit).map((r) => r.at - T0);
      expect(times).toHaveLength(10);
      times.forEach((t, k) => expect(Math.floor(t / 1000)).toBe(k));
      const offset = times[1] ?? 0;
      expect(times.slice(1)).toEqual(Array.from({ length: 9 }, (_, k) => offset + 1000 * k));
    }
    // The dead one got its retries on the first poll only, then one attempt per cycle.
    expect(s.bus.of(2)).toHaveLength(3 + 9);
    expect(poller.stats()).toMatchObject({
      cycles: 10,
      overruns: 0,
      unit1_responses: 10,
      unit3_responses: 10,
      unit2_timeouts: 12,
      unit2_online: 0,
      unit1_online: 1,
      devicesOnline: 2,
      devicesOffline: 1,
      retries: 2,
    });
    expect(s.h.readings.filter((r) => r.sensor === 'ws-3')).toHaveLength(20);
    // One warning for the dead device, not one per poll.
    expect(s.h.logs.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual(['Modbus unit 2 does not answer']);
    expect(s.h.logs.find((l) => l.level === 'warn')?.obj).toMatchObject({ code: 'IOC_ERR_MODBUS_TIMEOUT', unitId: 2, sensor: 'ws-2' });
  });

  it('emits the decoded, scaled values stamped when the response arrived', async () => {
    const s = setUp([weather(5, 'ws-5')], { 5: { holding: WEATHER_REGISTERS } }, { intervalMs: 1000 });
    poller = s.poller;
    poller.start();
    await vi.advanceTimersByTimeAsync(100);
    expect(s.h.readings).toEqual([
      { sensor: 'ws-5', metric: 'humidity', ts: T0, value: 78.5, quality: 'good' },
      { sensor: 'ws-5', metric: 'temperature', ts: T0, value: -10, quality: 'good' },
    ]);
    expect(s.bus.requests.map((r) => r.hex.slice(0, 12))).toEqual(['050300000002']); // one read for both registers
  });

  it('counts cycles that run past the next start as overruns and starts the next one at once', async () => {
    const devices = [weather(1, 'a'), weather(2, 'b'), weather(3, 'c')];
    const s = setUp(devices, { 1: { dead: true }, 2: { dead: true }, 3: { holding: WEATHER_REGISTERS } }, {
      intervalMs: 1000,
      timeoutMs: 600,
      retries: 0,
    });
    poller = s.poller;
    poller.start();
    await vi.advanceTimersByTimeAsync(5000);
    const stats = poller.stats();
    expect(stats.overruns).toBe((stats.cycles ?? 0) - 1); // every cycle (2 timeouts ≈ 1.23 s) overran its 1 s
    const starts = s.bus.of(1).map((r) => r.at - T0);
    for (let k = 1; k < starts.length; k += 1) expect((starts[k] ?? 0) - (starts[k - 1] ?? 0)).toBeLessThan(1300);
  });

  it('counts exceptions per code, logs the first with the code’s name and the repeats at debug, and reads the other blocks', async () => {
    const device = {
      unitId: 9,
      sensor: 'gas-9',
      registers: [
        { metric: 'co', function: 4, address: 0, type: 'uint16' },
        { metric: 'no2', function: 4, address: 10, type: 'float32' },
      ],
    };
    const s = setUp([device], { 9: { input: { 0: 300 } } }, { intervalMs: 1000 }); // 10–11 do not exist: exception 02
    poller = s.poller;
    poller.start();
    await vi.advanceTimersByTimeAsync(3500);
    expect(poller.stats()).toMatchObject({ cycles: 4, exceptions02: 4, unit9_exceptions: 4, unit9_responses: 4, unit9_online: 1, retries: 0 });
    expect(s.h.readings.map((r) => r.metric)).toEqual(['co', 'co', 'co', 'co']);
    const exceptionLogs = s.h.logs.filter((l) => l.msg.startsWith('Modbus exception'));
    expect(exceptionLogs.map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'Modbus exception 02 (illegal data address) from unit 9'],
      ['debug', 'Modbus exception 02 (illegal data address) from unit 9'],
      ['debug', 'Modbus exception 02 (illegal data address) from unit 9'],
      ['debug', 'Modbus exception 02 (illegal data address) from unit 9'],
    ]);
    expect(exceptionLogs[0]?.obj).toMatchObject({ code: 'IOC_ERR_MODBUS_EXCEPTION', exceptionCode: 2, exception: 'illegal data address', function: 4, address: 10, count: 2 });
  });

  it('names every standard exception code', async () => {
    const codes = [1, 2, 3, 4, 5, 6, 8, 10, 11, 0x33];
    let call = 0;
    const s = setUp([weather(1, 'x')], { 1: { holding: WEATHER_REGISTERS, exception: () => codes[call++ % codes.length] } }, { intervalMs: 100 });
    poller = s.poller;
    poller.start();
    await vi.advanceTimersByTimeAsync(codes.length * 100 - 50);
    const names = s.h.logs.filter((l) => l.level === 'warn').map((l) => (l.obj as { exception?: string }).exception);
    expect(names).toEqual([
      'illegal function',
      'illegal data address',
      'illegal data value',
      'slave device failure',
      'acknowledge',
      'slave device busy',
      'memory parity error',
      'gateway path unavailable',
      'gateway target device failed to respond',
      'unknown exception',
    ]);
    expect(poller.stats()).toMatchObject({ exceptions01: 1, exceptions04: 1, exceptions0B: 1, exceptions33: 1 });
  });

  it('retries after a CRC error and still delivers the reading, logging the saved read at debug only', async () => {
    const s = setUp([weather(1, 'x')], { 1: { holding: WEATHER_REGISTERS, corruptNext: 1 } }, { intervalMs: 1000, retries: 1 });
    poller = s.poller;
    poller.start();
    await vi.advanceTimersByTimeAsync(500);
    expect(poller.stats()).toMatchObject({ unit1_crcErrors: 1, unit1_responses: 1, retries: 1, readings: 2 });
    expect(s.h.logs.filter((l) => l.level !== 'debug')).toEqual([]);
    expect(s.h.logs.find((l) => l.level === 'debug')?.obj).toMatchObject({ code: 'IOC_ERR_MODBUS_CRC', unitId: 1 });
  });

  it('warns once when CRC errors cost a read, and keeps the device online (it does answer)', async () => {
    const s = setUp([weather(1, 'x')], { 1: { holding: WEATHER_REGISTERS, corruptNext: 4 } }, { intervalMs: 1000, retries: 1 });
    poller = s.poller;
    poller.start();
    await vi.advanceTimersByTimeAsync(2500); // polls at 0 and 1000 lose their reads, the one at 2000 succeeds
    expect(poller.stats()).toMatchObject({ unit1_crcErrors: 4, unit1_responses: 1, unit1_online: 1, readings: 2 });
    const warnings = s.h.logs.filter((l) => l.level === 'warn');
    expect(warnings.map((l) => l.msg)).toEqual(['Modbus responses from unit 1 fail their CRC']);
    expect(warnings[0]?.obj).toMatchObject({ code: 'IOC_ERR_MODBUS_CRC', unitId: 1, function: 3, address: 0, count: 2 });
  });

  it('takes a device back when it answers again, and says so', async () => {
    const slaves: Record<number, FakeSlave> = { 4: { dead: true } };
    const s = setUp([weather(4, 'x')], slaves, { intervalMs: 1000, timeoutMs: 200, retries: 1 });
    poller = s.poller;
    poller.start();
    await vi.advanceTimersByTimeAsync(2500);
    expect(poller.stats().unit4_online).toBe(0);
    slaves[4] = { holding: WEATHER_REGISTERS };
    await vi.advanceTimersByTimeAsync(1000);
    expect(poller.stats().unit4_online).toBe(1);
    expect(s.h.logs.filter((l) => l.level !== 'debug').map((l) => l.msg)).toEqual(['Modbus unit 4 does not answer', 'Modbus unit 4 answers again']);
    expect(s.h.readings).toHaveLength(2);
  });

  it('skips a NaN float32 and counts it', async () => {
    const device = { unitId: 1, sensor: 'w', registers: [{ metric: 'water_ph', function: 3, address: 0, type: 'float32' }] };
    const s = setUp([device], { 1: { holding: { 0: 0x7fc0, 1: 0 } } }, { intervalMs: 1000 });
    poller = s.poller;
    poller.start();
    await vi.advanceTimersByTimeAsync(100);
    expect(s.h.readings).toEqual([]);
    expect(poller.stats()).toMatchObject({ invalidValues: 1, unit1_responses: 1 });
  });

  it('skips cycles while the port is closed, without counting against the devices', async () => {
    const s = setUp([weather(1, 'x')], { 1: { holding: WEATHER_REGISTERS } }, { intervalMs: 1000 });
    poller = s.poller;
    s.setConnected(false);
    poller.start();
    await vi.advanceTimersByTimeAsync(2500);
    expect(poller.stats()).toMatchObject({ skippedCycles: 3, cycles: 0, unit1_timeouts: 0, unit1_online: -1 });
    s.setConnected(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(poller.stats()).toMatchObject({ cycles: 1, unit1_responses: 1 });
  });

  it('emits nothing after stop() resolves, even with a transaction in flight', async () => {
    const s = setUp([weather(1, 'x')], { 1: { holding: WEATHER_REGISTERS, delayMs: 200 } }, { intervalMs: 1000 });
    poller = s.poller;
    poller.start();
    await vi.advanceTimersByTimeAsync(100); // request out, answer due at 200 ms
    await poller.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(s.h.readings).toEqual([]);
    expect(s.bus.requests).toHaveLength(1);
  });
});
