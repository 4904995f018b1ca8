import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * The last remote config that was applied, kept in `<dataDir>/remote-config.json` so that a gateway restarting
 * without a network runs with it rather than with its original file. Written atomically (temp file, fsync, rename,
 * fsync of the folder): after a power cut the file holds the old config or the new one, never half of one.
 */
export class LastGoodConfig {
  readonly file: string;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'remote-config.json');
  }

  /** The stored body (`{version, inputs, uplink?}`), or undefined when there is none or it is unreadable. */
  load(): unknown {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return undefined;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return undefined;
    }
  }

  save(body: unknown): void {
    const dir = path.dirname(this.file);
    mkdirSync(dir, { recursive: true });
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(body, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    const dirFd = openSync(dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }
}
