import { openTtyPort, type TtyPort } from './tty-port.js';
import { codedError } from '../util/errors.js';

export interface TtyDeviceOptions {
  /** The device end of a pty pair. */
  path: string;
  /** Every byte chunk the host writes to the device. */
  onData(chunk: Buffer): void;
  /** Called every `intervalMs` while running (the device's own measurement clock). */
  onTick(): void;
  intervalMs: number;
  /** A write the port refused (the host end went away); counted by the device. */
  onWriteError(): void;
}

/**
 * The serial life of a simulated UART device: its end of the pty, its measurement timer, and the contract
 * "nothing is written after stop() resolves". Devices compose it; they only encode and decide.
 */
export class TtyDevice {
  #port: TtyPort | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(private readonly options: TtyDeviceOptions) {}

  /** Opens the port and starts the timer; a device starts once. */
  async start(): Promise<void> {
    if (this.#port || this.#stopped) throw codedError('IOC_ERR_SIM_STATE', 'simulator already started');
    this.#port = await openTtyPort(this.options.path);
    this.#port.onData((chunk) => this.options.onData(chunk));
    this.#timer = setInterval(() => this.options.onTick(), this.options.intervalMs);
  }

  /** Stops the timer and closes the port: nothing is written after this resolves. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#port?.close();
  }

  /** Writes exact bytes (a hand-made frame, garbage); rejects when the device is not running. */
  writeFrame(bytes: Uint8Array): Promise<void> {
    if (!this.#port || this.#stopped) return Promise.reject(codedError('IOC_ERR_SIM_STATE', 'simulator is not running'));
    return this.#port.write(bytes);
  }

  /** Sends what the device says; silently nothing when stopped, a refused write counted. */
  send(bytes: Buffer): void {
    if (!this.#port || this.#stopped) return;
    this.#port.write(bytes).catch(() => this.options.onWriteError());
  }
}
