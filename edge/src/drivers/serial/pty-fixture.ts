// Test support only: a real pty pair for driver tests. The edge does not import @ioc/simulators (packages meet only
// over @ioc/protocol), so this is a deliberately minimal socat launcher of its own.
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface TestPty {
  /** The end the test writes device bytes to. */
  readonly devicePath: string;
  /** The end the driver opens. */
  readonly hostPath: string;
  readonly pid: number;
  /** SIGTERM socat and wait for it; socat removes both links. */
  close(): Promise<void>;
}

export async function openTestPty(dir: string, deviceName = 'ttySIM', hostName = 'ttyDEV'): Promise<TestPty> {
  const devicePath = join(dir, deviceName);
  const hostPath = join(dir, hostName);
  const child = spawn('socat', [`pty,raw,echo=0,link=${devicePath}`, `pty,raw,echo=0,link=${hostPath}`], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) => reject(new Error(`socat: ${err.message} (sudo apt-get install socat)`)));
  });
  await spawned;
  const deadline = Date.now() + 5000;
  while (!(await exists(devicePath)) || !(await exists(hostPath))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill();
      throw new Error(`socat did not create ${devicePath} and ${hostPath}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const pid = child.pid ?? -1;
  return {
    devicePath,
    hostPath,
    pid,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
