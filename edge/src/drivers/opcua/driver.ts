import type { Driver, DriverContext, DriverFactory } from '../../driver.js';
import { parseOpcuaConfig, type OpcuaConfig } from './config.js';
import { OpcuaLink, type OpcuaSample } from './link.js';
import { sampleToReading } from './readings.js';

/** Counters of the data changes themselves (the link adds its own). */
interface SampleCounters {
  dataChanges: number;
  badStatus: number;
  uncertainStatus: number;
  nonNumeric: number;
  readings: number;
  tsSource: number;
  tsServer: number;
  tsAgent: number;
  sinkErrors: number;
}

/**
 * One OPC-UA server: one subscription with a monitored item per configured node (no polling). Every data change
 * becomes one reading of the node's (sensor, metric), stamped with the SourceTimestamp and carrying the StatusCode
 * as its quality.
 */
class OpcuaDriver implements Driver {
  readonly id: string;
  private readonly link: OpcuaLink;
  private running = false;
  private lastDataChangeAt = 0;
  private readonly counters: SampleCounters = {
    dataChanges: 0,
    badStatus: 0,
    uncertainStatus: 0,
    nonNumeric: 0,
    readings: 0,
    tsSource: 0,
    tsServer: 0,
    tsAgent: 0,
    sinkErrors: 0,
  };

  constructor(
    private readonly config: OpcuaConfig,
    private readonly ctx: DriverContext,
  ) {
    this.id = config.id;
    this.link = new OpcuaLink({
      connection: config,
      nodeIds: config.nodes.map((node) => node.nodeId),
      log: ctx.log,
      onSample: (index, sample) => this.onSample(index, sample),
    });
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.link.start();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.link.stop();
  }

  /**
   * Sample counters (dataChanges, badStatus, uncertainStatus, nonNumeric, readings, tsSource/tsServer/tsAgent: which
   * clock stamped the readings, sinkErrors, lastDataChangeAt in agent epoch ms) and the link's (connected, connects,
   * reconnects, connectErrors, authFailures, certificateRejections, disconnects, stalls, nodesRejected).
   */
  stats(): Record<string, number> {
    return { ...this.counters, lastDataChangeAt: this.lastDataChangeAt, ...this.link.stats() };
  }

  private onSample(index: number, sample: OpcuaSample): void {
    const node = this.config.nodes[index];
    if (!this.running || node === undefined) return;
    const c = this.counters;
    c.dataChanges += 1;
    this.lastDataChangeAt = this.ctx.now();
    const outcome = sampleToReading(sample, node, () => this.lastDataChangeAt);
    if (outcome.quality === 'bad') c.badStatus += 1;
    if (outcome.quality === 'uncertain') c.uncertainStatus += 1;
    if (outcome.reading === undefined) {
      c.nonNumeric += 1;
      this.ctx.log.debug({ nodeId: node.nodeId, dataType: sample.dataType, status: sample.statusName }, 'OPC-UA value is not a number');
      return;
    }
    if (outcome.tsFrom === 'source') c.tsSource += 1;
    else if (outcome.tsFrom === 'server') c.tsServer += 1;
    else c.tsAgent += 1;
    c.readings += 1;
    try {
      this.ctx.sink([outcome.reading]);
    } catch (err) {
      c.sinkErrors += 1;
      this.ctx.log.error({ err }, 'reading sink threw');
    }
  }
}

/** Registry entry of the OPC-UA driver. */
export const opcua: DriverFactory<OpcuaConfig> = {
  name: 'opcua',
  parseConfig: parseOpcuaConfig,
  create: (config, ctx) => new OpcuaDriver(config, ctx),
};
