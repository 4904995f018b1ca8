import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import { openPtyPair, Pms5003Simulator } from '@ioc/simulators';
import { parseAgentConfig, startAgent, type RunningAgent } from '@ioc/edge';
import type { Registry } from '@ioc/cloud';
import { edgeConfigFor } from './edge-config.js';

/** The demo site `ioc up` brings: Phủ Lý, Hà Nam, one gateway with one PMS5003 on a virtual serial port. */
export const DEMO = { site: 'ha-nam-phu-ly', gateway: 'gw-phu-ly-01', sensor: 'pm-01' } as const;

export interface DemoSite {
  readonly agent: RunningAgent;
  readonly devicePath: string;
  readonly hostPath: string;
  close(): Promise<void>;
}

/**
 * Provisions the demo gateway (a fresh secret on every start, kept only in memory), wires a simulated
 * PMS5003 to one end of a socat pty pair and runs a real edge agent on the other end.
 */
export async function startDemoSite(opts: { registry: Registry; mqttUrl: string; runDir: string; log: Logger }): Promise<DemoSite> {
  const { registry, log } = opts;
  registry.ensureSite(DEMO.site, 'ioc up', { vi: 'Phủ Lý, Hà Nam', en: 'Phu Ly, Ha Nam' });
  const { secret } = registry.getGateway(DEMO.gateway)
    ? await registry.rotateGatewaySecret(DEMO.gateway, 'ioc up')
    : await registry.createGateway(DEMO.site, DEMO.gateway, 'ioc up');
  mkdirSync(opts.runDir, { recursive: true });
  const pty = await openPtyPair(opts.runDir);
  const sim = new Pms5003Simulator({ path: pty.devicePath });
  try {
    await sim.start();
    const config = parseAgentConfig({
      ...edgeConfigFor(DEMO.site, DEMO.gateway, opts.mqttUrl, secret),
      inputs: [{ driver: 'pms5003', id: 'pms-1', port: pty.hostPath, sensor: DEMO.sensor }],
    });
    const agent = await startAgent(config, log.child({ component: 'edge', gateway: DEMO.gateway }));
    return {
      agent,
      devicePath: pty.devicePath,
      hostPath: pty.hostPath,
      async close() {
        await agent.stop(3000);
        await sim.stop();
        await pty.close();
      },
    };
  } catch (err) {
    await sim.stop();
    await pty.close();
    throw err;
  }
}
