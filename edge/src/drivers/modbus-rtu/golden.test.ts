// Golden cases, telegraf `testcases/` style: testcases/<case>/{config.json, bus.txt, expected.json}. bus.txt is the
// conversation on the wire, `>` the request the driver must send, `<` what the bus answers (none: silence), hex with
// whitespace and `#` comments. One poll cycle runs under a fake clock; the answers are fed whole and byte by byte.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Reading } from '@ioc/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DriverContext } from '../../driver.js';
import { parseModbusRtuConfig } from './config.js';
import { ModbusRtuMaster, type ModbusTransport } from './master.js';
import { ModbusPoller } from './poller.js';

const CASES = fileURLToPath(new URL('./testcases/', import.meta.url));
/** The time every golden reading carries: 2025-01-01T00:00:00Z. */
const TS = 1_735_689_600_000;

interface Step {
  request: string;
  answer: Buffer;
}

function readScript(path: string): Step[] {
  const steps: Step[] = [];
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const bytes = Buffer.from(line.slice(1).replace(/\s+/g, ''), 'hex');
    if (line.startsWith('>')) steps.push({ request: bytes.toString('hex'), answer: Buffer.alloc(0) });
    else if (line.startsWith('<')) {
      const step = steps[steps.length - 1];
      if (step) step.answer = Buffer.concat([step.answer, bytes]);
    }
  }
  return steps;
}

/** Replays the script: each write gets the next step's answer (5 ms later, whole or byte by byte). */
class ScriptedBus implements ModbusTransport {
  readonly sent: string[] = [];
  master: ModbusRtuMaster | undefined;
  constructor(
    private readonly steps: Step[],
    private readonly bytewise: boolean,
  ) {}
  write(bytes: Uint8Array): Promise<void> {
    const answer = this.steps[this.sent.length]?.answer ?? Buffer.alloc(0);
    this.sent.push(Buffer.from(bytes).toString('hex'));
    const chunks = this.bytewise ? [...answer].map((b) => Buffer.of(b)) : answer.length > 0 ? [answer] : [];
    chunks.forEach((chunk, i) => setTimeout(() => this.master?.receive(chunk), 5 + i));
    return Promise.resolve();
  }
}

async function run(caseDir: string, bytewise: boolean): Promise<{ sent: string[]; result: unknown }> {
  const config = parseModbusRtuConfig(JSON.parse(readFileSync(join(caseDir, 'config.json'), 'utf8')), 'inputs[0]');
  const bus = new ScriptedBus(readScript(join(caseDir, 'bus.txt')), bytewise);
  const master = new ModbusRtuMaster(bus, { baudRate: config.baudRate, bitsPerChar: 11 });
  bus.master = master;
  const readings: Reading[] = [];
  const quiet = (): void => undefined;
  const ctx: DriverContext = { sink: (r) => readings.push(...r), now: () => TS, log: { debug: quiet, info: quiet, warn: quiet, error: quiet } };
  const poller = new ModbusPoller({ ...config, master, ctx, isConnected: () => true });
  poller.start();
  await vi.advanceTimersByTimeAsync(config.intervalMs / 2); // one cycle
  await poller.stop();
  return { sent: bus.sent, result: { readings, stats: master.stats() } };
}

beforeEach(() => {
  vi.useFakeTimers({ now: TS });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('Modbus RTU golden cases', () => {
  const cases = readdirSync(CASES);

  it('has cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(4);
  });

  for (const name of cases) {
    const dir = join(CASES, name);
    const expected: unknown = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
    const requests = readScript(join(dir, 'bus.txt')).map((s) => s.request);

    it(`${name}: answers whole`, async () => {
      const { sent, result } = await run(dir, false);
      expect(sent).toEqual(requests);
      expect(result).toEqual(expected);
    });

    it(`${name}: answers byte by byte`, async () => {
      const { sent, result } = await run(dir, true);
      expect(sent).toEqual(requests);
      expect(result).toEqual(expected);
    });
  }
});
