import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { withCrc } from './crc.js';
import { ModbusRtuMaster } from './master.js';
import { FakeBus } from './test-bus.js';

/** 9600 baud 8E1: 11 bits per character, 1.146 ms; t3.5 = 4.01 ms. */
const TIMING = { baudRate: 9600, bitsPerChar: 11 };
const CHAR_MS = 11_000 / 9600;

function setUp(slaves: ConstructorParameters<typeof FakeBus>[0]): { bus: FakeBus; master: ModbusRtuMaster } {
  const bus = new FakeBus(slaves);
  const master = new ModbusRtuMaster(bus, TIMING);
  bus.master = master;
  return { bus, master };
}

/** Settles `promise` into a value or an error while the fake clock runs. */
async function outcome<T>(promise: Promise<T>, advanceMs = 5000): Promise<{ value?: T; error?: { code?: string; exceptionCode?: number } }> {
  const settled = promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error: error as { code?: string; exceptionCode?: number } }),
  );
  await vi.advanceTimersByTimeAsync(advanceMs);
  return settled;
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_735_689_600_000 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('ModbusRtuMaster', () => {
  it('reads registers: the request of SENSOR-PROTOCOLS.md goes out, the words come back', async () => {
    const { bus, master } = setUp({ 1: { holding: { 0: 300, 1: 100 } } });
    expect(await outcome(master.read({ unitId: 1, fn: 3, address: 0, count: 2 }, 1000))).toEqual({ value: [300, 100] });
    expect(bus.requests[0]?.hex).toBe(withCrc(Buffer.from('010300000002', 'hex')).toString('hex'));
    expect(master.stats()).toEqual({ requests: 1, responses: 1, exceptions: 0, timeouts: 0, crcErrors: 0, garbageBytes: 0 });
  });

  it('finds the response behind line noise and in pieces', async () => {
    const { master } = setUp({});
    const reading = master.read({ unitId: 1, fn: 3, address: 0, count: 2 }, 1000);
    await vi.advanceTimersByTimeAsync(10);
    const response = Buffer.from('0103' + '04012c0064' + '3bed', 'hex');
    for (const piece of [Buffer.from('00ff01', 'hex'), response.subarray(0, 4), response.subarray(4)]) {
      master.receive(piece);
      await vi.advanceTimersByTimeAsync(1);
    }
    expect(await outcome(reading)).toEqual({ value: [300, 100] });
    expect(master.stats()).toMatchObject({ responses: 1, garbageBytes: 3 });
  });

  it('times out after timeoutMs plus the time the bytes take on the wire, and counts the late answer as garbage', async () => {
    const { bus, master } = setUp({ 7: { input: { 10: 1 }, delayMs: 1500 } });
    const reading = master.read({ unitId: 7, fn: 4, address: 10, count: 1 }, 1000);
    const wireMs = (8 + 7) * CHAR_MS; // request + response of 1 register
    await vi.advanceTimersByTimeAsync(1000 + wireMs - 1);
    let settled = false;
    void reading.then(
      () => (settled = true),
      () => (settled = true),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    expect((await outcome(reading, 2)).error?.code).toBe('IOC_ERR_MODBUS_TIMEOUT');
    await vi.advanceTimersByTimeAsync(1000); // the slow answer arrives after all
    expect(master.stats()).toMatchObject({ requests: 1, timeouts: 1, responses: 0, garbageBytes: 7 });
    // The next transaction is not fooled by it.
    bus.slaves[7] = { input: { 10: 2 } };
    expect(await outcome(master.read({ unitId: 7, fn: 4, address: 10, count: 1 }, 1000))).toEqual({ value: [2] });
  });

  it('rejects an exception response with its code', async () => {
    const { master } = setUp({ 2: { holding: { 0: 1 } } });
    const result = await outcome(master.read({ unitId: 2, fn: 3, address: 100, count: 4 }, 1000));
    expect(result.error).toMatchObject({ code: 'IOC_ERR_MODBUS_EXCEPTION', exceptionCode: 2 });
    expect(master.stats()).toMatchObject({ exceptions: 1, responses: 0 });
  });

  it('rejects a response with a bad CRC at once, not after the timeout', async () => {
    const { master } = setUp({ 3: { holding: { 0: 1 }, corruptNext: 1 } });
    const result = await outcome(master.read({ unitId: 3, fn: 3, address: 0, count: 1 }, 1000), 50);
    expect(result.error?.code).toBe('IOC_ERR_MODBUS_CRC');
    expect(master.stats()).toMatchObject({ crcErrors: 1, timeouts: 0 });
  });

  it('waits 3.5 character times of silence after the last byte before the next request', async () => {
    const { bus, master } = setUp({ 1: { holding: { 0: 1 }, delayMs: 10 } });
    await outcome(master.read({ unitId: 1, fn: 3, address: 0, count: 1 }, 1000), 20);
    const answeredAt = (bus.requests[0]?.at ?? 0) + 10;
    await outcome(master.read({ unitId: 1, fn: 3, address: 0, count: 1 }, 1000), 50);
    expect(master.silenceMs).toBeCloseTo(3.5 * CHAR_MS, 6);
    expect((bus.requests[1]?.at ?? 0) - answeredAt).toBeGreaterThanOrEqual(Math.ceil(master.silenceMs));
    expect(new ModbusRtuMaster(bus, { baudRate: 115_200, bitsPerChar: 11 }).silenceMs).toBe(1.75); // fixed above 19200
  });

  it('refuses a second transaction while one is in progress, and abort() ends the first', async () => {
    const { master } = setUp({ 4: { dead: true } });
    const first = master.read({ unitId: 4, fn: 3, address: 0, count: 1 }, 1000);
    await expect(master.read({ unitId: 4, fn: 3, address: 0, count: 1 }, 1000)).rejects.toMatchObject({ code: 'IOC_ERR_MODBUS_BUSY' });
    master.abort();
    expect((await outcome(first, 0)).error?.code).toBe('IOC_ERR_MODBUS_STOPPED');
    expect(master.stats().timeouts).toBe(0);
  });

  it('passes the port’s error on when the request cannot be written', async () => {
    const { bus, master } = setUp({ 1: { holding: { 0: 1 } } });
    bus.closed = true;
    expect((await outcome(master.read({ unitId: 1, fn: 3, address: 0, count: 1 }, 1000))).error?.code).toBe('IOC_ERR_SERIAL_CLOSED');
    expect(master.stats().requests).toBe(0);
  });

  it('counts bytes that arrive outside any transaction as garbage', async () => {
    const { master } = setUp({});
    master.receive(Buffer.from('0103040001', 'hex'));
    expect(master.stats().garbageBytes).toBe(5);
  });
});
