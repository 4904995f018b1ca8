import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startAgent, type RunningAgent } from './agent.js';
import { parseAgentConfig } from './config.js';
import { drivers } from './drivers/index.js';
import { MemoryOutbox } from './outbox/memory-outbox.js';
import { fakeDriverFactory } from './testing/fake-driver.js';

const log = pino({ level: 'silent' });
const fake = fakeDriverFactory();
const registry = { ...drivers, fake };
const NOW = Date.UTC(2025, 10, 25, 10);
const agents: RunningAgent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) await a.stop(0);
});

async function agentWith(inputs: unknown[]): Promise<{ agent: RunningAgent; outbox: MemoryOutbox }> {
  const config = parseAgentConfig({ gateway: { site: 'ha-nam', id: 'gw-01' }, mqtt: { url: 'mqtt://127.0.0.1:1', password: 'x' }, http: { port: 0 }, inputs }, registry);
  const outbox = new MemoryOutbox();
  const agent = await startAgent(config, log, { drivers: registry, outbox, now: () => NOW });
  agents.push(agent);
  return { agent, outbox };
}

describe('the agent between drivers and outbox', () => {
  it('calibrates per input and metric, then checks plausibility on the calibrated value', async () => {
    const { agent, outbox } = await agentWith([
      { driver: 'fake', id: 'dust', sensor: 'pm-01', calibration: { pm25: { gain: 2, offset: 5 } } },
      { driver: 'fake', id: 'raw', sensor: 'pm-02' },
    ]);
    const [dust, raw] = fake.instances.slice(-2);
    dust!.emit({ pm25: 100, pm10: 100 });
    dust!.emit({ pm25: 600 }); // 1205 µg/m³ after calibration: beyond the plausible 1000
    raw!.emit({ pm25: 100 });
    expect(outbox.read(0, 10).readings).toEqual([
      { sensor: 'pm-01', metric: 'pm25', ts: NOW, value: 205, quality: 'good' },
      { sensor: 'pm-01', metric: 'pm10', ts: NOW, value: 100, quality: 'good' },
      { sensor: 'pm-01', metric: 'pm25', ts: NOW, value: 1205, quality: 'bad' },
      { sensor: 'pm-02', metric: 'pm25', ts: NOW, value: 100, quality: 'good' },
    ]);
    expect(agent.stats()).toMatchObject({ readings: 4, implausible: 1, invalid: 0 });
  });

  it('counts and keeps out readings that break the wire contract, and counts frame errors by code', async () => {
    const { agent, outbox } = await agentWith([{ driver: 'fake', id: 'dust', sensor: 'pm-01' }]);
    const dust = fake.instances.at(-1)!;
    dust.emit({ pm25: 10, pm26: 1, pm10: Number.NaN });
    dust.frameError({ code: 'IOC_ERR_FRAME_CHECKSUM' });
    dust.frameError({ code: 'IOC_ERR_FRAME_LENGTH' });
    dust.frameError({ code: 'IOC_ERR_FRAME_CHECKSUM' });
    expect(outbox.read(0, 10).readings.map((r) => r.metric)).toEqual(['pm25']);
    expect(agent.stats()).toMatchObject({ readings: 1, invalid: 2 });
    expect(agent.stats().inputs.dust).toEqual({ driver: 'fake', stats: { framesOk: 1, checksumErrors: 3, connected: 1 }, frameErrors: { IOC_ERR_FRAME_CHECKSUM: 2, IOC_ERR_FRAME_LENGTH: 1 } });
  });
});
