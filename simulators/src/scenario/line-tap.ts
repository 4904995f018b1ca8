import { join } from 'node:path';
import { openPtyPair, type PtyPair } from '../serial/pty-pair.js';
import { openTtyPort, type TtyPort } from '../serial/tty-port.js';
import { createPrng } from '../util/prng.js';

/** What is wrong with the line now. */
export interface LineFaults {
  /** Nothing passes in either direction: a sensor that has gone quiet (dead fan, brown-out). */
  silent: boolean;
  /** Fraction of the device's writes preceded by 1–16 random bytes (noise on the line). */
  garbageRate: number;
  /** Fraction of the device's writes with their middle byte inverted, so the frame's checksum (or CRC) fails. */
  corruptRate: number;
}

export interface LineTapStats {
  /** Device writes passed to the host end (spoiled ones included) and bytes in each direction. */
  chunksToHost: number;
  bytesToHost: number;
  bytesToDevice: number;
  /** Device writes (and host commands) swallowed: silent, or unplugged. */
  chunksDropped: number;
  garbageBytes: number;
  chunksCorrupted: number;
  unplugs: number;
  /** Writes that failed (the far end gone). */
  writeErrors: number;
}

/**
 * A serial line between a simulated device and the host, on two pty pairs with this process in the middle:
 * device ⇄ [pair A] ⇄ tap ⇄ [pair B] ⇄ host. Whatever the device (PMS5003, SDS011, a Modbus slave), the tap can
 * silence it, spoil its frames and unplug it (pair B's socat goes away, as a USB adapter pulled out: the host's port
 * hangs up and its link disappears until replug()).
 */
export interface LineTap {
  /** The path the simulated device opens. */
  readonly devicePath: string;
  /** The path the host (edge agent) opens: stable across unplug/replug. */
  readonly hostPath: string;
  readonly plugged: boolean;
  setFaults(faults: Partial<LineFaults>): void;
  faults(): LineFaults;
  /** Pulls the adapter out: the host's end disappears. */
  unplug(): Promise<void>;
  /** Plugs it back: the host's end reappears at the same path. */
  replug(): Promise<void>;
  stats(): LineTapStats;
  /** Closes both pairs. Idempotent. */
  close(): Promise<void>;
}

export interface LineTapOptions {
  /** Seed of the garbage and of which writes are spoiled. Default 1. */
  seed?: number;
}

/** Opens a line tap: `dir/NAME` is the host's end, `dir/NAME.sim` the device's. */
export async function openLineTap(dir: string, name: string, opts: LineTapOptions = {}): Promise<LineTap> {
  const prng = createPrng(opts.seed ?? 1);
  const stats: LineTapStats = { chunksToHost: 0, bytesToHost: 0, bytesToDevice: 0, chunksDropped: 0, garbageBytes: 0, chunksCorrupted: 0, unplugs: 0, writeErrors: 0 };
  let faults: LineFaults = { silent: false, garbageRate: 0, corruptRate: 0 };
  const deviceSide = await openPtyPair(dir, { deviceName: `${name}.sim`, hostName: `${name}.line` });
  let devicePort: TtyPort;
  try {
    devicePort = await openTtyPort(deviceSide.hostPath);
  } catch (err) {
    await deviceSide.close();
    throw err;
  }
  let hostSide: { pair: PtyPair; port: TtyPort } | undefined;
  let closed = false;

  const write = (port: TtyPort | undefined, bytes: Buffer): void => {
    port?.write(bytes).catch(() => {
      stats.writeErrors += 1;
    });
  };
  const toHost = (chunk: Buffer): void => {
    if (faults.silent || !hostSide) {
      stats.chunksDropped += 1;
      return;
    }
    write(hostSide.port, spoil(chunk));
  };
  const spoil = (chunk: Buffer): Buffer => {
    let out = chunk;
    if (faults.corruptRate > 0 && prng.next() < faults.corruptRate && out.length >= 3) {
      out = Buffer.from(out);
      const middle = Math.floor(out.length / 2);
      out[middle] = (out[middle] ?? 0) ^ 0xff;
      stats.chunksCorrupted += 1;
    }
    if (faults.garbageRate > 0 && prng.next() < faults.garbageRate) {
      const garbage = Buffer.from(Array.from({ length: prng.int(1, 16) }, () => prng.int(0, 255)));
      stats.garbageBytes += garbage.length;
      out = Buffer.concat([garbage, out]);
    }
    stats.chunksToHost += 1;
    stats.bytesToHost += out.length;
    return out;
  };
  devicePort.onData(toHost);

  const plug = async (): Promise<void> => {
    const pair = await openPtyPair(dir, { deviceName: `${name}.tap`, hostName: name });
    try {
      const port = await openTtyPort(pair.devicePath);
      port.onData((chunk) => {
        if (faults.silent) {
          stats.chunksDropped += 1;
          return;
        }
        stats.bytesToDevice += chunk.length;
        write(devicePort, chunk);
      });
      hostSide = { pair, port };
    } catch (err) {
      await pair.close();
      throw err;
    }
  };
  const unplug = async (): Promise<void> => {
    const side = hostSide;
    hostSide = undefined;
    if (!side) return;
    await side.port.close();
    await side.pair.close();
  };
  try {
    await plug();
  } catch (err) {
    await devicePort.close();
    await deviceSide.close();
    throw err;
  }

  let closing: Promise<void> | undefined;
  return {
    devicePath: deviceSide.devicePath,
    hostPath: join(dir, name),
    get plugged() {
      return hostSide !== undefined;
    },
    setFaults(next) {
      faults = { ...faults, ...next };
    },
    faults: () => ({ ...faults }),
    async unplug() {
      if (!hostSide) return;
      stats.unplugs += 1;
      await unplug();
    },
    async replug() {
      if (hostSide || closed) return;
      await plug();
    },
    stats: () => ({ ...stats }),
    close: () =>
      (closing ??= (async () => {
        closed = true;
        await unplug();
        await devicePort.close();
        await deviceSide.close();
      })()),
  };
}
