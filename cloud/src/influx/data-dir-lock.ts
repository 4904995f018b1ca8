import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Why a data directory could not be locked: another live process holds it. */
export interface DataDirBusy {
  lockFile: string;
  ownerPid: number;
}

/**
 * Takes `dir/influxd.lock` for this process, so two influxd never share a data directory (influxd 1.6 does not
 * lock it itself, and two of them would both write the same WAL). The file holds the owning Node pid and is
 * created complete (written aside, then hard-linked into place), so a reader never sees it half-written; a lock
 * whose owner is dead is stale and taken over. Resolves with an idempotent release, or with the holder if busy.
 */
export async function lockDataDir(dir: string): Promise<{ release: () => Promise<void> } | DataDirBusy> {
  const lockFile = path.join(dir, 'influxd.lock');
  const draft = `${lockFile}.${process.pid}.${Date.now()}`;
  await writeFile(draft, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await link(draft, lockFile);
        let released: Promise<void> | undefined;
        return { release: () => (released ??= unlink(lockFile).catch(() => undefined)) };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const ownerPid = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
        if (Number.isInteger(ownerPid) && ownerPid > 0 && isAlive(ownerPid)) return { lockFile, ownerPid };
        await unlink(lockFile).catch(() => undefined); // stale: its owner is gone
      }
    }
    return { lockFile, ownerPid: Number.NaN };
  } finally {
    await unlink(draft).catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}
