import type { Driver, DriverContext, DriverFactory } from '../../driver.js';
import { SerialLink } from '../serial/serial-link.js';
import { parseModbusRtuConfig, type ModbusRtuConfig } from './config.js';
import { ModbusRtuMaster } from './master.js';
import { ModbusPoller } from './poller.js';

/**
 * One RS-485 bus: a serial port (reopened with backoff when lost), the RTU master on it, and the poll cycle over
 * its devices. Readings are stamped with ctx.now() when their response arrives.
 */
class ModbusRtuDriver implements Driver {
  readonly id: string;
  private readonly link: SerialLink;
  private readonly master: ModbusRtuMaster;
  private readonly poller: ModbusPoller;
  private running = false;

  constructor(config: ModbusRtuConfig, ctx: DriverContext) {
    this.id = config.id;
    this.link = new SerialLink({
      path: config.port,
      baudRate: config.baudRate,
      parity: config.parity,
      stopBits: config.stopBits,
      reconnectMinMs: config.reconnectMinMs,
      reconnectMaxMs: config.reconnectMaxMs,
      log: ctx.log,
      onData: (chunk) => this.master.receive(chunk),
    });
    const bitsPerChar = 1 + 8 + (config.parity === 'none' ? 0 : 1) + config.stopBits;
    this.master = new ModbusRtuMaster({ write: (bytes) => this.link.write(bytes) }, { baudRate: config.baudRate, bitsPerChar });
    this.poller = new ModbusPoller({
      devices: config.devices,
      intervalMs: config.intervalMs,
      timeoutMs: config.timeoutMs,
      retries: config.retries,
      master: this.master,
      ctx,
      isConnected: () => this.link.connected,
    });
    for (const [unitId, blocks] of this.poller.plans()) {
      ctx.log.debug({ unitId, reads: blocks.map((b) => ({ function: b.fn, address: b.address, count: b.count })) }, 'Modbus poll plan');
    }
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.link.start();
    this.poller.start();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.poller.stop();
    await this.link.stop();
  }

  /**
   * Link counters (connected, opens, openErrors, disconnects, bytesIn, bytesOut), master counters (requests,
   * responses, exceptions, timeouts, crcErrors, garbageBytes) and poller counters (cycles, overruns, retries,
   * readings, exceptionsNN per code, unitN_… per device; see ModbusPoller.stats).
   */
  stats(): Record<string, number> {
    return { ...this.link.stats(), ...this.master.stats(), ...this.poller.stats() };
  }
}

/** Registry entry of the Modbus RTU driver. */
export const modbusRtu: DriverFactory<ModbusRtuConfig> = {
  name: 'modbus-rtu',
  parseConfig: parseModbusRtuConfig,
  create: (config, ctx) => new ModbusRtuDriver(config, ctx),
};
